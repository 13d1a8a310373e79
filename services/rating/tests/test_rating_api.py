"""Rating on the real database: delivered cases only, one rating each (一事一评), announced twice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from contracts.envelope import Envelope
from contracts.intake.v1 import CaseDelivered, DeliveredItem, DeliveryMethod
from contracts.topics import CASE_STREAM, RATING_EVENTS
from exchange.db.database import Database
from exchange.db.migrations import upgrade
from exchange.testing.outbox import outbox
from rating.adapters.tables import RatingDeliveredCase
from rating.domain.rules import rating_id_for
from rating.entrypoints.api import create_app
from rating.entrypoints.consumers import HANDLERS, TOPICS


def delivered(case_id: str) -> CaseDelivered:
    return CaseDelivered(
        case_id=case_id, method=DeliveryMethod.WINDOW, delivered_at=datetime.now(UTC),
        items=(DeliveredItem(item_code="BIZ", department="market", outcome="approved"),),
    )


async def deliver(database: Database, payload: CaseDelivered, times: int = 1) -> None:
    handler = HANDLERS[CaseDelivered.event_type]
    envelope = Envelope.wrap(payload, source="intake", subject=payload.case_id)
    for _ in range(times):
        async with database.unit_of_work(cause=envelope) as uow:
            await handler(uow, envelope, payload)


async def delivered_count(database: Database) -> int:
    async with database.sessions() as session:
        return (await session.exec(select(func.count()).select_from(RatingDeliveredCase))).one()



def client(database: Database) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(database)), base_url="http://rating")


@pytest.fixture
async def rating_db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("rating")


def test_consumes_the_case_stream() -> None:
    assert TOPICS == (CASE_STREAM,)


@pytest.mark.integration
async def test_delivered_case_is_recorded_once(rating_db: Database) -> None:
    await deliver(rating_db, delivered("C-1"), times=2)
    assert await delivered_count(rating_db) == 1
    assert await outbox(rating_db) == []  # learning of a delivery announces nothing


@pytest.mark.integration
async def test_rate_once_after_delivery(rating_db: Database) -> None:
    body = {"case_id": "C-1", "level": "very_satisfied", "tags": ["办事快", "态度好"], "comment": "一次办好"}
    async with client(rating_db) as api:
        early = await api.post("/ratings", json=body)
        assert early.status_code == 404
        assert early.json()["detail"] == {"message_zh": "办件尚未送达，暂不能评价", "message_en": "case not delivered yet"}

        await deliver(rating_db, delivered("C-1"))
        created = await api.post("/ratings", json=body)
        assert created.status_code == 201, created.text
        rating = created.json()
        assert rating["rating_id"] == rating_id_for("C-1")
        assert rating["level"] == "very_satisfied" and rating["tags"] == ["办事快", "态度好"]

        again = await api.post("/ratings", json={**body, "level": "very_dissatisfied"})
        assert again.status_code == 409
        assert set(again.json()["detail"]) == {"message_zh", "message_en"}

        unknown = await api.post("/ratings", json={**body, "case_id": "C-404"})
        assert unknown.status_code == 404

        invalid = await api.post("/ratings", json={**body, "tags": ["x" * 33]})
        assert invalid.status_code == 422

        got = await api.get("/cases/C-1/rating")
        assert got.status_code == 200 and got.json()["level"] == "very_satisfied"
        assert got.json()["comment"] == "一次办好"
        assert (await api.get("/cases/C-404/rating")).status_code == 404

    rows = await outbox(rating_db)
    assert sorted(r.topic for r in rows) == sorted([CASE_STREAM.name, RATING_EVENTS.name])
    assert {r.key for r in rows} == {"C-1"}
    assert len({r.event_id for r in rows}) == 1  # one event, on both topics the registry names
    env = Envelope.model_validate(rows[0].envelope)
    assert env.type == "rating.rating.submitted" and env.source == "rating"
    assert env.data["rating_id"] == rating_id_for("C-1") and "comment" not in env.data


@pytest.mark.integration
async def test_racing_submissions_yield_one_rating(rating_db: Database) -> None:
    await deliver(rating_db, delivered("C-2"))
    async with client(rating_db) as api:
        answers = await asyncio.gather(
            *(api.post("/ratings", json={"case_id": "C-2", "level": level}) for level in ("satisfied",) * 5)
        )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409]
    assert len(await outbox(rating_db)) == 2


async def test_embedded_sqlite_default_migrates_and_rates(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'rating.db'}", source="rating")
    try:
        await upgrade(database, "rating")
        await upgrade(database, "rating")
        await deliver(database, delivered("C-9"), times=2)
        assert await delivered_count(database) == 1
        async with client(database) as api:
            assert (await api.post("/ratings", json={"case_id": "C-9", "level": "satisfied"})).status_code == 201
            assert (await api.post("/ratings", json={"case_id": "C-9", "level": "satisfied"})).status_code == 409
        assert len(await outbox(database)) == 2
    finally:
        await database.dispose()
