"""Supervision's case-stream use cases on its unit of work in memory (``fakes.py``): clocks start and stop once,
the case clock waits for the applicant, a request beyond the list earns one red card with a forced stop and a flag,
a parked request one yellow card per parking, a resubmission one flag; whatever is redelivered. The same handler
table the consumer runs; what goes out is read from the staged messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import NAMESPACE_URL, uuid5

import pytest

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
from contracts.envelope import Envelope, EventPayload
from contracts.examples import example
from contracts.intake.v1 import (
    Applicant,
    CaseAccepted,
    CaseItem,
    CaseRegistered,
    Channel,
    CorrectionFiled,
    DeliveryMethod,
)
from contracts.rating.v1 import RatingSubmitted
from contracts.supervision.clocks import case_clock_id, item_clock_id
from contracts.topics import CASE_STREAM
from contracts.workdays import national_calendar
from supervision.domain.errors import ClockNotFound
from supervision.service_layer.extensions import extend_clock
from supervision.service_layer.handlers import CaseStream, case_stream_use_cases
from supervision.service_layer.scan import scan

from .fakes import FakeSupervision

CAL = national_calendar()
MONDAY = date(2026, 3, 2)  # an ordinary week: no holiday near it
CASE = "OT20260302SUPERVISE01"
ITEMS = {"E-01-01": ("market", (), 3), "E-01-02": ("police", ("E-01-01",), 1)}
STREAM = CaseStream(CAL)


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), CHINA_TZ).astimezone(UTC)


def registered(case_id: str = CASE, items: tuple[str, ...] = tuple(ITEMS)) -> CaseRegistered:
    accepted = CaseAccepted(
        case_id=case_id, bundle_code="E-01", bundle_name_zh="企业开办一件事", bundle_name_en="Enterprise opening",
        catalogue_version="test", lead_department="market",
        applicant=Applicant(name="湖南某公司", id_type="uscc", id_number="91350100M000100Y43"),
        channel=Channel.WINDOW, delivery_method=DeliveryMethod.WINDOW, window_id="W03", staff_id="S007",
        items=tuple(CaseItem(item_code=c, name_zh=c, name_en=c, department=ITEMS[c][0], time_limit_days=ITEMS[c][2],
                             requires=ITEMS[c][1]) for c in items),
        form={}, accepted_at=at(MONDAY), accepted_on=MONDAY, limit_days=3, due_on=CAL.add_working_days(MONDAY, 3))
    return CaseRegistered.of(accepted, applicant_ref="applicant-ref", rater_key=None)


def released(code: str) -> TaskReleased:
    return TaskReleased(case_id=CASE, task_id=f"{CASE}/{code}", item_code=code, department=ITEMS[code][0], attempt=1,
                        time_limit_days=ITEMS[code][2], released_at=at(MONDAY))


USE_CASES = case_stream_use_cases(STREAM)  # the table the consumer runs


async def feed(store: FakeSupervision, payload: EventPayload, *, times: int = 1, when: datetime | None = None) -> None:
    envelope = Envelope.wrap(payload, source="x", subject=CASE)
    if when is not None:
        envelope = envelope.model_copy(update={"time": when})
    for _ in range(times):  # the same fact again: a redelivery past the inbox
        async with store.unit_of_work() as uow:
            await USE_CASES[payload.event_type](uow, envelope, payload)


async def test_a_release_starts_one_clock_and_its_conclusion_stops_it_once() -> None:
    store = FakeSupervision()
    await feed(store, registered(), times=2)
    await feed(store, released("E-01-01"), times=2)
    concluded = TaskConcluded(case_id=CASE, task_id=f"{CASE}/E-01-01", item_code="E-01-01", department="market",
                              attempt=1, outcome=Outcome.APPROVED, concluded_at=at(MONDAY))
    await feed(store, concluded, times=2)
    assert set(store.clocks) == {case_clock_id(CASE), item_clock_id(f"{CASE}/E-01-01", 1)}
    [case_clock] = store.staged("supervision.clock.started")  # the case's: the item's is the release's to say
    assert case_clock.envelope["data"]["kind"] == "case" and case_clock.key == CASE
    assert store.clocks[item_clock_id(f"{CASE}/E-01-01", 1)].due_on == date(2026, 3, 5)
    [stopped] = store.staged("supervision.clock.stopped")
    assert stopped.envelope["data"]["clock_id"] == item_clock_id(f"{CASE}/E-01-01", 1) and stopped.key == CASE
    assert stopped.envelope["data"]["on_time"] is True and stopped.envelope["data"]["handling_days"] == 0
    assert [(i.item_code, i.status) for i in store.cases[CASE].items] == [("E-01-01", "approved"), ("E-01-02", "waiting")]


async def test_the_case_clock_waits_for_the_applicant_once_per_notice() -> None:
    store = FakeSupervision()
    await feed(store, registered())
    missing = Deficiency(item_code="E-01-01", department="market", kind="material", code="M1", reason_zh="不清晰",
                         reason_en="not legible")
    notice = ReviewConcluded(case_id=CASE, round=1, deficiencies=(missing,), concluded_at=at(MONDAY))
    await feed(store, notice, times=2)
    await feed(store, CorrectionFiled(case_id=CASE, item_codes=("E-01-01",), round=1), times=2,
               when=at(date(2026, 3, 4)))
    adjusted = [s.envelope["data"] for s in store.staged("supervision.clock.adjusted")]
    assert [(a["kind"], a["days"], a["due_on"]) for a in adjusted] == [
        ("suspended", 0, "2026-03-05"), ("resumed", 2, "2026-03-09")]
    assert not store.clocks[case_clock_id(CASE)].ledger.suspended


async def test_a_request_beyond_the_list_earns_one_red_card_a_forced_stop_and_a_flag() -> None:
    store = FakeSupervision()
    await feed(store, registered())
    finding = FindingBeyondList(case_id=CASE, item_code="E-01-01", department="market", kind="material",
                                code="E-01-01-M2", reason_zh="请提交营业执照复印件", found_at=at(MONDAY), already_held=True)
    await feed(store, finding, times=3)
    [card] = [s.envelope["data"] for s in store.staged("supervision.card.issued")]
    [order] = [s.envelope["data"] for s in store.staged("supervision.order.issued")]
    [flag] = [s.envelope["data"] for s in store.staged("supervision.repeat.flagged")]
    assert (card["colour"], card["reason"], card["staff_id"]) == ("red", "beyond_list", "S007")
    assert (order["kind"], order["card_id"]) == ("forced_stop", card["card_id"])
    assert flag["kind"] == "asked_again" and "重复索要" in flag["text_zh"]


async def test_a_parked_request_earns_one_yellow_card_per_parking() -> None:
    store = FakeSupervision()
    await feed(store, registered())
    for parking in (1, 1, 2):
        await feed(store, RequestUndeliverable(
            request_id=uuid5(NAMESPACE_URL, "parked"), case_id=CASE, item_code="E-01-01", department="market",
            kind="handling", sends=6, first_sent_at=at(MONDAY), parked_at=at(MONDAY), parking=parking))
    cards = [s.envelope["data"] for s in store.staged("supervision.card.issued")]
    assert [(c["colour"], c["reason"]) for c in cards] == [("yellow", "undeliverable")] * 2


async def test_a_resubmission_is_flagged_against_the_open_case() -> None:
    store = FakeSupervision()
    await feed(store, registered())
    await feed(store, registered("OT20260302SUPERVISE02", ("E-01-02",)), times=2)
    [flag] = [s.envelope["data"] for s in store.staged("supervision.repeat.flagged")]
    assert (flag["kind"], flag["other_case_id"], flag["item_codes"]) == ("resubmitted", CASE, ["E-01-02"])


async def test_a_use_case_that_raises_leaves_nothing() -> None:
    store = FakeSupervision()
    try:
        async with store.unit_of_work() as uow:
            await STREAM.case_registered(uow, Envelope.wrap(registered(), source="x", subject=CASE), registered())
            raise RuntimeError("the transaction fails after the use case")
    except RuntimeError:
        pass
    assert store.clocks == {} and store.cases == {} and store.outbox == []


async def test_every_case_stream_fact_is_audited_once_with_what_it_moves() -> None:
    store = FakeSupervision()
    await feed(store, registered(), times=2)  # acted on: a case clock, and its record
    rated = example(RatingSubmitted)  # kept only
    await feed(store, rated, times=2)
    assert len(store.audited) == 2 and set(USE_CASES) == set(CASE_STREAM.event_types)
    [case_clock] = store.staged("supervision.clock.started")
    assert case_clock.envelope["data"]["kind"] == "case"


# The scan and a supervisor's extension, each in supervision's own transactions (the outbox, the HTTP edge and the
# calendar's reprojection on PostgreSQL in ``test_supervision_cards.py``)


async def test_the_scan_issues_each_card_once_a_transaction_per_clock() -> None:
    store = FakeSupervision()
    await feed(store, registered())
    await feed(store, released("E-01-01"))  # due Thursday 5 March, as the case
    quiet = await scan(store.unit_of_work, MONDAY, CAL)
    assert (quiet.clocks, quiet.yellow, quiet.red) == (2, 0, 0)
    wednesday, friday = date(2026, 3, 4), date(2026, 3, 6)
    first = await scan(store.unit_of_work, wednesday, CAL)  # one working day left on the item and the case
    assert (first.yellow, first.red) == (2, 0)
    again = await scan(store.unit_of_work, wednesday, CAL)  # a second scanner, or a restart: nothing new
    assert (again.yellow, again.red) == (0, 0)
    late = await scan(store.unit_of_work, friday, CAL)
    assert (late.yellow, late.red, late.orders) == (0, 2, 2)
    cards = [s.envelope["data"] for s in store.staged("supervision.card.issued")]
    assert sorted((c["item_code"] or "case", c["colour"]) for c in cards) == [
        ("E-01-01", "red"), ("E-01-01", "yellow"), ("case", "red"), ("case", "yellow")]
    assert len(store.staged("supervision.order.issued")) == 2


async def test_an_extension_moves_the_due_date_and_one_of_an_unknown_clock_leaves_nothing() -> None:
    store = FakeSupervision()
    await feed(store, registered())
    await feed(store, released("E-01-01"))  # due Thursday 5 March
    clock_id = item_clock_id(f"{CASE}/E-01-01", 1)
    async with store.unit_of_work() as uow:
        extended = await extend_clock(uow, clock_id, 2, "需现场核查", "supervisor.li-ming", MONDAY, CAL)
    assert extended.due_on == store.clocks[clock_id].due_on == date(2026, 3, 9)
    [adjusted] = store.staged("supervision.clock.adjusted")
    data = adjusted.envelope["data"]
    assert (data["kind"], data["days"], data["approver"]) == ("extended", 2, "supervisor.li-ming")
    assert (await scan(store.unit_of_work, date(2026, 3, 4), CAL)).yellow == 1  # the case clock's only
    outbox = list(store.outbox)
    with pytest.raises(ClockNotFound):
        async with store.unit_of_work() as uow:
            await extend_clock(uow, "nope", 1, "核查", "supervisor.li-ming", MONDAY, CAL)
    assert store.outbox == outbox
