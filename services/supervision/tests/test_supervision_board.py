"""The supervision board's routes (电子监察看板): open cards across cases (``GET /cards``), the departments holding
late clocks (``GET /late-departments``) and the rectification clocks (``GET /rectification-clocks``), for
supervisors only; the rules behind them (``domain/board.py``); and the page itself at ``GET /`` with its assets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import pytest

from contracts.days import CHINA_TZ, china_today
from contracts.dispatch.v1 import Outcome, TaskReleased
from contracts.dispatch.v2 import TaskConcluded
from contracts.envelope import Envelope, EventPayload
from contracts.intake.v1 import Applicant, CaseAccepted, CaseItem, Channel, DeliveryMethod
from contracts.workdays import national_calendar
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.testing.access import AuthorisedClient
from exchange.testing.case_stream import on_the_case_stream
from supervision.domain.board import BoardCard, ClockNow, late_clocks_by_department, open_cards
from supervision.entrypoints.api import create_app
from supervision.entrypoints.consumers import handlers
from supervision.service_layer.handlers import CaseStream
from supervision.service_layer.scan import scan
from supervision.service_layer.today import Today
from supervision.service_layer.unit_of_work import supervision_work

CAL = national_calendar()
MONDAY = date(2026, 3, 2)  # an ordinary week: no holiday near it
CASE = "OT20260302BOARD0001"
# Two items side by side: the business licence (market, 3 days) and invoices (tax, 2 days).
ITEMS = {"E-01-01": ("market", 3), "E-01-03": ("tax", 2)}


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), CHINA_TZ).astimezone(UTC)


def accepted() -> CaseAccepted:
    return CaseAccepted(
        case_id=CASE, bundle_code="E-01", bundle_name_zh="企业开办一件事", bundle_name_en="Enterprise opening",
        catalogue_version="test", lead_department="market",
        applicant=Applicant(name="湖南某公司", id_type="uscc", id_number="91350100M000100Y43"),
        channel=Channel.WINDOW, delivery_method=DeliveryMethod.WINDOW, window_id="W03", staff_id="S007",
        items=tuple(CaseItem(item_code=c, name_zh=c, name_en=c, department=d, time_limit_days=n, requires=())
                    for c, (d, n) in ITEMS.items()),
        form={}, accepted_at=at(MONDAY), accepted_on=MONDAY, limit_days=5, due_on=CAL.add_working_days(MONDAY, 5),
    )


def released(code: str) -> TaskReleased:
    dept, limit = ITEMS[code]
    return TaskReleased(case_id=CASE, task_id=f"{CASE}/{code}", item_code=code, department=dept, attempt=1,
                        time_limit_days=limit, released_at=at(MONDAY))


def concluded(code: str, day: date) -> TaskConcluded:
    return TaskConcluded(case_id=CASE, task_id=f"{CASE}/{code}", item_code=code, department=ITEMS[code][0],
                         attempt=1, outcome=Outcome.APPROVED, concluded_at=at(day))


async def feed(database: Database, payload: EventPayload) -> None:
    payload = on_the_case_stream(payload)
    envelope = Envelope.wrap(payload, source="x", subject=CASE)
    async with database.unit_of_work(cause=envelope) as uow:
        await handlers(CaseStream(CAL))[payload.event_type](uow, envelope, payload)


@pytest.fixture
async def db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("supervision")


@pytest.mark.integration
async def test_a_supervisor_lists_open_cards_across_cases_and_the_departments_holding_late_clocks(
        api_client: AuthorisedClient, db: Database) -> None:
    work = partial(supervision_work, db)
    await feed(db, accepted())
    await feed(db, released("E-01-01"))  # due Thursday 5 March
    await feed(db, released("E-01-03"))  # due Wednesday 4 March
    await feed(db, concluded("E-01-03", MONDAY + timedelta(days=1)))  # tax answers in time
    following_tuesday = MONDAY + timedelta(days=8)  # 3 working days past the market's limit
    for day in (MONDAY + timedelta(days=2), following_tuesday):  # yellow on Wednesday, red the week after
        await scan(work, day, CAL)
    today = Today(offset_days=(following_tuesday - china_today()).days)  # the board judges as of that Tuesday
    app = create_app(db, CAL, today, scan_now=lambda: scan(work, following_tuesday, CAL), clock_control=False)

    async with api_client(app, base_url="http://s") as anonymous, \
            api_client(app, Role.CLERK, base_url="http://s") as clerk, \
            api_client(app, Role.OPERATOR, base_url="http://s") as operator, \
            api_client(app, Role.SUPERVISOR, base_url="http://s") as supervisor:
        for path in ("/cards", "/late-departments", "/rectification-clocks"):
            assert (await anonymous.get(path)).status_code == 401
            assert (await clerk.get(path)).status_code == 403
            assert (await operator.get(path)).status_code == 403
        board = (await supervisor.get("/cards", params={"state": "open"})).json()
        every = (await supervisor.get("/cards", params={"state": "all"})).json()
        late = (await supervisor.get("/late-departments")).json()
        rectifications = (await supervisor.get("/rectification-clocks")).json()
        assert (await supervisor.get("/cards", params={"state": "closed"})).status_code == 422

    # One line per clock, its worst card: the market's red (its yellow superseded), the case's red; red first,
    # the furthest past first. The item clock that finished in time earned no card.
    [market, whole_case] = board
    assert (market["case_id"], market["item_code"], market["department"], market["colour"]) == (
        CASE, "E-01-01", "market", "red")
    assert (market["bundle_code"], market["clock_kind"], market["due_on"]) == ("E-01", "item", "2026-03-05")
    assert market["working_days_past"] == 3 and market["open"] is True
    assert market["department_zh"] == "市场监督管理局" and market["department_en"]
    [order] = market["orders"]
    assert order["kind"] == "overdue" and "督办" in order["text_zh"]
    assert (whole_case["item_code"], whole_case["clock_kind"], whole_case["colour"]) == (None, "case", "red")
    assert whole_case["working_days_past"] < market["working_days_past"]
    assert every == board, "every card is on a running clock"
    assert late == [{"department": "market", "department_zh": "市场监督管理局", "department_en": late[0]["department_en"],
                     "late_clocks": 1, "worst_working_days_past": 3}]
    assert rectifications == []

    # The market answers: its card is no longer open, but still among every card.
    await feed(db, concluded("E-01-01", following_tuesday))
    async with api_client(app, Role.SUPERVISOR, base_url="http://s") as supervisor:
        still_open = (await supervisor.get("/cards")).json()
        every = (await supervisor.get("/cards", params={"state": "all"})).json()
        assert (await supervisor.get("/late-departments")).json() == []
    assert [c["clock_kind"] for c in still_open] == ["case"]
    assert {(c["item_code"], c["open"]) for c in every} == {("E-01-01", False), (None, True)}


async def test_the_board_routes_are_documented_for_supervisors(db: Database) -> None:
    document = create_app(db, CAL, Today(), scan_now=lambda: scan(partial(supervision_work, db), MONDAY, CAL),
                          clock_control=False).openapi()
    for path in ("/cards", "/late-departments", "/rectification-clocks"):
        responses = document["paths"][path]["get"]["responses"]
        assert {"200", "401", "403"} <= set(responses), path
    [state] = document["paths"]["/cards"]["get"]["parameters"]
    assert state["name"] == "state" and state["schema"]["default"] == "open"
    card = document["components"]["schemas"]["BoardCardPublic"]["properties"]
    assert {"working_days_past", "department", "orders", "colour"} <= set(card)


async def test_the_board_page_and_its_assets_come_from_supervision_itself(db: Database, api_client: AuthorisedClient
                                                                          ) -> None:
    app = create_app(db, CAL, Today(), scan_now=lambda: scan(partial(supervision_work, db), MONDAY, CAL),
                     clock_control=False)
    async with api_client(app, base_url="http://s") as anyone:
        page = await anyone.get("/")
        script = await anyone.get("/board/board.js")
        chart = await anyone.get("/board/chart.umd.min.js")
        licence = await anyone.get("/board/LICENSE-chart.js.md")
        assert (await anyone.get("/board/index.html")).status_code == 404, "the page only with its own headers"
    assert page.status_code == 200 and "电子监察看板" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert chart.status_code == 200 and "Chart.js v4" in chart.text[:200]
    assert licence.status_code == 200 and "MIT" in licence.text


# ---- the rules, without a database ----------------------------------------------------------------------------

def _card(card_id: str, clock_id: str, colour: str, *, case_id: str = "C1", issued: int = 1) -> BoardCard:
    return BoardCard(card_id, clock_id, case_id, "I-1", "market", colour, "overdue" if colour == "red" else
                     "near_deadline", MONDAY + timedelta(days=issued), MONDAY, "…")


def _clock(clock_id: str, left: int, *, finished: bool = False, department: str = "market") -> ClockNow:
    return ClockNow(clock_id, department, "item", finished, MONDAY + timedelta(days=7), left)


def test_a_clock_shows_its_worst_card_once_red_first_and_the_furthest_past_first() -> None:
    cards = [_card("y1", "k1", "yellow"), _card("r1", "k1", "red", issued=3), _card("y2", "k2", "yellow"),
             _card("r3", "k3", "red", issued=2)]
    clocks = {"k1": _clock("k1", -1), "k2": _clock("k2", 1), "k3": _clock("k3", -4)}
    assert [(c.card_id, c.working_days_past) for c in open_cards(cards, clocks, frozenset())] == [
        ("r3", 4), ("r1", 1), ("y2", 0)]


def test_a_card_closes_with_its_clock_and_one_without_a_clock_with_its_case() -> None:
    cards = [_card("r1", "k1", "red"), _card("forced", "no-clock", "red", case_id="C2")]
    clocks = {"k1": _clock("k1", -2, finished=True)}
    assert [c.card_id for c in open_cards(cards, clocks, frozenset())] == ["forced"]
    assert open_cards(cards, clocks, frozenset({"C2"})) == []
    assert {(c.card_id, c.open) for c in open_cards(cards, clocks, frozenset({"C2"}), only_open=False)} == {
        ("r1", False), ("forced", False)}


def test_departments_are_ranked_by_their_late_clocks() -> None:
    clocks = [_clock("a", -1, department="tax"), _clock("b", -5, department="police"),
              _clock("c", -2, department="tax"), _clock("d", 3, department="health"),
              _clock("e", -9, department="hrss", finished=True)]
    assert [(c.department, c.late_clocks, c.worst_working_days_past) for c in late_clocks_by_department(clocks)] == [
        ("tax", 2, 2), ("police", 1, 5)]
