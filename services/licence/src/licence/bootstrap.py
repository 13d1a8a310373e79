"""Composition root of licence."""

from __future__ import annotations

from exchange.runtime import Platform, ServiceParts
from licence.entrypoints.api import create_app
from licence.entrypoints.consumers import (
    SHARING_GROUP,
    SHARING_TOPICS,
    TOPICS,
    build_handlers,
    build_sharing_handlers,
)


def build(platform: Platform) -> ServiceParts:
    assert platform.database is not None
    return ServiceParts(
        app=create_app(platform.database, platform.keyring),
        consumers=[
            platform.runner(topics=TOPICS, handlers=build_handlers(platform.signer)),
            platform.runner(group=SHARING_GROUP, topics=SHARING_TOPICS, handlers=build_sharing_handlers()),
        ],
    )
