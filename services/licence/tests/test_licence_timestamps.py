"""The licence API on both databases, PostgreSQL and the embedded SQLite default: the printable PDF is served
(SQLite gave its timestamps back without a zone, so dating the PDF answered 500) and every timestamp leaves
with its zone."""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from contracts.days import china_date
from exchange.db.database import Database
from licence.domain.licences import licence_id_for

pytestmark = pytest.mark.integration
LID = licence_id_for("C-1", "P-01-01")
ZONED = re.compile(r"(Z|[+-]\d\d:\d\d)$")


@pytest.fixture
async def licence_db(migrated_each_database: Callable[[str], Awaitable[Database]]) -> Database:
    """Overrides the PostgreSQL-only fixture of conftest.py, so ``client`` and ``approve`` run on both."""
    return await migrated_each_database("licence")


async def test_the_printable_pdf_is_served_and_dated_on_the_china_day_of_issue(
    client: Any, approve: Any, licence_db: Database
) -> None:
    await approve()
    issued_at = datetime.fromisoformat((await client("intake").get(f"/licences/{LID}")).json()["issued_at"])
    pdf = await client("intake").get(f"/licences/{LID}/pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    created = PdfReader(io.BytesIO(pdf.content)).metadata.creation_date  # type: ignore[union-attr]
    assert created is not None and created.date() == china_date(issued_at)


async def test_timestamps_leave_the_api_with_their_zone(client: Any, approve: Any, holder: str) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    await approve()
    licence = (await client("intake").get(f"/licences/{LID}")).json()
    [summary] = (await client("intake").get(f"/holders/{holder}/licences")).json()
    for stamp in (licence["issued_at"], summary["issued_at"]):
        assert ZONED.search(stamp), stamp
        assert before <= datetime.fromisoformat(stamp) <= datetime.now(UTC)
