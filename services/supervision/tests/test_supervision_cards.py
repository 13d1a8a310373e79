"""Supervision on the real PostgreSQL: a case runs late and gets its yellow card, then its red card and
supervision order, each exactly once however often facts are redelivered or the scan runs; the applicant's
waiting time is suspended; extensions and calendar changes move open deadlines; the projection names the
department blocking the case; item clocks run on the items' promised limits (承诺时限)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest
from sqlmodel import select

from contracts.days import CHINA_TZ
from contracts.dispatch.v1 import (
    Deficiency,
    FindingBeyondList,
    Outcome,
    RequestUndeliverable,
    ReviewConcluded,
    TaskReleased,
)
from contracts.dispatch.v2 import TaskConcluded
from contracts.envelope import Envelope, EventPayload, canonical_bytes
from contracts.gateway.v1 import CallbackParked
from contracts.intake.v1 import (
    Applicant,
    CaseAccepted,
    CaseCorrected,
    CaseDelivered,
    CaseItem,
    Channel,
    DeliveredItem,
    DeliveryMethod,
)
from contracts.supervision.clocks import case_clock_id, item_clock, item_clock_id
from contracts.workdays import WorkingCalendar, national_calendar
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.db.service_work import Opener
from exchange.testing.access import AuthorisedClient
from exchange.testing.case_stream import on_the_case_stream
from exchange.testing.outbox import outbox
from supervision.adapters.tables import SupervisionClock
from supervision.adapters.views import case_view
from supervision.entrypoints.api import create_app
from supervision.entrypoints.consumers import handlers
from supervision.service_layer.handlers import CaseStream
from supervision.service_layer.scan import scan
from supervision.service_layer.today import Today
from supervision.service_layer.unit_of_work import SupervisionUnitOfWork, supervision_work

pytestmark = pytest.mark.integration

CAL = national_calendar()
MONDAY = date(2026, 3, 2)  # an ordinary week: no holiday near it
CASE = "OT20260302SUPERVISE01"
# A chain: business licence (market, 3 days) → seal (police, 1 day); and invoices (tax, 2 days) in parallel.
ITEMS = {"E-01-01": ("market", (), 3), "E-01-02": ("police", ("E-01-01",), 1), "E-01-03": ("tax", (), 2)}


def work(database: Database) -> Opener[SupervisionUnitOfWork]:
    """Supervision's own transactions on ``database``, as production hands them to the scan."""
    return partial(supervision_work, database)


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), CHINA_TZ).astimezone(UTC)


def accepted(case_id: str = CASE, limit: int = 3) -> CaseAccepted:
    return CaseAccepted(
        case_id=case_id, bundle_code="E-01", bundle_name_zh="企业开办一件事", bundle_name_en="Enterprise opening",
        catalogue_version="test", lead_department="market",
        applicant=Applicant(name="湖南某公司", id_type="uscc", id_number="91350100M000100Y43"),
        channel=Channel.WINDOW, delivery_method=DeliveryMethod.WINDOW, window_id="W03", staff_id="S007",
        items=tuple(CaseItem(item_code=c, name_zh=c, name_en=c, department=d, time_limit_days=n, requires=r)
                    for c, (d, r, n) in ITEMS.items()),
        form={}, accepted_at=at(MONDAY), accepted_on=MONDAY, limit_days=limit,
        due_on=CAL.add_working_days(MONDAY, limit),
    )


def released(code: str, day: date, case_id: str = CASE) -> TaskReleased:
    dept, _, limit = ITEMS[code]
    return TaskReleased(case_id=case_id, task_id=f"{case_id}/{code}", item_code=code, department=dept, attempt=1,
                        time_limit_days=limit, released_at=at(day))


def concluded(code: str, day: date, case_id: str = CASE) -> TaskConcluded:
    return TaskConcluded(case_id=case_id, task_id=f"{case_id}/{code}", item_code=code, department=ITEMS[code][0],
                         attempt=1, outcome=Outcome.APPROVED, concluded_at=at(day))


@pytest.fixture
async def db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("supervision")


async def feed(database: Database, payload: EventPayload, *, times: int = 1, calendar: WorkingCalendar = CAL,
               when: datetime | None = None) -> None:
    payload = on_the_case_stream(payload)
    handler = handlers(CaseStream(calendar))[payload.event_type]
    envelope = Envelope.wrap(payload, source="x", subject=CASE)
    if when is not None:
        envelope = envelope.model_copy(update={"time": when})
    for _ in range(times):  # the same envelope again: a redelivery
        async with database.unit_of_work(cause=envelope) as uow:
            await handler(uow, envelope, payload)


