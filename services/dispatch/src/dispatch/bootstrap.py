"""Composition root of dispatch."""

from __future__ import annotations

from dispatch.config import DispatchSettings
from dispatch.entrypoints.api import create_app
from dispatch.entrypoints.consumers import TOPICS, dispatch_handlers
from dispatch.entrypoints.ops_api import OpsSources
from dispatch.service_layer.deadlines import AnswerDeadlines
from dispatch.service_layer.refusals import refusal_notifier
from exchange.runtime import Platform, ServiceParts


def build(platform: Platform) -> ServiceParts:
    assert platform.database is not None
    settings = platform.settings
    assert isinstance(settings, DispatchSettings)
    return ServiceParts(
        app=create_app(platform.database, OpsSources(settings.data_dir, settings.kafka_bootstrap)),
        consumers=[platform.runner(topics=TOPICS, handlers=dispatch_handlers(settings.window_review()),
                                   on_refused=refusal_notifier(platform.database))],
        background=[AnswerDeadlines(platform.database, settings.deadline_policy())],
    )
