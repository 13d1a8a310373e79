"""Catalogue versions (目录版本) on PostgreSQL: a version names one content, however its digest was once written."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable

import pytest
from onething_catalogue.loader import load_catalogue
from onething_catalogue.model import CatalogueError
from sqlalchemy import update

from exchange.db.database import Database
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.adapters.tables import IntakeCatalogue
from intake.service_layer.catalogues import CatalogueStore

pytestmark = pytest.mark.integration


async def test_a_version_recorded_under_the_digest_form_before_rfc_8785_still_starts(
        migrated_database: Callable[[str], Awaitable[Database]]) -> None:
    database = await migrated_database("intake")
    catalogue = load_catalogue()
    await CatalogueStore(SqlCatalogueVersions(database), catalogue).record_current()
    before = json.dumps(catalogue.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False, sort_keys=True,
                        separators=(",", ":"))  # how the digest was written until contracts.canonical: 20.0, not 20
    async with database.unit_of_work() as uow:
        await uow.session.execute(update(IntakeCatalogue).values(digest=hashlib.sha256(before.encode()).hexdigest()))

    await CatalogueStore(SqlCatalogueVersions(database), catalogue).record_current()  # same content: accepted


async def test_other_content_under_a_recorded_version_is_refused(
        migrated_database: Callable[[str], Awaitable[Database]]) -> None:
    database = await migrated_database("intake")
    catalogue = load_catalogue()
    await CatalogueStore(SqlCatalogueVersions(database), catalogue).record_current()
    changed = catalogue.model_copy(update={"note_en": catalogue.note_en + " (reworded)"})

    with pytest.raises(CatalogueError, match="bump the version"):
        await CatalogueStore(SqlCatalogueVersions(database), changed).record_current()