async def events(database: Database, event_type: str) -> list[dict[str, Any]]:
    return [{**r.envelope["data"], "_id": r.event_id} for r in await outbox(database, event_type)]


async def test_a_late_item_gets_its_yellow_then_its_red_card_and_an_order_once(api_client: AuthorisedClient, db: Database) -> None:
    await feed(db, accepted(), times=2)
    await feed(db, released("E-01-01", MONDAY), times=2)  # due Thursday 5 March
    assert (await scan(work(db), MONDAY, CAL)).yellow == 0

    wednesday = MONDAY + timedelta(days=2)
    first = await scan(work(db), wednesday, CAL)  # one working day left on the item; the case clock too
    assert (first.yellow, first.red) == (2, 0)
    again = await scan(work(db), wednesday, CAL)  # a second scanner, or a restart: nothing new
    assert (again.yellow, again.red) == (0, 0)

    friday = MONDAY + timedelta(days=4)
    late = await scan(work(db), friday, CAL)
    assert (late.yellow, late.red, late.orders) == (0, 2, 2)
    for _ in range(3):
        assert (await scan(work(db), friday + timedelta(days=7), CAL)).red == 0

    cards = await events(db, "supervision.card.issued")
    assert sorted((c["item_code"] or "case", c["colour"]) for c in cards) == [
        ("E-01-01", "red"), ("E-01-01", "yellow"), ("case", "red"), ("case", "yellow")]
    item_red = next(c for c in cards if c["item_code"] == "E-01-01" and c["colour"] == "red")
    assert (item_red["department"], item_red["reason"], item_red["due_on"]) == ("market", "overdue", "2026-03-05")
    case_card = next(c for c in cards if c["item_code"] is None and c["colour"] == "yellow")
    assert case_card["staff_id"] == "S007" and "一件事整体时限" in case_card["text_zh"]
    orders = await events(db, "supervision.order.issued")
    assert len(orders) == 2 and {o["card_id"] for o in orders} == {c["card_id"] for c in cards if c["colour"] == "red"}
    assert all(o["respond_by"] == CAL.add_working_days(friday, 3).isoformat() for o in orders)
    assert len({c["_id"] for c in cards}) == 4  # deterministic ids: a replay is deduplicated downstream too

    # Concluded late: the clock stops; no more cards for it, and the view says it was late.
    await feed(db, concluded("E-01-01", friday))
    app = create_app(db, CAL, Today(), scan_now=lambda: scan(work(db), friday, CAL), clock_control=False)
    async with api_client(app, Role.SUPERVISOR, Role.OPERATOR, base_url="http://s") as client:
        view = (await client.get(f"/cases/{CASE}/supervision")).json()
        forbidden = await client.post("/clock/advance", json={"days": 3})
    item = next(c for c in view["clocks"] if c["item_code"] == "E-01-01")
    assert (item["state"], item["on_time"], item["finished_on"]) == ("finished", False, friday.isoformat())
    assert len(view["cards"]) == 4 and len(view["orders"]) == 2
    assert forbidden.status_code == 403


async def test_waiting_for_the_applicant_suspends_the_case_clock(db: Database) -> None:
    await feed(db, accepted(limit=3))  # due Thursday 5 March
    deficiency = Deficiency(item_code="E-01-01", department="market", kind="field", code="x", reason_zh="r",
                            reason_en="r")
    await feed(db, ReviewConcluded(case_id=CASE, round=1, deficiencies=(deficiency,), concluded_at=at(MONDAY)), times=2)
    # Suspended: no card even long after the original due date.
    assert (await scan(work(db), MONDAY + timedelta(days=9), CAL)).yellow == 0
    await feed(db, CaseCorrected(case_id=CASE, item_codes=("E-01-01",), round=1),
               when=at(MONDAY + timedelta(days=3)), times=2)  # answered on Thursday: 3 working days waited
    [suspended, resumed] = await events(db, "supervision.clock.adjusted")
    assert (suspended["kind"], resumed["kind"], resumed["days"]) == ("suspended", "resumed", 3)
    assert resumed["due_on"] == "2026-03-10"  # Thursday 5 March + 3 working days
    assert (await scan(work(db), date(2026, 3, 9), CAL)).yellow == 1  # one working day left again


