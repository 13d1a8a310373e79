"""Composition root of rating."""

from __future__ import annotations

from exchange.runtime import Platform, ServiceParts
from rating.entrypoints.api import create_app
from rating.entrypoints.consumers import HANDLERS, TOPICS


def build(platform: Platform) -> ServiceParts:
    assert platform.database is not None
    return ServiceParts(
        app=create_app(platform.database),
        consumers=[platform.runner(topics=TOPICS, handlers=HANDLERS)],
    )
