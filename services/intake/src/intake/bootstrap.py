"""Composition root of intake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from onething_catalogue.loader import load_catalogue

from contracts.intake.v1 import RATERS_PRINCIPAL, rater_key
from contracts.workdays import working_calendar
from credentials.platform import local_trust_list
from credentials.verify import Verification, verify_credential
from exchange.runtime import Platform, ServiceParts
from exchange.signing import KeyRing
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.config import IntakeSettings
from intake.domain.pseudonyms import Pseudonyms
from intake.entrypoints.api import create_app
from intake.entrypoints.consumers import TOPICS, handlers
from intake.service_layer.case_stream import CaseStreamFolder
from intake.service_layer.catalogues import CatalogueStore


def licence_verifier(keyring: KeyRing, *, region: str, region_name_zh: str) -> Callable[[Any], Verification]:
    """Offline checks of reused e-licences against this region's published seals; their status was vouched
    for by the e-licence archive's signed answer, which holds back revoked and suspended licences."""
    trust = local_trust_list(keyring, region=region, region_name_zh=region_name_zh)
    return lambda credential: verify_credential(credential, trust=trust, now=datetime.now(UTC), status=None)


def build(platform: Platform) -> ServiceParts:
    assert platform.database is not None
    settings = platform.settings
    catalogue = load_catalogue(settings.catalogue_path if isinstance(settings, IntakeSettings) else None)
    store = CatalogueStore(SqlCatalogueVersions(platform.database), catalogue)
    calendar = working_calendar(settings.calendar_changes)  # supervision's calendar: the same due dates
    return ServiceParts(
        app=create_app(platform.database, store, licence_verifier(
            platform.keyring, region=settings.region, region_name_zh=settings.region_name_zh),
            calendar=calendar,
            pseudonyms=Pseudonyms.derived_from(
                platform.keyring.private_key("intake").seed,
                rater_key=rater_key(platform.keyring.private_key(RATERS_PRINCIPAL).seed))),
        consumers=[platform.runner(topics=TOPICS, handlers=handlers(CaseStreamFolder(store, calendar)))],
        startup=[store.record_current],
    )
