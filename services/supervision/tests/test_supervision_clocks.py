"""Starting clocks on the real database: one clock and one ClockStarted per (task, attempt)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from contracts.dispatch.v1 import TaskReleased
from contracts.envelope import Envelope
from contracts.topics import CASE_STREAM
from contracts.workdays import national_calendar
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.db.migrations import upgrade
from exchange.testing.access import AuthorisedClient
from exchange.testing.outbox import outbox
from supervision.adapters.tables import SupervisionClock
from supervision.entrypoints.api import create_app
from supervision.entrypoints.consumers import TOPICS, handlers
from supervision.service_layer.handlers import CaseStream
from supervision.service_layer.scan import ScanResult
from supervision.service_layer.today import Today

HANDLERS = handlers(CaseStream(national_calendar()))

# Friday 2024-03-08, 10:00 in Beijing
FRIDAY_MORNING = datetime(2024, 3, 8, 2, 0, tzinfo=UTC)


def released(case_id: str = "C-1", item_code: str = "BIZ", attempt: int = 1, limit: int = 1) -> TaskReleased:
    return TaskReleased(
        case_id=case_id, task_id=f"{case_id}/{item_code}", item_code=item_code, department="market",
        attempt=attempt, time_limit_days=limit, released_at=FRIDAY_MORNING,
    )


async def deliver(database: Database, payload: TaskReleased, times: int = 1) -> Envelope:
    handler = HANDLERS[TaskReleased.event_type]
    envelope = Envelope.wrap(payload, source="dispatch", subject=payload.case_id)
    for _ in range(times):
        async with database.unit_of_work(cause=envelope) as uow:
            await handler(uow, envelope, payload)
    return envelope


async def clock_count(database: Database) -> int:
    async with database.sessions() as session:
        return (await session.exec(select(func.count()).select_from(SupervisionClock))).one()



@pytest.fixture
async def supervision_db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("supervision")


async def _no_scan() -> ScanResult:
    raise AssertionError("not scanned here")


def test_consumes_the_case_stream() -> None:
    assert TOPICS == (CASE_STREAM,)


@pytest.mark.integration
async def test_one_clock_per_task_attempt_however_often_delivered(api_client: AuthorisedClient, supervision_db: Database) -> None:
    await deliver(supervision_db, released(), times=2)

    assert await clock_count(supervision_db) == 1
    assert await outbox(supervision_db) == []  # the release announced the start; readers derive it

    # A re-release after correction (attempt 2) starts its own clock.
    await deliver(supervision_db, released(attempt=2, limit=0), times=2)
    assert await clock_count(supervision_db) == 2
    assert await outbox(supervision_db) == []

    app = create_app(supervision_db, national_calendar(), Today(), scan_now=_no_scan, clock_control=False)
    async with api_client(app, Role.SUPERVISOR, Role.OPERATOR, base_url="http://s") as c:
        clocks = (await c.get("/cases/C-1/clocks")).json()
        assert [(k["attempt"], k["due_on"]) for k in clocks] == [(1, "2024-03-11"), (2, "2024-03-08")]
        missing = await c.get("/cases/nope/clocks")
        assert missing.status_code == 404
        assert set(missing.json()["detail"]) == {"message_zh", "message_en"}


async def test_embedded_sqlite_default_migrates_and_starts_clocks(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'supervision.db'}", source="supervision")
    try:
        await upgrade(database, "supervision")
        await upgrade(database, "supervision")
        await deliver(database, released(limit=5), times=2)
        assert await clock_count(database) == 1
        async with database.sessions() as session:
            clock = (await session.exec(select(SupervisionClock))).one()
        assert clock.due_on == date(2024, 3, 15)
        assert await outbox(database) == []  # an item clock's start is not announced
    finally:
        await database.dispose()
