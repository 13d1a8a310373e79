"""Composition root of the gateway."""

from __future__ import annotations

from functools import partial

from contracts.departments import department_principal
from exchange.runtime import Platform, ServiceParts
from gateway.config import GatewaySettings
from gateway.domain.requests import DeliveryPolicy
from gateway.entrypoints.api import create_app
from gateway.entrypoints.consumers import build_handlers, topics
from gateway.service_layer.delivery import CallbackDelivery
from gateway.service_layer.unit_of_work import gateway_work


def policy_of(settings: GatewaySettings) -> DeliveryPolicy:
    return DeliveryPolicy(settings.gateway_callback_max_attempts, settings.gateway_callback_backoff_s,
                          settings.gateway_callback_backoff_max_s)


def build(platform: Platform) -> ServiceParts:
    assert platform.database is not None
    settings = platform.settings
    assert isinstance(settings, GatewaySettings)
    served = settings.gateway_departments
    callbacks = {code: url for code, url in served.items() if url}
    delivery = CallbackDelivery(partial(gateway_work, platform.database), callbacks, policy_of(settings),
                                platform.signer, timeout_s=settings.gateway_callback_timeout_s,
                                poll_s=settings.gateway_callback_poll_s)
    return ServiceParts(
        app=create_app(platform.database, platform.keyring, served),
        # No department served: nothing to subscribe to, but the API still answers (with 404s) and is ready.
        consumers=[platform.runner(topics=topics(served), handlers=build_handlers(served))] if served else [],
        background=[delivery] if callbacks else [],
        # For this issue the gateway holds its departments' keys; it signs their receipts and answers on the bus.
        signs_for=[department_principal(code) for code in served],
    )