async def test_an_extension_is_recorded_with_reason_and_the_approving_supervisor(
        api_client: AuthorisedClient, db: Database) -> None:
    await feed(db, accepted())
    await feed(db, released("E-01-03", MONDAY))  # invoices, due Wednesday
    today = Today()
    app = create_app(db, CAL, today, scan_now=lambda: scan(work(db), today(), CAL), clock_control=True)
    clock_id = item_clock_id(f"{CASE}/E-01-03", 1)
    async with api_client(app, Role.SUPERVISOR, base_url="http://s", subject="supervisor.li-ming") as client:
        document = (await client.get("/openapi.json")).json()  # the example a person would send from /docs
        body = document["paths"]["/clocks/{clock_id}/extensions"]["post"]["requestBody"]["content"][
            "application/json"]["examples"]["site_inspection"]["value"]
        assert body["days"] == 2
        assert (await client.post(f"/clocks/{clock_id}/extensions", json={**body, "approver": "anyone"})
                ).status_code == 422, "the approver is who asks, never a body field"
        response = await client.post(f"/clocks/{clock_id}/extensions", json=body)
        assert response.status_code == 201
        assert response.json()["due_on"] == "2026-03-06"  # Wednesday + 2 working days
        assert (await client.post(f"/clocks/{clock_id}/extensions", json={"days": 0, "reason_zh": "xx"})
                ).status_code == 422
        assert (await client.post("/clocks/nope/extensions", json={"days": 1, "reason_zh": "xx"})).status_code == 404
    [extended] = await events(db, "supervision.clock.adjusted")
    assert (extended["kind"], extended["days"], extended["approver"]) == ("extended", 2, "supervisor.li-ming")
    # The projection follows the extended clock: on Thursday the invoices are no longer overdue.
    thursday = MONDAY + timedelta(days=3)
    view = await case_view(db, CASE, thursday, CAL)
    assert view is not None
    assert {c["item_code"]: c["state"] for c in view["clocks"]} == {"E-01-03": "running"}
    assert view["projection"]["blocking_item"] == "E-01-01"  # the critical path, not an overdue item


async def test_a_calendar_change_moves_open_deadlines(db: Database) -> None:
    await feed(db, accepted())
    await feed(db, released("E-01-01", MONDAY))  # due Thursday 5 March
    local = CAL.with_changes("某县临时放假", holidays=frozenset({date(2026, 3, 4)}))  # Wednesday off there
    result = await scan(work(db), MONDAY, local)
    assert result.reprojected == 2  # the item's clock and the case's clock
    moved = {e["item_code"]: e["due_on"] for e in await events(db, "supervision.clock.adjusted")}
    assert moved == {"E-01-01": "2026-03-06", None: "2026-03-06"}
    assert (await scan(work(db), MONDAY, local)).reprojected == 0  # once


async def test_projection_names_the_blocking_department(api_client: AuthorisedClient, db: Database) -> None:
    await feed(db, accepted(limit=3))
    for code in ("E-01-01", "E-01-03"):
        await feed(db, released(code, MONDAY))
    await feed(db, concluded("E-01-03", MONDAY + timedelta(days=1)))
    app = create_app(db, CAL, Today(), scan_now=lambda: scan(work(db), MONDAY, CAL), clock_control=False)
    async with api_client(app, Role.SUPERVISOR, Role.OPERATOR, base_url="http://s") as client:
        view = (await client.get(f"/cases/{CASE}/supervision")).json()
        assert (await client.get("/cases/nope/supervision")).status_code == 404
    projection = view["projection"]
    # The licence (market, due Thursday) then the seal (police, 1 day): Friday 6 March, blocked by market.
    assert projection["critical_path"] == ["E-01-01", "E-01-02"]
    assert projection["blocking_department"] == "market" and projection["blocking_department_zh"] == "市场监督管理局"
    assert date.fromisoformat(projection["completion"]) >= date(2026, 3, 6)
    assert view["case_clock"]["clock_id"] == case_clock_id(CASE)


