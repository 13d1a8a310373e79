"""承诺时限 on the real PostgreSQL: an item clock runs on the item's promised limit (its share of the case's R-05
limit) and records the statutory limit beside it, so a chain whose items all keep their promises brings the case
in on time: no card, no order. On statutory item limits the 20-day licence alone outran the 7-day case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from contracts.days import CHINA_TZ
from contracts.dispatch.v1 import Outcome, TaskConcluded, TaskReleased
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
from contracts.workdays import national_calendar
from exchange.db.database import Database
from exchange.testing.outbox import outbox
from supervision.entrypoints.api import create_app
from supervision.entrypoints.consumers import handlers
from supervision.service_layer.handlers import CaseStream
from supervision.service_layer.scan import scan
from supervision.service_layer.today import Today
from supervision.service_layer.views import case_view

pytestmark = pytest.mark.integration

CAL = national_calendar()
MONDAY = date(2026, 3, 2)  # an ordinary fortnight: no holiday near it
CASE = "OT20260302PROMISED01"
# A chain: food licence (market, 20 days) → sign permit (urban management, 5 days): ⌊0.3 × 25⌋ = 7 working days,
# promised 6 + 1; fire inspection (fire rescue, 2 days) in parallel, promised its own 2.
ITEMS = {"L": ("market", (), 20, 6), "S": ("urban-management", ("L",), 5, 1), "F": ("fire-rescue", (), 2, 2)}
LIMIT = 7


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), CHINA_TZ).astimezone(UTC)


def accepted() -> CaseAccepted:
    return CaseAccepted(
        case_id=CASE, bundle_code="E-02", bundle_name_zh="开办餐饮店", bundle_name_en="Opening a restaurant",
        catalogue_version="test", lead_department="market",
        applicant=Applicant(name="津市某粉面馆", id_type="uscc", id_number="91350100M000100Y43"),
        channel=Channel.WINDOW, delivery_method=DeliveryMethod.WINDOW,
        items=tuple(CaseItem(item_code=c, name_zh=c, name_en=c, department=d, time_limit_days=n, requires=r,
                             promised_limit_days=p) for c, (d, r, n, p) in ITEMS.items()),
        form={}, accepted_at=at(MONDAY), accepted_on=MONDAY, limit_days=LIMIT,
        due_on=CAL.add_working_days(MONDAY, LIMIT),
    )


def released(code: str, day: date) -> TaskReleased:
    dept, _, statutory, promised = ITEMS[code]
    return TaskReleased(case_id=CASE, task_id=f"{CASE}/{code}", item_code=code, department=dept, attempt=1,
                        time_limit_days=statutory, promised_limit_days=promised, released_at=at(day))


def concluded(code: str, day: date) -> TaskConcluded:
    return TaskConcluded(case_id=CASE, task_id=f"{CASE}/{code}", item_code=code, department=ITEMS[code][0],
                         attempt=1, outcome=Outcome.APPROVED, concluded_at=at(day))


@pytest.fixture
async def db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("supervision")


async def feed(database: Database, payload: EventPayload) -> None:
    envelope = Envelope.wrap(payload, source="x", subject=CASE)
    async with database.unit_of_work(cause=envelope) as uow:
        await handlers(CaseStream(CAL))[payload.event_type](uow, envelope, payload)


async def events(database: Database, event_type: str) -> list[dict[str, Any]]:
    return [r.envelope["data"] for r in await outbox(database, event_type)]


async def test_item_clocks_run_on_their_promises_and_the_case_keeps_its_limit(db: Database) -> None:
    case_due = CAL.add_working_days(MONDAY, LIMIT)  # Wednesday 11 March
    await feed(db, accepted())
    await feed(db, released("L", MONDAY))
    await feed(db, released("F", MONDAY))
    started = {e["item_code"]: e for e in await events(db, "supervision.clock.started")}
    assert {c: (e["limit_working_days"], e["statutory_working_days"], e["due_on"]) for c, e in started.items()} == {
        "L": (6, 20, "2026-03-10"), "F": (2, 2, "2026-03-04")}

    # Every item takes its whole promise, each released the day its prerequisite concludes.
    await feed(db, concluded("F", date(2026, 3, 4)))
    licence_day = date(2026, 3, 10)
    await feed(db, concluded("L", licence_day))
    await feed(db, released("S", licence_day))
    await feed(db, concluded("S", date(2026, 3, 11)))
    await feed(db, CaseDelivered(case_id=CASE, method=DeliveryMethod.WINDOW, delivered_at=at(case_due), items=tuple(
        DeliveredItem(item_code=c, department=d, outcome="approved") for c, (d, *_) in ITEMS.items())))
    day = MONDAY
    while day <= case_due:
        assert (await scan(db, day, CAL)).red == 0, day
        day += timedelta(days=1)

    stopped = {e["item_code"] or "case": e for e in await events(db, "supervision.clock.stopped")}
    assert {c: e["on_time"] for c, e in stopped.items()} == {"F": True, "L": True, "S": True, "case": True}
    assert stopped["case"]["due_on"] == case_due.isoformat()

    app = create_app(db, CAL, Today(), scan_now=lambda: scan(db, case_due, CAL), clock_control=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
        view = (await client.get(f"/cases/{CASE}/supervision")).json()
        clocks = (await client.get(f"/cases/{CASE}/clocks")).json()
    assert {c["item_code"]: (c["statutory_days"], c["budget_days"]) for c in view["clocks"]} == {
        "F": (2, 2), "L": (20, 6), "S": (5, 1)}
    assert {c["item_code"]: (c["statutory_working_days"], c["limit_working_days"]) for c in clocks} == {
        "F": (2, 2), "L": (20, 6), "S": (5, 1)}
    assert view["case_clock"]["statutory_days"] is None  # the case runs on R-05, no one item's statute


async def test_the_projection_plans_waiting_items_on_their_promises(db: Database) -> None:
    await feed(db, accepted())
    view = await case_view(db, CASE, MONDAY, CAL)
    assert view is not None
    # nothing released yet: L (6) then S (1) from Monday is the case's own due date, not 25 working days later
    assert view["projection"]["completion"] == CAL.add_working_days(MONDAY, LIMIT)
    assert view["projection"]["critical_path"] == ["L", "S"]


async def test_a_release_without_a_promise_runs_on_the_statutory_limit(db: Database) -> None:
    """Events from before promises were carried: the promise is the statutory limit."""
    await feed(db, TaskReleased(case_id=CASE, task_id=f"{CASE}/L", item_code="L", department="market", attempt=1,
                                time_limit_days=20, released_at=at(MONDAY)))
    (started,) = await events(db, "supervision.clock.started")
    assert (started["limit_working_days"], started["statutory_working_days"]) == (20, 20)
    assert started["due_on"] == CAL.add_working_days(MONDAY, 20).isoformat()
