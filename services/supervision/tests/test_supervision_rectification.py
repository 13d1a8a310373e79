"""Rectification clocks (差评整改时限) on the real PostgreSQL: a bad review's order runs on supervision's
working-day calendar, is carded and ordered like an overdue item, and stops with its verdict; every clock
that stops says so once (supervision.clock.stopped); a rectification clock is never taken for a case or an
item clock. Also the migration that gave clocks their kind, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from contracts.days import CHINA_TZ
from contracts.dispatch.v1 import Outcome, TaskReleased
from contracts.dispatch.v2 import TaskConcluded
from contracts.envelope import Envelope, EventPayload
from contracts.intake.v1 import (
    Applicant,
    CaseAccepted,
    CaseDelivered,
    CaseItem,
    Channel,
    DeliveredItem,
    DeliveryMethod,
)
from contracts.rating.v1 import RatingLevel, RectificationClosed, RectificationOpened, Touchpoint
from contracts.supervision.clocks import case_clock_id, item_clock_id, rectification_clock_id
from contracts.workdays import national_calendar
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.db.migrations import downgrade, upgrade
from exchange.db.service_work import Opener
from exchange.testing.access import AuthorisedClient
from exchange.testing.case_stream import on_the_case_stream
from exchange.testing.outbox import outbox
from supervision.adapters.tables import SupervisionClock
from supervision.adapters.views import case_view
from supervision.entrypoints.api import create_app
from supervision.entrypoints.consumers import handlers
from supervision.service_layer.figures import current_figures
from supervision.service_layer.handlers import CaseStream
from supervision.service_layer.scan import scan
from supervision.service_layer.today import Today
from supervision.service_layer.unit_of_work import SupervisionUnitOfWork, supervision_work

CAL = national_calendar()
CASE = "OT20260929RATING0001"
RECTIFICATION = "RECT-0001"
# Tuesday 29 September 2026, the day before the National Day break (国庆 1–7 October, Saturday 10th worked).
OPENED_ON = date(2026, 9, 29)
# 15 working days: Wed 30 Sep; Thu 8, Fri 9, Sat 10 (调休), Mon 12 … Fri 16, Mon 19 … Fri 23, Mon 26 Oct.
DUE_ON = date(2026, 10, 26)
MONDAY = date(2026, 3, 2)  # an ordinary week for the case and item clocks


def work(database: Database) -> Opener[SupervisionUnitOfWork]:
    """Supervision's own transactions on ``database``, as production hands them to the scan."""
    return partial(supervision_work, database)


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), CHINA_TZ).astimezone(UTC)


def opened(item_code: str | None = "E-01-01", limit: int = 15, on: date = OPENED_ON,
           rectification_id: str = RECTIFICATION, case_id: str = CASE) -> RectificationOpened:
    return RectificationOpened(
        rectification_id=rectification_id, case_id=case_id, rating_id=f"RATING-{rectification_id}",
        touchpoint=Touchpoint.ITEM if item_code else Touchpoint.DELIVERY, item_code=item_code, department="market",
        level=RatingLevel.VERY_DISSATISFIED, tags=("slow",), limit_working_days=limit, opened_on=on,
        text_zh="差评整改单", text_en="Rectification order")


def closed(on: date, how: Literal["rectified", "unreachable", "appeal_upheld"] = "rectified",
           rectification_id: str = RECTIFICATION, case_id: str = CASE) -> RectificationClosed:
    return RectificationClosed(rectification_id=rectification_id, case_id=case_id, department="market", how=how,
                               closed_on=on)


def accepted(limit: int = 3) -> CaseAccepted:
    items = {"E-01-01": ("market", 3), "E-01-03": ("tax", 2)}
    return CaseAccepted(
        case_id=CASE, bundle_code="E-01", bundle_name_zh="企业开办一件事", bundle_name_en="Enterprise opening",
        catalogue_version="test", lead_department="market",
        applicant=Applicant(name="湖南某公司", id_type="uscc", id_number="91350100M000100Y43"),
        channel=Channel.WINDOW, delivery_method=DeliveryMethod.WINDOW, window_id="W03", staff_id="S007",
        items=tuple(CaseItem(item_code=c, name_zh=c, name_en=c, department=d, time_limit_days=n)
                    for c, (d, n) in items.items()),
        form={}, accepted_at=at(MONDAY), accepted_on=MONDAY, limit_days=limit,
        due_on=CAL.add_working_days(MONDAY, limit),
    )