async def test_a_request_beyond_the_list_gets_a_red_card_and_a_forced_stop_once(db: Database) -> None:
    await feed(db, accepted())
    finding = FindingBeyondList(case_id=CASE, item_code="E-01-01", department="market", kind="material",
                                code="房屋产权证明原件", reason_zh="请提交房屋产权证明原件", found_at=at(MONDAY))
    await feed(db, finding, times=3)
    [card] = await events(db, "supervision.card.issued")
    assert (card["colour"], card["reason"], card["department"], card["staff_id"]) == ("red", "beyond_list", "market",
                                                                                     "S007")
    assert "清单外" in card["text_zh"] and "房屋产权证明原件" in card["text_zh"]
    [order] = await events(db, "supervision.order.issued")
    assert order["kind"] == "forced_stop" and "强制停止" in order["text_zh"]


async def test_a_request_parked_as_undeliverable_gets_one_yellow_card_per_parking(db: Database) -> None:
    """无法送达: dispatch gave up re-sending a request nobody receipted; the department is carded once, however often
    the fact is repeated, and again if the operator's re-drive went unreceipted too."""
    await feed(db, accepted())
    parked = RequestUndeliverable(request_id=uuid5(NAMESPACE_URL, "parked"), case_id=CASE, item_code="E-01-01",
                                  department="market", kind="handling", sends=6, first_sent_at=at(MONDAY),
                                  parked_at=at(MONDAY))
    await feed(db, parked, times=3)
    [card] = await events(db, "supervision.card.issued")
    assert (card["colour"], card["reason"], card["department"], card["item_code"], card["staff_id"]) == (
        "yellow", "undeliverable", "market", "E-01-01", "S007")
    assert "无法送达" in card["text_zh"] and str(parked.request_id) in card["text_zh"] and "6 次" in card["text_zh"]
    assert "re-drive" in card["text_en"]
    await feed(db, parked.model_copy(update={"parking": 2}), times=2)  # re-driven, and parked again
    assert len(await events(db, "supervision.card.issued")) == 2
    assert await events(db, "supervision.order.issued") == []  # a warning, not an overdue order
    view = await case_view(db, CASE, MONDAY, CAL)
    assert view is not None and [c["reason"] for c in view["cards"]] == ["undeliverable", "undeliverable"]


async def test_a_callback_the_gateway_parked_gets_one_yellow_card_per_parking(db: Database) -> None:
    """回调无法送达: the gateway holds and receipted the request, but the department's system took none of its
    pushes; carded once however often the fact comes, and again for another parking."""
    await feed(db, accepted())
    parked = CallbackParked(request_id=uuid5(NAMESPACE_URL, "pushed"), case_id=CASE, item_code="E-01-01",
                            department="market", kind="review", attempts=8, parked_at=at(MONDAY))
    await feed(db, parked, times=2)
    await feed(db, parked)  # the same parking, announced again
    [card] = await events(db, "supervision.card.issued")
    assert (card["colour"], card["reason"], card["department"], card["item_code"]) == (
        "yellow", "undeliverable", "market", "E-01-01")
    assert "回调无法送达" in card["text_zh"] and "8 次" in card["text_zh"] and "gateway" in card["text_en"]
    await feed(db, parked.model_copy(update={"parked_at": at(MONDAY + timedelta(days=1))}))  # re-driven, parked again
    assert len(await events(db, "supervision.card.issued")) == 2


async def test_every_fact_of_a_case_is_in_the_audit_trail_once_with_its_evidence(api_client: AuthorisedClient, db: Database) -> None:
    stream = handlers(CaseStream(CAL))
    facts = [on_the_case_stream(accepted()), released("E-01-01", MONDAY), concluded("E-01-01", MONDAY + timedelta(days=1))]
    envelopes = [Envelope.wrap(f, source=s, subject=CASE) for f, s in zip(facts, ("intake", "dispatch", "dispatch"),
                                                                          strict=True)]
    for envelope, fact in [*zip(envelopes, facts, strict=True), (envelopes[1], facts[1])]:  # one redelivered
        async with db.unit_of_work(cause=envelope) as uow:
            await stream[fact.event_type](uow, envelope, fact)
    app = create_app(db, CAL, Today(), scan_now=lambda: scan(work(db), MONDAY, CAL), clock_control=False)
    async with api_client(app, Role.SUPERVISOR, Role.OPERATOR, base_url="http://s") as client:
        trail = (await client.get(f"/cases/{CASE}/audit")).json()
        assert (await client.get("/cases/nope/audit")).status_code == 404
    assert [(t["event_type"], t["actor"], t["item_code"]) for t in trail] == [
        ("intake.case.registered", "intake", None), ("dispatch.task.released", "dispatch", "E-01-01"),
        ("dispatch.task.concluded", "dispatch", "E-01-01")]
    for row, envelope in zip(trail, envelopes, strict=True):
        assert row["evidence_sha256"] == hashlib.sha256(canonical_bytes(envelope.to_wire())).hexdigest()


