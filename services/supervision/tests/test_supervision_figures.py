"""Efficiency figures: on-time rate, mean and p90 working days, cards per 100 cases — recounted by hand, and
published once a day on the analytics topic without personal data."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import pytest
from sqlmodel import col, select

from contracts.days import CHINA_TZ
from contracts.dispatch.v1 import Outcome, TaskReleased
from contracts.dispatch.v2 import TaskConcluded
from contracts.envelope import Envelope, EventPayload
from contracts.intake.v1 import Applicant, CaseAccepted, CaseItem, Channel, DeliveryMethod
from contracts.topics import SUPERVISION_FIGURES
from contracts.workdays import national_calendar
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.db.service_work import Opener
from exchange.db.tables import OutboxMessage
from exchange.testing.access import AuthorisedClient
from exchange.testing.case_stream import on_the_case_stream
from supervision.domain.figures import CardFact, ClockFact, figures
from supervision.entrypoints.api import create_app
from supervision.entrypoints.consumers import handlers
from supervision.service_layer.figures import DailyFigures
from supervision.service_layer.handlers import CaseStream
from supervision.service_layer.scan import scan
from supervision.service_layer.today import Today
from supervision.service_layer.unit_of_work import SupervisionUnitOfWork, supervision_work

CAL = national_calendar()
MONDAY = date(2026, 3, 2)
APPLICANT_ID = "11010519491231002X"


def work(database: Database) -> Opener[SupervisionUnitOfWork]:
    """Supervision's own transactions on ``database``, as production hands them to the scan."""
    return partial(supervision_work, database)


def test_figures_by_department_recount() -> None:
    clocks = [ClockFact(f"C{n}", {"department": "market"}, on_time, days)
              for n, (on_time, days) in enumerate([(True, 1), (True, 2), (False, 6), (True, 3), (None, None)])]
    clocks.append(ClockFact("C9", {"department": "tax"}, True, 0))
    cards = [CardFact("C2", {"department": "market"}, "yellow"), CardFact("C2", {"department": "market"}, "red")]
    market, tax = figures("department", clocks, cards)
    assert (market.key, market.cases, market.items_released, market.items_finished) == ("market", 5, 5, 4)
    assert market.on_time_rate == 0.75 and market.mean_days == 3.0
    assert market.p90_days == 6  # nearest rank: the 4th of 4 sorted values (1, 2, 3, 6)
    assert (market.yellow_per_100, market.red_per_100) == (20.0, 20.0)
    assert (tax.cases, tax.on_time_rate, tax.p90_days, tax.red_per_100) == (1, 1.0, 0, 0.0)
    assert figures("window", clocks, cards) == []  # no window key given: nothing to say


def test_cases_and_item_clocks_are_counted_apart() -> None:
    """Before, ``cases`` counted cases and ``finished`` item clocks, unlabelled: here 2 cases, 3 finished."""
    market = {"department": "market"}
    clocks = [ClockFact("A", {**market, "item": "E-01-01"}, True, 1),
              ClockFact("A", {**market, "item": "E-01-02"}, False, 5),
              ClockFact("A", {**market, "item": "E-01-03"}, None, None),  # still running
              ClockFact("B", {**market, "item": "E-01-01"}, True, 2)]
    [department] = figures("department", clocks, [CardFact("A", market, "red")])
    assert (department.cases, department.items_released, department.items_finished) == (2, 4, 3)
    assert department.on_time_rate == 0.6667  # per finished item clock: 2 of 3
    assert department.red_per_100 == 50.0  # per case: 1 card, 2 cases
    by_item = {f.key: (f.cases, f.items_released, f.items_finished) for f in figures("item", clocks, [])}
    assert by_item == {"E-01-01": (2, 2, 2), "E-01-02": (1, 1, 1), "E-01-03": (1, 1, 0)}


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), CHINA_TZ).astimezone(UTC)


@pytest.fixture
async def db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("supervision")


async def feed(database: Database, payload: EventPayload, subject: str) -> None:
    payload = on_the_case_stream(payload)
    envelope = Envelope.wrap(payload, source="x", subject=subject)
    async with database.unit_of_work(cause=envelope) as uow:
        await handlers(CaseStream(CAL))[payload.event_type](uow, envelope, payload)


@pytest.mark.integration
async def test_daily_figures_go_out_once_without_personal_data(api_client: AuthorisedClient, db: Database) -> None:
    for n, (window, days_taken) in enumerate([("W01", 1), ("W01", 4), ("W02", 2)]):
        case_id = f"OT2026030200000{n}"
        await feed(db, CaseAccepted(
            case_id=case_id, bundle_code="E-01", bundle_name_zh="企业开办", bundle_name_en="Opening",
            catalogue_version="t", lead_department="market",
            applicant=Applicant(name="张三", id_type="resident_id", id_number=APPLICANT_ID, phone="13800138000"),
            channel=Channel.WINDOW, delivery_method=DeliveryMethod.WINDOW, window_id=window, staff_id="S1",
            items=(CaseItem(item_code="E-01-01", name_zh="设立登记", name_en="Registration", department="market",
                            time_limit_days=3),),
            form={}, accepted_at=at(MONDAY), accepted_on=MONDAY, limit_days=3), case_id)
        await feed(db, TaskReleased(case_id=case_id, task_id=f"{case_id}/E-01-01", item_code="E-01-01",
                                    department="market", attempt=1, time_limit_days=3, released_at=at(MONDAY)), case_id)
        await feed(db, TaskConcluded(case_id=case_id, task_id=f"{case_id}/E-01-01", item_code="E-01-01",
                                     department="market", attempt=1, outcome=Outcome.APPROVED,
                                     concluded_at=at(MONDAY + timedelta(days=days_taken))), case_id)
    assert (await DailyFigures(db, CAL).publish(MONDAY)) == 1 + 1 + 2  # department, item, two windows
    assert (await DailyFigures(db, CAL).publish(MONDAY)) == 0  # once a day, across a restart too
    async with db.sessions() as session:
        rows = (await session.exec(select(OutboxMessage).where(col(OutboxMessage.topic) == SUPERVISION_FIGURES.name)))
        published = [r.envelope for r in rows.all()]
    by_key = {(e["data"]["by"], e["data"]["key"]): e["data"] for e in published}
    market = by_key[("department", "market")]
    # Three registrations, 3 working days each: taken 1, 4 (late) and 2 working days.
    assert (market["cases"], market["items_released"], market["items_finished"]) == (3, 3, 3)
    assert (market["finished"], market["on_time_rate"], market["p90_days"]) == (3, 0.6667, 4)  # finished: v1 readers
    assert by_key[("window", "W01")]["cases"] == 2 and by_key[("window", "W02")]["on_time_rate"] == 1.0
    text = json.dumps(published, ensure_ascii=False)
    assert APPLICANT_ID not in text and "13800138000" not in text and "张三" not in text

    app = create_app(db, CAL, Today(), scan_now=lambda: scan(work(db), MONDAY, CAL), clock_control=False)
    async with api_client(app, Role.SUPERVISOR, Role.OPERATOR, base_url="http://s") as client:
        served = (await client.get("/figures", params={"by": "department"})).json()
        assert (await client.get("/figures", params={"by": "applicant"})).status_code == 422
    assert served == [{k: market[k] for k in served[0]}]  # the API and the analytics topic say the same
    documented = app.openapi()["components"]["schemas"]["FigurePublic"]["properties"]
    assert "Cases" in documented["cases"]["description"] and "Item clocks" in documented["items_finished"]["description"]
    assert documented["finished"]["deprecated"] is True
    assert "per 100 cases" in documented["red_per_100"]["description"]
