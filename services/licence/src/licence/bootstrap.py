"""Composition root of licence."""

from __future__ import annotations

from exchange.runtime import Platform, ServiceParts
from licence.entrypoints.api import create_app
from licence.entrypoints.consumers import TOPICS, build_handlers


def build(platform: Platform) -> ServiceParts:
    assert platform.database is not None
    return ServiceParts(
        app=create_app(platform.database, platform.keyring),
        consumers=[platform.runner(topics=TOPICS, handlers=build_handlers(platform.signer))],
    )