async def test_a_resubmission_and_a_material_asked_again_are_flagged_once(api_client: AuthorisedClient, db: Database) -> None:
    await feed(db, accepted())
    again = accepted(case_id="OT20260302SUPERVISE02").model_copy(update={"items": accepted().items[:1]})
    await feed(db, again, times=2)
    [resubmitted] = await events(db, "supervision.repeat.flagged")
    assert (resubmitted["case_id"], resubmitted["kind"], resubmitted["other_case_id"], resubmitted["item_codes"]) == (
        "OT20260302SUPERVISE02", "resubmitted", CASE, ["E-01-01"])
    asked = FindingBeyondList(case_id=CASE, item_code="E-01-01", department="market", kind="material",
                              code="E-01-01-M2", reason_zh="请提交营业执照复印件", found_at=at(MONDAY), already_held=True)
    await feed(db, asked, times=2)
    flags = await events(db, "supervision.repeat.flagged")
    assert [f["kind"] for f in flags] == ["resubmitted", "asked_again"]
    assert flags[1]["department"] == "market" and "重复索要" in flags[1]["text_zh"]
    app = create_app(db, CAL, Today(), scan_now=lambda: scan(work(db), MONDAY, CAL), clock_control=False)
    async with api_client(app, Role.SUPERVISOR, Role.OPERATOR, base_url="http://s") as client:
        view = (await client.get(f"/cases/{CASE}/supervision")).json()
    assert [f["kind"] for f in view["flags"]] == ["asked_again"] and view["orders"][0]["kind"] == "forced_stop"


# --- 承诺时限: item clocks run on the items' promised limits (their shares of the case's R-05 limit) and record the
# statutory ones beside them, so a chain whose items all keep their promises brings the case in on time. On
# statutory item limits the 20-day licence alone outran the 7-day case.

# A chain: food licence (market, 20 days) → sign permit (urban management, 5 days): ⌊0.3 × 25⌋ = 7 working days,
# promised 6 + 1; fire inspection (fire rescue, 2 days) in parallel, promised its own 2.
PROMISED = {"L": ("market", (), 20, 6), "S": ("urban-management", ("L",), 5, 1), "F": ("fire-rescue", (), 2, 2)}
PROMISED_LIMIT = 7


def accepted_with_promises() -> CaseAccepted:
    return CaseAccepted(
        case_id=CASE, bundle_code="E-02", bundle_name_zh="开办餐饮店", bundle_name_en="Opening a restaurant",
        catalogue_version="test", lead_department="market",
        applicant=Applicant(name="津市某粉面馆", id_type="uscc", id_number="91350100M000100Y43"),
        channel=Channel.WINDOW, delivery_method=DeliveryMethod.WINDOW,
        items=tuple(CaseItem(item_code=c, name_zh=c, name_en=c, department=d, time_limit_days=n, requires=r,
                             promised_limit_days=p) for c, (d, r, n, p) in PROMISED.items()),
        form={}, accepted_at=at(MONDAY), accepted_on=MONDAY, limit_days=PROMISED_LIMIT,
        due_on=CAL.add_working_days(MONDAY, PROMISED_LIMIT),
    )


def released_with_promise(code: str, day: date) -> TaskReleased:
    dept, _, statutory, promised = PROMISED[code]
    return TaskReleased(case_id=CASE, task_id=f"{CASE}/{code}", item_code=code, department=dept, attempt=1,
                        time_limit_days=statutory, promised_limit_days=promised, released_at=at(day))


def concluded_on_promise(code: str, day: date) -> TaskConcluded:
    return TaskConcluded(case_id=CASE, task_id=f"{CASE}/{code}", item_code=code, department=PROMISED[code][0],
                         attempt=1, outcome=Outcome.APPROVED, concluded_at=at(day))