def released(code: str, department: str, limit: int, day: date) -> TaskReleased:
    return TaskReleased(case_id=CASE, task_id=f"{CASE}/{code}", item_code=code, department=department, attempt=1,
                        time_limit_days=limit, released_at=at(day))


def concluded(code: str, department: str, day: date) -> TaskConcluded:
    return TaskConcluded(case_id=CASE, task_id=f"{CASE}/{code}", item_code=code, department=department, attempt=1,
                         outcome=Outcome.APPROVED, concluded_at=at(day))


def delivered(day: date) -> CaseDelivered:
    return CaseDelivered(case_id=CASE, method=DeliveryMethod.WINDOW, delivered_at=at(day), items=(
        DeliveredItem(item_code="E-01-01", department="market", outcome="approved"),
        DeliveredItem(item_code="E-01-03", department="tax", outcome="approved")))


@pytest.fixture
async def db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("supervision")


async def feed(database: Database, payload: EventPayload, *, times: int = 1) -> None:
    payload = on_the_case_stream(payload)
    handler = handlers(CaseStream(CAL))[payload.event_type]
    envelope = Envelope.wrap(payload, source="rating", subject=CASE)
    for _ in range(times):  # the same envelope again: a redelivery
        async with database.unit_of_work(cause=envelope) as uow:
            await handler(uow, envelope, payload)


async def events(database: Database, event_type: str) -> list[dict[str, Any]]:
    return [{**r.envelope["data"], "_id": r.event_id} for r in await outbox(database, event_type)]


async def clocks(database: Database) -> list[SupervisionClock]:
    async with database.sessions() as session:
        return list((await session.exec(select(SupervisionClock).order_by(col(SupervisionClock.clock_id)))).all())


@pytest.mark.integration
async def test_an_opened_rectification_starts_one_clock_on_the_working_day_calendar(db: Database) -> None:
    assert CAL.add_working_days(OPENED_ON, 15) == DUE_ON  # guards the hand count above
    await feed(db, opened(), times=3)

    [row] = await clocks(db)
    assert (row.clock_id, row.kind, row.task_id, row.attempt) == (
        rectification_clock_id(RECTIFICATION), "rectification", RECTIFICATION, 0)
    assert (row.item_code, row.department, row.limit_working_days) == ("E-01-01", "market", 15)
    assert (row.started_on, row.due_on, row.finished_on) == (OPENED_ON, DUE_ON, None)
    [started] = await events(db, "supervision.clock.started")
    assert started["kind"] == "rectification" and started["clock_id"] == row.clock_id
    assert (started["task_id"], started["item_code"], started["department"]) == (RECTIFICATION, "E-01-01", "market")
    assert (started["started_on"], started["due_on"], started["limit_working_days"]) == ("2026-09-29", "2026-10-26", 15)


@pytest.mark.integration
async def test_a_rectification_of_no_item_runs_on_its_own_limit(db: Database) -> None:
    await feed(db, opened(item_code=None, limit=3))  # Wed 30 Sep, Thu 8 Oct, Fri 9 Oct
    [started] = await events(db, "supervision.clock.started")
    assert (started["item_code"], started["due_on"], started["kind"]) == ("", "2026-10-09", "rectification")


@pytest.mark.integration
async def test_an_overdue_rectification_gets_its_cards_and_one_order_once(db: Database) -> None:
    await feed(db, opened())
    assert (await scan(work(db), date(2026, 10, 22), CAL)).yellow == 0  # two working days left
    near = await scan(work(db), date(2026, 10, 23), CAL)
    assert (near.yellow, near.red) == (1, 0)
    [yellow] = await events(db, "supervision.card.issued")
    assert yellow["text_zh"] == (f"差评整改预警：办件 {CASE} 事项 E-01-01 的整改单（市场监督管理局）将于 2026-10-26 到期，"
                                 "剩余 1 个工作日")
    assert yellow["text_en"].startswith("Rectification warning")

    late_day = date(2026, 10, 27)
    late = await scan(work(db), late_day, CAL)
    assert (late.yellow, late.red, late.orders) == (0, 1, 1)
    for day in (late_day, late_day + timedelta(days=7)):  # again, and a week later: nothing more
        again = await scan(work(db), day, CAL)
        assert (again.yellow, again.red, again.orders) == (0, 0, 0)

    red = next(c for c in await events(db, "supervision.card.issued") if c["colour"] == "red")
    assert (red["clock_id"], red["department"], red["reason"], red["due_on"], red["item_code"]) == (
        rectification_clock_id(RECTIFICATION), "market", "overdue", "2026-10-26", "E-01-01")
    assert red["text_zh"].startswith("差评整改超期：") and "已超过整改期限 2026-10-26，发出督办" in red["text_zh"]
    [order] = await events(db, "supervision.order.issued")
    respond_by = CAL.add_working_days(late_day, 3)
    assert (order["card_id"], order["kind"], order["respond_by"]) == (red["card_id"], "overdue", respond_by.isoformat())
    assert order["text_zh"] == f"督办：请市场监督管理局于 {respond_by} 前完成办件 {CASE} 的差评整改并反馈"
    assert order["text_en"].startswith("Supervision order: ")


