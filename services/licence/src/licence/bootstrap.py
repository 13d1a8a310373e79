"""Composition root of licence."""

from __future__ import annotations

import httpx

from credentials.trust import TrustList
from exchange.runtime import Platform, ServiceParts
from licence.config import LicenceSettings
from licence.entrypoints.api import create_app
from licence.entrypoints.consumers import (
    SHARING_GROUP,
    SHARING_TOPICS,
    TOPICS,
    build_handlers,
    build_sharing_handlers,
)
from licence.service_layer.issuers import Issuers
from licence.service_layer.verification import Verifier


def issuers_of(platform: Platform) -> Issuers:
    settings = platform.settings
    assert isinstance(settings, LicenceSettings)
    recognised = TrustList()
    for path in settings.licence_recognised_issuers:  # another region's list: never taken as local
        recognised = recognised.with_issuers(TrustList.load(path, local=False).issuers.values())
    return Issuers(platform.keyring, region=settings.region, region_name_zh=settings.region_name_zh,
                   recognised=recognised, public_url=settings.licence_public_url)


def build(platform: Platform) -> ServiceParts:
    assert platform.database is not None
    settings = platform.settings
    assert isinstance(settings, LicenceSettings)
    issuers = issuers_of(platform)
    verifier = Verifier(platform.database, issuers, http=httpx.AsyncClient(),
                        remote_ttl_s=settings.licence_remote_status_ttl_s)
    return ServiceParts(
        app=create_app(platform.database, platform.keyring, issuers, verifier,
                       archive_readers=settings.licence_archive_readers),
        consumers=[
            platform.runner(topics=TOPICS, handlers=build_handlers(issuers)),
            platform.runner(group=SHARING_GROUP, topics=SHARING_TOPICS, handlers=build_sharing_handlers()),
        ],
    )
