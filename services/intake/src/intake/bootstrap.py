"""Composition root of intake."""

from __future__ import annotations

from exchange.runtime import Platform, ServiceParts
from intake.catalogue.loader import load_catalogue
from intake.config import IntakeSettings
from intake.entrypoints.api import create_app
from intake.entrypoints.consumers import TOPICS, handlers
from intake.service_layer.case_stream import CaseStreamFolder
from intake.service_layer.catalogues import CatalogueStore


def build(platform: Platform) -> ServiceParts:
    assert platform.database is not None
    settings = platform.settings
    catalogue = load_catalogue(settings.catalogue_path if isinstance(settings, IntakeSettings) else None)
    store = CatalogueStore(platform.database, catalogue)
    return ServiceParts(
        app=create_app(platform.database, store),
        consumers=[platform.runner(topics=TOPICS, handlers=handlers(CaseStreamFolder(store)))],
        startup=[store.record_current],
    )