@pytest.mark.integration
@pytest.mark.parametrize(("closed_on", "on_time", "handling_days"),
                         [(date(2026, 10, 20), True, 11), (DUE_ON, True, 15), (date(2026, 10, 28), False, 17)])
async def test_closing_a_rectification_stops_its_clock_once_with_its_verdict(
        db: Database, closed_on: date, on_time: bool, handling_days: int) -> None:
    await feed(db, opened())
    await feed(db, closed(closed_on), times=2)
    await feed(db, closed(closed_on + timedelta(days=1), how="unreachable"))  # a second closure changes nothing

    [stopped] = await events(db, "supervision.clock.stopped")
    assert (stopped["clock_id"], stopped["kind"], stopped["task_id"], stopped["item_code"]) == (
        rectification_clock_id(RECTIFICATION), "rectification", RECTIFICATION, "E-01-01")
    assert (stopped["due_on"], stopped["finished_on"]) == (DUE_ON.isoformat(), closed_on.isoformat())
    assert (stopped["on_time"], stopped["handling_days"]) == (on_time, handling_days)
    assert (await scan(work(db), date(2026, 11, 30), CAL)).red == 0  # a closed order earns no card


@pytest.mark.integration
async def test_a_closure_without_an_opened_order_is_ignored(db: Database) -> None:
    await feed(db, closed(OPENED_ON))
    assert await clocks(db) == [] and await outbox(db) == []


@pytest.mark.integration
async def test_a_rectification_clock_is_neither_a_case_nor_an_item_clock(api_client: AuthorisedClient, db: Database) -> None:
    await feed(db, accepted())
    await feed(db, released("E-01-01", "market", 3, MONDAY))
    await feed(db, concluded("E-01-01", "market", MONDAY + timedelta(days=1)))
    # A bad review at acceptance, and one of the item, both overdue with their red cards.
    await feed(db, opened(item_code=None, limit=1, on=MONDAY, rectification_id="RECT-A"))
    await feed(db, opened(item_code="E-01-01", limit=1, on=MONDAY, rectification_id="RECT-B"))
    wednesday = MONDAY + timedelta(days=2)
    result = await scan(work(db), wednesday, CAL)  # the case clock (due Thu) gets its yellow; the rectifications red
    assert (result.yellow, result.red) == (3, 2)
    await feed(db, closed(wednesday, rectification_id="RECT-B"))  # finished late: still no item handling

    by_item = {f.key: f for f in await current_figures(db, "item", CAL)}
    assert set(by_item) == {"E-01-01"}
    item = by_item["E-01-01"]
    assert (item.cases, item.items_finished, item.on_time_rate, item.mean_days) == (1, 1, 1.0, 1.0)
    assert (item.yellow_per_100, item.red_per_100) == (0.0, 0.0)
    [market] = await current_figures(db, "department", CAL)
    assert (market.key, market.cases, market.items_finished, market.red_per_100) == ("market", 1, 1, 0.0)
    assert market.yellow_per_100 == 100.0  # the case clock's yellow card, the lead department's as before

    view = await case_view(db, CASE, wednesday, CAL)
    assert view is not None
    assert view["case_clock"]["clock_id"] == case_clock_id(CASE)
    assert [c["clock_id"] for c in view["clocks"]] == [item_clock_id(f"{CASE}/E-01-01", 1)]
    assert sorted(c["rectification_id"] for c in view["rectification_clocks"]) == ["RECT-A", "RECT-B"]
    assert view["projection"]["due_on"] == view["case_clock"]["due_on"] == date(2026, 3, 5)
    # The invoices, never released, block; two overdue rectifications of market do not.
    assert (view["projection"]["blocking_item"], view["projection"]["blocking_department"]) == ("E-01-03", "tax")
    app = create_app(db, CAL, Today(), scan_now=lambda: scan(work(db), wednesday, CAL), clock_control=False)
    async with api_client(app, Role.SUPERVISOR, Role.OPERATOR, base_url="http://s") as client:
        listed = (await client.get(f"/cases/{CASE}/clocks")).json()
    assert [c["clock_id"] for c in listed] == [item_clock_id(f"{CASE}/E-01-01", 1)]


