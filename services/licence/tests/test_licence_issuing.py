"""Issuing licences on the real database: once per (case, item), two events, verifiable over HTTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, text
from sqlmodel import select

from contracts.dispatch.v1 import Outcome, TaskConcluded
from contracts.envelope import Envelope
from contracts.topics import CASE_STREAM, LICENCE_EVENTS
from exchange.db.database import Database
from exchange.db.migrations import upgrade
from exchange.signing import KeyRing
from exchange.testing.outbox import outbox
from licence.adapters.tables import LicenceRow
from licence.domain.errors import IncompleteConclusion
from licence.domain.records import licence_id_for
from licence.entrypoints.api import create_app
from licence.entrypoints.consumers import TOPICS, build_handlers

HOLDER = "330102199001011234"


def concluded(case_id: str = "C-1", item_code: str = "BIZ", **overrides: object) -> TaskConcluded:
    values: dict[str, object] = {
        "case_id": case_id, "task_id": f"{case_id}/{item_code}", "item_code": item_code, "department": "market",
        "attempt": 1, "outcome": Outcome.APPROVED, "document_no": None, "yields_licence": True,
        "licence_type": "business_licence", "holder_id": HOLDER, "holder_name": "张三",
        "concluded_at": datetime.now(UTC),
    }
    values.update(overrides)
    return TaskConcluded.model_validate(values)


async def deliver(database: Database, keyring: KeyRing, payload: TaskConcluded, times: int = 1) -> Envelope:
    """Hand the same envelope to the handler ``times`` times, one transaction each (no inbox)."""
    handler = build_handlers(keyring.signer("licence"))[TaskConcluded.event_type]
    envelope = Envelope.wrap(payload, source="dispatch", subject=payload.case_id)
    for _ in range(times):
        async with database.unit_of_work(cause=envelope) as uow:
            await handler(uow, envelope, payload)
    return envelope


async def licence_count(database: Database) -> int:
    async with database.sessions() as session:
        return (await session.exec(select(func.count()).select_from(LicenceRow))).one()



@pytest.fixture
async def licence_db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("licence")


def test_consumes_the_case_stream() -> None:
    assert TOPICS == (CASE_STREAM,)


@pytest.mark.integration
async def test_one_licence_and_one_event_per_topic_however_often_delivered(
    licence_db: Database, keyring: KeyRing
) -> None:
    cause = await deliver(licence_db, keyring, concluded(document_no="市监字〔2024〕7号"), times=2)

    assert await licence_count(licence_db) == 1
    rows = await outbox(licence_db)
    assert sorted(r.topic for r in rows) == sorted([CASE_STREAM.name, LICENCE_EVENTS.name])
    by_topic = {r.topic: r for r in rows}
    assert by_topic[CASE_STREAM.name].key == "C-1"
    assert by_topic[LICENCE_EVENTS.name].key == HOLDER
    assert by_topic[CASE_STREAM.name].event_id != by_topic[LICENCE_EVENTS.name].event_id
    for row in rows:
        env = Envelope.model_validate(row.envelope)
        assert env.type == "licence.licence.issued" and env.source == "licence" and env.subject == "C-1"
        assert env.causation_id == cause.id and env.correlation_id == cause.correlation_id
        assert env.data["licence_id"] == licence_id_for("C-1", "BIZ")
        assert env.data["number"] == "市监字〔2024〕7号"
        assert env.data["signer"] == "licence"


@pytest.mark.integration
async def test_only_approved_licence_yielding_items_get_a_licence(licence_db: Database, keyring: KeyRing) -> None:
    await deliver(licence_db, keyring, concluded("C-2", outcome=Outcome.REJECTED))
    await deliver(licence_db, keyring, concluded("C-3", outcome=Outcome.NEEDS_CORRECTION))
    await deliver(licence_db, keyring, concluded("C-4", yields_licence=False, licence_type=None))
    assert await licence_count(licence_db) == 0
    assert await outbox(licence_db) == []
    with pytest.raises(IncompleteConclusion):
        await deliver(licence_db, keyring, concluded("C-5", holder_id=None))
    assert await licence_count(licence_db) == 0


@pytest.mark.integration
async def test_api_serves_the_archive_and_verifies(licence_db: Database, keyring: KeyRing) -> None:
    await deliver(licence_db, keyring, concluded("C-6", "BIZ"))
    await deliver(licence_db, keyring, concluded("C-6", "FOOD", licence_type="food_permit", department="market"))
    await deliver(licence_db, keyring, concluded("C-7", "BIZ", holder_id="someone-else"))
    app = create_app(licence_db, keyring)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://licence") as client:
        archive = (await client.get(f"/holders/{HOLDER}/licences")).json()
        assert {(lic["case_id"], lic["item_code"]) for lic in archive} == {("C-6", "BIZ"), ("C-6", "FOOD")}
        assert (await client.get("/holders/nobody/licences")).json() == []

        lid = licence_id_for("C-6", "FOOD")
        got = await client.get(f"/licences/{lid}")
        assert got.status_code == 200
        body = got.json()
        assert body["record"]["licence_id"] == lid and body["record"]["holder_name"] == "张三"
        assert body["number"].startswith("FOOD_PERMIT-") and body["signer"] == "licence"
        assert len(body["record_digest"]) == 64

        verified = (await client.post(f"/licences/{lid}/verify")).json()
        assert verified["valid"] is True, verified

        async with licence_db.engine.begin() as conn:
            await conn.execute(
                text("UPDATE licence_record SET record = replace(record, '张三', '李四') WHERE licence_id = :id"),
                {"id": lid},
            )
        verified = (await client.post(f"/licences/{lid}/verify")).json()
        assert verified["valid"] is False and "digest" in verified["reason_en"]

        missing = await client.get("/licences/nope")
        assert missing.status_code == 404
        assert missing.json()["detail"] == {"message_zh": "未找到该电子证照", "message_en": "licence not found"}
        assert (await client.post("/licences/nope/verify")).status_code == 404


async def test_embedded_sqlite_default_migrates_and_issues(tmp_path: Path, keyring: KeyRing) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'licence.db'}", source="licence")
    try:
        await upgrade(database, "licence")
        await upgrade(database, "licence")  # already at head: nothing to do
        await deliver(database, keyring, concluded(), times=2)
        assert await licence_count(database) == 1
        assert len(await outbox(database)) == 2
    finally:
        await database.dispose()