async def test_item_clocks_run_on_their_promises_and_the_case_keeps_its_limit(api_client: AuthorisedClient, db: Database) -> None:
    case_due = CAL.add_working_days(MONDAY, PROMISED_LIMIT)  # Wednesday 11 March
    await feed(db, accepted_with_promises())
    await feed(db, released_with_promise("L", MONDAY))
    await feed(db, released_with_promise("F", MONDAY))
    # An item clock's start is not announced: the release says it all, and readers derive the same clock from it.
    assert [e for e in await events(db, "supervision.clock.started") if e["kind"] == "item"] == []
    view = await case_view(db, CASE, MONDAY, CAL)
    assert view is not None
    kept = {c["item_code"]: (c["clock_id"], c["budget_days"], c["statutory_days"], c["due_on"]) for c in view["clocks"]}
    assert kept == {"L": (item_clock_id(f"{CASE}/L", 1), 6, 20, date(2026, 3, 10)),
                    "F": (item_clock_id(f"{CASE}/F", 1), 2, 2, date(2026, 3, 4))}
    derived = {c: item_clock(f"{CASE}/{c}", 1, at(MONDAY), PROMISED[c][3], CAL) for c in kept}
    assert {c: (d.clock_id, d.due_on) for c, d in derived.items()} == {c: (k[0], k[3]) for c, k in kept.items()}

    # Every item takes its whole promise, each released the day its prerequisite concludes.
    await feed(db, concluded_on_promise("F", date(2026, 3, 4)))
    licence_day = date(2026, 3, 10)
    await feed(db, concluded_on_promise("L", licence_day))
    await feed(db, released_with_promise("S", licence_day))
    await feed(db, concluded_on_promise("S", date(2026, 3, 11)))
    await feed(db, CaseDelivered(case_id=CASE, method=DeliveryMethod.WINDOW, delivered_at=at(case_due), items=tuple(
        DeliveredItem(item_code=c, department=d, outcome="approved") for c, (d, *_) in PROMISED.items())))
    day = MONDAY
    while day <= case_due:
        assert (await scan(work(db), day, CAL)).red == 0, day
        day += timedelta(days=1)

    stopped = {e["item_code"] or "case": e for e in await events(db, "supervision.clock.stopped")}
    assert {c: e["on_time"] for c, e in stopped.items()} == {"F": True, "L": True, "S": True, "case": True}
    assert stopped["case"]["due_on"] == case_due.isoformat()

    app = create_app(db, CAL, Today(), scan_now=lambda: scan(work(db), case_due, CAL), clock_control=False)
    async with api_client(app, Role.SUPERVISOR, Role.OPERATOR, base_url="http://s") as client:
        view = (await client.get(f"/cases/{CASE}/supervision")).json()
        clocks = (await client.get(f"/cases/{CASE}/clocks")).json()
    assert {c["item_code"]: (c["statutory_days"], c["budget_days"]) for c in view["clocks"]} == {
        "F": (2, 2), "L": (20, 6), "S": (5, 1)}
    assert {c["item_code"]: (c["statutory_working_days"], c["limit_working_days"]) for c in clocks} == {
        "F": (2, 2), "L": (20, 6), "S": (5, 1)}
    assert view["case_clock"]["statutory_days"] is None  # the case runs on R-05, no one item's statute


async def test_the_projection_plans_waiting_items_on_their_promises(db: Database) -> None:
    await feed(db, accepted_with_promises())
    view = await case_view(db, CASE, MONDAY, CAL)
    assert view is not None
    # nothing released yet: L (6) then S (1) from Monday is the case's own due date, not 25 working days later
    assert view["projection"]["completion"] == CAL.add_working_days(MONDAY, PROMISED_LIMIT)
    assert view["projection"]["critical_path"] == ["L", "S"]


async def test_a_release_without_a_promise_runs_on_the_statutory_limit(db: Database) -> None:
    """Events from before promises were carried: the promise is the statutory limit."""
    await feed(db, TaskReleased(case_id=CASE, task_id=f"{CASE}/L", item_code="L", department="market", attempt=1,
                                time_limit_days=20, released_at=at(MONDAY)))
    async with db.sessions() as session:
        (clock,) = (await session.exec(select(SupervisionClock))).all()
    assert (clock.limit_working_days, clock.statutory_working_days) == (20, 20)
    assert clock.due_on == CAL.add_working_days(MONDAY, 20)