@pytest.mark.integration
@pytest.mark.parametrize(("delivered_on", "case_on_time"), [(date(2026, 3, 5), True), (date(2026, 3, 6), False)])
async def test_item_and_case_clocks_say_when_they_stop(db: Database, delivered_on: date, case_on_time: bool) -> None:
    await feed(db, accepted(limit=3))  # the case is due Thursday 5 March
    await feed(db, released("E-01-01", "market", 3, MONDAY))  # due Thursday
    await feed(db, released("E-01-03", "tax", 2, MONDAY))  # due Wednesday
    await feed(db, concluded("E-01-01", "market", MONDAY + timedelta(days=2)), times=2)  # Wednesday: on time
    await feed(db, concluded("E-01-03", "tax", MONDAY + timedelta(days=3)))  # Thursday: a day late
    await feed(db, delivered(delivered_on), times=2)

    started = await events(db, "supervision.clock.started")
    assert {(s["clock_id"], s["kind"]) for s in started} == {(case_clock_id(CASE), "case")}  # items: the releases
    stopped = {s["clock_id"]: s for s in await events(db, "supervision.clock.stopped")}
    assert len(stopped) == 3 and len(await events(db, "supervision.clock.stopped")) == 3  # once each
    licence = stopped[item_clock_id(f"{CASE}/E-01-01", 1)]
    assert (licence["kind"], licence["item_code"], licence["department"], licence["task_id"]) == (
        "item", "E-01-01", "market", f"{CASE}/E-01-01")
    assert (licence["due_on"], licence["finished_on"], licence["on_time"], licence["handling_days"]) == (
        "2026-03-05", "2026-03-04", True, 2)
    invoices = stopped[item_clock_id(f"{CASE}/E-01-03", 1)]
    assert (invoices["due_on"], invoices["on_time"], invoices["handling_days"]) == ("2026-03-04", False, 3)
    case = stopped[case_clock_id(CASE)]
    assert (case["kind"], case["item_code"], case["task_id"], case["department"]) == ("case", None, CASE, "market")
    assert (case["due_on"], case["finished_on"], case["on_time"]) == (
        "2026-03-05", delivered_on.isoformat(), case_on_time)


# --------------------------------------------------------------------------------------------------
# The migration that gave clocks their kind (0003)
# --------------------------------------------------------------------------------------------------


async def _kinds_after_upgrade(database: Database) -> dict[str, str]:
    await upgrade(database, "supervision", "0002")
    insert = sa.text("INSERT INTO supervision_clock (clock_id, case_id, task_id, attempt, item_code, department, "
                     "limit_working_days, started_at, started_on, due_on) VALUES (:id, 'C-1', :task, :attempt, "
                     ":item, 'market', 3, :at, :on, :on)")
    async with database.engine.begin() as conn:
        for clock_id, task, attempt, item in (("case", "C-1", 0, ""), ("item", "C-1/BIZ", 1, "BIZ")):
            await conn.execute(insert, {"id": clock_id, "task": task, "attempt": attempt, "item": item,
                                        "at": at(MONDAY), "on": MONDAY})
    await upgrade(database, "supervision")
    await upgrade(database, "supervision")  # at head: nothing to do
    async with database.engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT clock_id, kind FROM supervision_clock"))).all()
    return {clock_id: kind for clock_id, kind in rows}


async def test_the_clock_kind_migration_on_embedded_sqlite(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'supervision.db'}", source="supervision")
    try:
        assert await _kinds_after_upgrade(database) == {"case": "case", "item": "item"}
        await feed(database, opened())
        await downgrade(database, "supervision", "0002")  # 0002 could not tell a rectification clock apart
        async with database.engine.connect() as conn:
            ids = (await conn.execute(sa.text("SELECT clock_id FROM supervision_clock ORDER BY clock_id"))).all()
        assert [i for (i,) in ids] == ["case", "item"]
        await upgrade(database, "supervision")
        assert {c.clock_id: c.kind for c in await clocks(database)} == {"case": "case", "item": "item"}
    finally:
        await database.dispose()


@pytest.mark.integration
async def test_the_clock_kind_migration_on_postgresql(fresh_database_url: str) -> None:
    database = Database(fresh_database_url, source="supervision")
    try:
        assert await _kinds_after_upgrade(database) == {"case": "case", "item": "item"}
    finally:
        await database.dispose()
