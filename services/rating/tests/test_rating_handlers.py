"""Rating's use cases on its unit of work in memory (``fakes.py``): invitations at acceptance and delivery, once each;
one rating per invited touchpoint, by the applicant or a relative or agent only; a bad review's order through
report, call-back, closure and appeal, each step by whom the rules allow; supervision's clock, cards and orders
followed; the latest figures kept. The use cases are the ones the consumers and routes call (``RatingLoop``,
``figures_updated``); what goes out is read from the staged messages. The same aggregates and messages as in
production; the tables, outbox, views and routes are covered on PostgreSQL in ``test_rating_api.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, TypeVar
from uuid import NAMESPACE_URL, uuid5

import pytest

from contracts.envelope import Envelope, EventPayload
from contracts.identifiers import make_resident_id
from contracts.intake.v1 import (
    Applicant,
    CaseAccepted,
    CaseDelivered,
    CaseItem,
    CaseRegistered,
    Channel,
    DeliveredItem,
    DeliveryMethod,
    Proxy,
    rater_digest,
)
from contracts.rating.v1 import Evidence, FigureBy, FigurePeriod, RatingFigures, RatingLevel, Touchpoint
from contracts.supervision.v1 import CardIssued, ClockAdjusted, ClockKind, ClockStarted, OrderIssued
from contracts.topics import CASE_STREAM, RATING_EVENTS
from rating.domain.errors import (
    AlreadyRated,
    CaseUnknown,
    NotAnswerable,
    NotInvited,
    NotSupervisor,
    OrderUnknown,
    OwnOrder,
    UnrelatedRater,
    WrongState,
)
from rating.domain.model import Order, appeal_id_for, invitation_id_for, rectification_id_for
from rating.domain.ratings import RatingInput, rating_id_for
from rating.domain.rectification import CallbackOutcome, State
from rating.service_layer.figures import figures_updated
from rating.service_layer.handlers import LoopPolicy, RatingLoop
from rating.service_layer.unit_of_work import RatingUnitOfWork

from .fakes import FakeRating

CASE = "OT20260112RATING000001"
APPLICANT = make_resident_id("430102", date(1990, 1, 1), 1)
RELATIVE = make_resident_id("430102", date(1962, 5, 5), 2)
STAFF_PROXY = make_resident_id("430102", date(1985, 3, 3), 5)
STRANGER = make_resident_id("430102", date(1970, 7, 7), 9)
KEY = b"k" * 32  # the raters' key intake and rating share
TODAY = date(2026, 1, 14)
ACCEPTED_AT = datetime(2026, 1, 12, 2, tzinfo=UTC)
DELIVERED_AT = datetime(2026, 1, 13, 7, tzinfo=UTC)
ITEMS = (("P-01-03", "police"), ("P-01-01", "health"))  # as delivered: not in code order
POLICY = LoopPolicy(centre_department="approval", rectification_working_days=15,
                    supervisors=frozenset({"dept.approval", "supervision"}), max_unreachable_callbacks=2,
                    rater_key=KEY)
LOOP = RatingLoop(POLICY, lambda: TODAY)
POLICE, HEALTH, CENTRE, SUPERVISION = "dept.police", "dept.health", "dept.approval", "supervision"
EVIDENCE = (Evidence(title="整改报告", uri="dept://police/rectification/1.pdf", sha256="a" * 64),)

UseCase = Callable[[RatingUnitOfWork, Envelope, Any], Awaitable[None]]
T = TypeVar("T")


def registered(case_id: str = CASE, *, proxy: Proxy | None = None, key: bytes | None = KEY,
               window_id: str = "W-03") -> CaseRegistered:
    accepted = CaseAccepted(
        case_id=case_id, bundle_code="P-01", bundle_name_zh="新生儿出生一件事", bundle_name_en="A newborn's birth",
        catalogue_version="test", lead_department="health",
        applicant=Applicant(name="张三", id_type="resident_id", id_number=APPLICANT, phone="13800138000"),
        channel=Channel.WINDOW, delivery_method=DeliveryMethod.WINDOW,
        items=tuple(CaseItem(item_code=code, name_zh=code, name_en=code, department=dept, time_limit_days=5)
                    for code, dept in ITEMS),
        form={}, accepted_at=ACCEPTED_AT, accepted_on=ACCEPTED_AT.date(), window_id=window_id, staff_id="S-0012",
        proxy=proxy)
    return CaseRegistered.of(accepted, applicant_ref="applicant-ref", rater_key=key)


def delivered(case_id: str = CASE, at: datetime = DELIVERED_AT) -> CaseDelivered:
    return CaseDelivered(case_id=case_id, method=DeliveryMethod.WINDOW, delivered_at=at,
                         items=tuple(DeliveredItem(item_code=code, department=dept, outcome="approved")
                                     for code, dept in ITEMS))


def rating(level: RatingLevel = RatingLevel.SATISFIED, touchpoint: Touchpoint = Touchpoint.DELIVERY,
           item_code: str | None = None, *, rater: str | None = APPLICANT, **fields: Any) -> RatingInput:
    return RatingInput(case_id=CASE, touchpoint=touchpoint, item_code=item_code, level=level, rater_id_number=rater,
                       rated_via="device", **fields)


async def feed(store: FakeRating, use_case: UseCase, payload: EventPayload, *, times: int = 1) -> None:
    """``payload`` handed to ``use_case`` as the consumer would, ``times`` over (a redelivery past the inbox)."""
    envelope = Envelope.wrap(payload, source="tests", subject=getattr(payload, "case_id", "figures"))
    for _ in range(times):
        async with store.unit_of_work() as uow:
            await use_case(uow, envelope, payload)


async def run(store: FakeRating, step: Callable[[RatingUnitOfWork], Awaitable[T]]) -> T:
    """One transaction of rating's own, as a route opens it."""
    async with store.unit_of_work() as uow:
        return await step(uow)


async def rate(store: FakeRating, given: RatingInput, loop: RatingLoop = LOOP) -> None:
    await run(store, lambda uow: loop.submit_rating(uow, given))


async def delivered_case(store: FakeRating) -> None:
    await feed(store, LOOP.case_registered, registered())
    await feed(store, LOOP.case_delivered, delivered())


async def bad_review(store: FakeRating, item_code: str = "P-01-03") -> str:
    """A delivered case whose item got a bad review: the rectification id of its order."""
    await delivered_case(store)
    await rate(store, rating(RatingLevel.VERY_DISSATISFIED, Touchpoint.ITEM, item_code, tags=["slow"],
                             comment="来回跑了三趟"))
    return rectification_id_for(rating_id_for(CASE, Touchpoint.ITEM, item_code))


async def report(store: FakeRating, order_id: str, principal: str = POLICE) -> None:
    await run(store, lambda uow: LOOP.report(uow, order_id, principal, "约谈窗口人员，改为一次办结", EVIDENCE))


async def call_back(store: FakeRating, order_id: str, outcome: CallbackOutcome, principal: str = CENTRE) -> None:
    await run(store, lambda uow: LOOP.call_back(uow, order_id, principal, outcome, "申请人表示已改进"))


async def appeal(store: FakeRating, order_id: str, principal: str = POLICE) -> str:
    filed = await run(store, lambda uow: LOOP.file_appeal(uow, order_id, principal, "not_answerable",
                                                          "超时系申请人未按约定时间领证所致", EVIDENCE))
    return filed.appeal_id


async def decide(store: FakeRating, appeal_id: str, upheld: bool, principal: str = CENTRE) -> None:
    await run(store, lambda uow: LOOP.decide_appeal(uow, appeal_id, principal, upheld, "经核实"))


def sent(store: FakeRating, event_type: str | None = None) -> list[dict[str, Any]]:
    """What rating published, once each: every event goes on the case stream too (asserted for invitations,
    ratings and opened orders; the later steps take the same default topics)."""
    return [s.envelope["data"] for s in store.staged(event_type) if s.topic == RATING_EVENTS.name]


def event_id(*parts: object) -> str:
    """The deterministic id ``adapters.messages`` gives a step, so a repeat of it is the same event."""
    return str(uuid5(NAMESPACE_URL, "onething:" + ":".join(str(p) for p in parts)))


def order(store: FakeRating, order_id: str) -> Order:
    return store.orders[order_id]


# --- invitations (受理即邀评, 办完即评) -----------------------------------------------------------------------


async def test_a_registered_case_keeps_who_may_rate_and_invites_a_rating_of_its_acceptance() -> None:
    store = FakeRating()
    await feed(store, LOOP.case_registered,
               registered(proxy=Proxy(name="李四", id_number=RELATIVE, role="relative", free=True)))

    facts = store.cases[CASE].facts
    assert (facts.bundle_code, facts.lead_department, facts.channel, facts.window_id, facts.staff_id) == (
        "P-01", "health", "window", "W-03", "S-0012")
    assert facts.rater_digests == {rater_digest(CASE, APPLICANT, KEY), rater_digest(CASE, RELATIVE, KEY)}
    invitation_id = invitation_id_for(CASE, "acceptance")
    rows = store.staged("rating.invitation.sent")
    assert sorted((r.topic, r.key, r.event_id) for r in rows) == sorted(
        (topic.name, CASE, event_id("invitation-sent", invitation_id)) for topic in (CASE_STREAM, RATING_EVENTS))
    [invited] = sent(store)
    assert (invited["invitation_id"], invited["case_id"], invited["channel"]) == (invitation_id, CASE, "window")
    assert invited["touchpoints"] == [{"touchpoint": "acceptance", "item_code": None, "department": "approval"}]
    assert invited["invited_at"] == "2026-01-12T02:00:00Z"
    assert "「新生儿出生一件事」已受理" in invited["text_zh"] and "'A newborn's birth' was accepted" in invited["text_en"]
    assert APPLICANT not in str(rows) and RELATIVE not in str(rows)


@pytest.mark.parametrize(("role", "may_rate"), [("relative", True), ("agent", True), ("staff", False),
                                                 ("volunteer", False)])
async def test_only_a_relative_or_agent_acting_for_the_applicant_is_kept_as_a_rater(role: str, may_rate: bool) -> None:
    store = FakeRating()
    await feed(store, LOOP.case_registered,
               registered(proxy=Proxy(name="王五", id_number=STAFF_PROXY, role=role, free=True)))
    assert (rater_digest(CASE, STAFF_PROXY, KEY) in store.cases[CASE].facts.rater_digests) is may_rate
    assert rater_digest(CASE, APPLICANT, KEY) in store.cases[CASE].facts.rater_digests


async def test_a_case_registered_again_is_invited_once_and_kept_as_first_registered() -> None:
    store = FakeRating()
    await feed(store, LOOP.case_registered, registered(), times=2)  # redelivered
    await feed(store, LOOP.case_registered, registered(window_id="W-99"))  # re-announced under a new envelope
    assert len(sent(store, "rating.invitation.sent")) == 1
    assert len(store.cases[CASE].invitations) == 1 and store.cases[CASE].facts.window_id == "W-03"


async def test_delivery_invites_the_whole_one_thing_and_each_item_once() -> None:
    store = FakeRating()
    await feed(store, LOOP.case_registered, registered())
    await feed(store, LOOP.case_delivered, delivered(), times=2)
    await feed(store, LOOP.case_delivered, delivered(at=DELIVERED_AT + timedelta(days=1)))  # a late repeat

    assert store.cases[CASE].delivered_at == DELIVERED_AT
    acceptance, delivery = sent(store, "rating.invitation.sent")
    assert acceptance["invitation_id"] == invitation_id_for(CASE, "acceptance")
    assert delivery["invitation_id"] == invitation_id_for(CASE, "delivery")
    assert [(t["touchpoint"], t.get("item_code"), t["department"]) for t in delivery["touchpoints"]] == [
        ("delivery", None, "health"), ("item", "P-01-01", "health"), ("item", "P-01-03", "police")]
    assert delivery["invited_at"] == "2026-01-13T07:00:00Z" and "请对本次一件事办理" in delivery["text_zh"]
    [row] = [s for s in store.staged("rating.invitation.sent") if s.topic == RATING_EVENTS.name][1:]
    assert (row.key, row.event_id) == (CASE, event_id("invitation-sent", invitation_id_for(CASE, "delivery")))


async def test_a_delivery_of_a_case_never_registered_is_ignored() -> None:
    store = FakeRating()
    await feed(store, LOOP.case_delivered, delivered())
    assert store.cases == {} and store.outbox == []


# --- ratings (一事一号一评价) ------------------------------------------------------------------------------


async def test_a_good_rating_of_the_whole_one_thing_is_published_without_the_comment_or_an_order() -> None:
    store = FakeRating()
    await delivered_case(store)
    await rate(store, rating(RatingLevel.VERY_SATISFIED, tags=["efficient"], comment="一次办好"))

    rating_id = rating_id_for(CASE, Touchpoint.DELIVERY)
    kept = store.cases[CASE].ratings[rating_id]
    assert (kept.level, kept.department, kept.comment, kept.removed) == (
        RatingLevel.VERY_SATISFIED, "health", "一次办好", False)
    rows = store.staged("rating.rating.submitted")
    assert sorted((r.topic, r.key, r.event_id) for r in rows) == sorted(
        (topic.name, CASE, event_id("rating-submitted", rating_id)) for topic in (CASE_STREAM, RATING_EVENTS))
    [submitted] = sent(store, "rating.rating.submitted")
    assert submitted | {"submitted_at": None} == {
        "rating_id": rating_id, "case_id": CASE, "level": "very_satisfied", "tags": ["efficient"],
        "touchpoint": "delivery", "item_code": None, "department": "health", "bundle_code": "P-01", "channel": "window",
        "window_id": "W-03", "staff_id": "S-0012", "rated_via": "device", "submitted_at": None}
    assert "一次办好" not in str(rows) and APPLICANT not in str(rows)  # the comment and the rater stay here
    assert store.orders == {} and store.staged("rating.rectification.opened") == []


async def test_an_item_rating_names_its_department_and_not_the_window() -> None:
    store = FakeRating()
    await delivered_case(store)
    await rate(store, rating(RatingLevel.SATISFIED, Touchpoint.ITEM, "P-01-03"))
    [submitted] = sent(store, "rating.rating.submitted")
    assert (submitted["department"], submitted["item_code"]) == ("police", "P-01-03")
    assert (submitted["window_id"], submitted["staff_id"]) == (None, None)  # the window's staff answer for no item


async def test_a_bad_review_opens_one_order_to_the_answerable_department() -> None:
    store = FakeRating()
    order_id = await bad_review(store)

    opened = order(store, order_id)
    assert (opened.state, opened.department, opened.case_id, opened.limit_working_days, opened.opened_on) == (
        State.OPEN, "police", CASE, 15, TODAY)
    assert opened.rating_id == rating_id_for(CASE, Touchpoint.ITEM, "P-01-03")
    rows = store.staged("rating.rectification.opened")
    assert sorted((r.topic, r.key, r.event_id) for r in rows) == sorted(
        (topic.name, CASE, event_id("rectification-opened", order_id)) for topic in (CASE_STREAM, RATING_EVENTS))
    [data] = sent(store, "rating.rectification.opened")
    assert data | {"text_zh": "", "text_en": ""} == {
        "rectification_id": order_id, "case_id": CASE, "department": "police", "rating_id": opened.rating_id,
        "touchpoint": "item", "item_code": "P-01-03", "level": "very_dissatisfied", "tags": ["slow"],
        "limit_working_days": 15, "opened_on": "2026-01-14", "text_zh": "", "text_en": ""}
    assert "事项 P-01-03获评「非常不满意」，请公安局于 15 个工作日内核实整改并反馈" in data["text_zh"]
    assert "Public Security Bureau to rectify" in data["text_en"] and "来回跑了三趟" not in str(rows)
    # The rating is published before the order it opened (the case's events, then the orders').
    assert [s.envelope["type"] for s in store.outbox if s.topic == RATING_EVENTS.name][-2:] == [
        "rating.rating.submitted", "rating.rectification.opened"]


async def test_the_acceptance_is_rated_before_delivery_and_answered_by_the_service_centre() -> None:
    store = FakeRating()
    await feed(store, LOOP.case_registered, registered())
    await rate(store, rating(RatingLevel.DISSATISFIED, Touchpoint.ACCEPTANCE))
    [opened] = store.orders.values()
    assert (opened.department, opened.touchpoint, opened.item_code) == ("approval", Touchpoint.ACCEPTANCE, None)
    [data] = sent(store, "rating.rectification.opened")
    assert "受理服务获评「不满意」，请行政审批服务局（政务服务中心）于 15 个工作日内" in data["text_zh"]


async def test_a_touchpoint_is_rated_once_and_a_second_bad_review_opens_nothing() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    before = list(store.outbox)
    with pytest.raises(AlreadyRated):
        await rate(store, rating(RatingLevel.DISSATISFIED, Touchpoint.ITEM, "P-01-03"))
    with pytest.raises(AlreadyRated):
        await rate(store, rating(RatingLevel.VERY_SATISFIED, Touchpoint.ITEM, "P-01-03"))
    assert store.outbox == before and list(store.orders) == [order_id]
    assert store.cases[CASE].ratings[rating_id_for(CASE, Touchpoint.ITEM, "P-01-03")].level is \
        RatingLevel.VERY_DISSATISFIED


@pytest.mark.parametrize(("proxy_role", "rater", "allowed"), [
    ("relative", RELATIVE, True),
    ("agent", RELATIVE, True),
    ("staff", STAFF_PROXY, False),  # staff rate no colleagues
    ("relative", STRANGER, False),
    ("relative", None, False),  # no ID number: no one to recognise
])
async def test_only_the_applicant_or_a_relative_or_agent_rates(proxy_role: str, rater: str | None,
                                                               allowed: bool) -> None:
    store = FakeRating()
    proxy = Proxy(name="李四", id_number=STAFF_PROXY if proxy_role == "staff" else RELATIVE, role=proxy_role, free=True)
    await feed(store, LOOP.case_registered, registered(proxy=proxy))
    await feed(store, LOOP.case_delivered, delivered())
    before = list(store.outbox)
    if allowed:
        await rate(store, rating(rater=rater))
        assert len(sent(store, "rating.rating.submitted")) == 1
    else:
        with pytest.raises(UnrelatedRater) as refused:
            await rate(store, rating(RatingLevel.VERY_DISSATISFIED, rater=rater))
        # Word for word as an unknown case: trying ID numbers tells no one whose case it is.
        assert refused.value.message_en == CaseUnknown(CASE).message_en
        assert store.outbox == before and store.cases[CASE].ratings == {} and store.orders == {}


async def test_a_touchpoint_not_invited_is_refused() -> None:
    store = FakeRating()
    await feed(store, LOOP.case_registered, registered())
    with pytest.raises(NotInvited):  # not delivered yet
        await rate(store, rating(RatingLevel.VERY_DISSATISFIED))
    await feed(store, LOOP.case_delivered, delivered())
    with pytest.raises(NotInvited):  # no such item in the case
        await rate(store, rating(RatingLevel.VERY_DISSATISFIED, Touchpoint.ITEM, "P-99"))
    assert store.cases[CASE].ratings == {} and store.orders == {}
    assert sent(store, "rating.rating.submitted") == []


async def test_a_rating_of_an_unknown_case_is_refused() -> None:
    store = FakeRating()
    with pytest.raises(CaseUnknown):
        await rate(store, rating())
    assert store.cases == {} and store.outbox == []


async def test_a_case_registered_before_keying_is_rated_on_its_plain_digest_and_a_keyed_one_needs_the_key() -> None:
    store = FakeRating()
    await feed(store, LOOP.case_registered, registered(key=None))
    await rate(store, rating(RatingLevel.SATISFIED, Touchpoint.ACCEPTANCE))
    assert len(sent(store, "rating.rating.submitted")) == 1

    keyed, without_the_key = FakeRating(), RatingLoop(replace(POLICY, rater_key=None), lambda: TODAY)
    await feed(keyed, without_the_key.case_registered, registered())
    with pytest.raises(UnrelatedRater):
        await rate(keyed, rating(RatingLevel.SATISFIED, Touchpoint.ACCEPTANCE), without_the_key)


# --- the order's life (整改反馈、回访、办结) -----------------------------------------------------------------


async def test_a_report_then_a_satisfied_call_back_closes_the_order_rectified() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    await report(store, order_id)
    reported = order(store, order_id)
    assert (reported.state, reported.measures_zh, reported.evidence, reported.reported_on) == (
        State.REPORTED, "约谈窗口人员，改为一次办结", EVIDENCE, TODAY)
    await call_back(store, order_id, "satisfied")

    closed = order(store, order_id)
    assert (closed.state, closed.rules.closed_how, closed.closed_on) == (State.CLOSED, "rectified", TODAY)
    assert closed.callbacks == [{"attempt": 1, "outcome": "satisfied", "note_zh": "申请人表示已改进", "by": CENTRE,
                                 "on": "2026-01-14"}]
    [data] = sent(store, "rating.rectification.reported")
    assert data == {"rectification_id": order_id, "case_id": CASE, "department": "police",
                    "measures_zh": "约谈窗口人员，改为一次办结", "evidence": [e.model_dump() for e in EVIDENCE],
                    "reported_on": "2026-01-14"}
    [called] = sent(store, "rating.rectification.called_back")
    assert called == {"rectification_id": order_id, "case_id": CASE, "department": "police", "outcome": "satisfied",
                      "attempt": 1, "called_on": "2026-01-14"}  # what the applicant said stays here
    [closure] = sent(store, "rating.rectification.closed")
    assert (closure["how"], closure["closed_on"], closure["evidence"][0]["sha256"]) == ("rectified", "2026-01-14",
                                                                                          "a" * 64)
    ids = {s.envelope["type"]: s.event_id for s in store.outbox if s.topic == RATING_EVENTS.name}
    assert (ids["rating.rectification.reported"], ids["rating.rectification.called_back"],
            ids["rating.rectification.closed"]) == (event_id("rectification-reported", order_id, 0),
                                                    event_id("rectification-called-back", order_id, 1),
                                                    event_id("rectification-closed", order_id))


async def test_a_not_satisfied_call_back_reopens_the_order_and_its_next_report_is_a_new_event() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    await report(store, order_id)
    await call_back(store, order_id, "not_satisfied")
    reopened = order(store, order_id)
    assert (reopened.state, reopened.rules.reopened, reopened.closed_on) == (State.OPEN, 1, None)
    assert sent(store, "rating.rectification.closed") == []

    await report(store, order_id)
    await call_back(store, order_id, "satisfied")
    reports = [s.event_id for s in store.staged("rating.rectification.reported") if s.topic == RATING_EVENTS.name]
    assert reports == [event_id("rectification-reported", order_id, 0), event_id("rectification-reported", order_id, 1)]
    assert [(c["outcome"], c["attempt"]) for c in sent(store, "rating.rectification.called_back")] == [
        ("not_satisfied", 1), ("satisfied", 2)]
    assert [c["how"] for c in sent(store, "rating.rectification.closed")] == ["rectified"]


async def test_an_unreachable_applicant_closes_the_order_after_the_policys_attempts() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    await report(store, order_id)
    await call_back(store, order_id, "unreachable")
    assert (order(store, order_id).state, order(store, order_id).rules.unreachable_since_report) == (
        State.REPORTED, 1)
    assert sent(store, "rating.rectification.closed") == []
    await call_back(store, order_id, "unreachable", principal=SUPERVISION)  # the policy allows two tries
    assert (order(store, order_id).state, order(store, order_id).rules.closed_how) == (State.CLOSED, "unreachable")
    [closure] = sent(store, "rating.rectification.closed")
    assert closure["how"] == "unreachable" and len(closure["evidence"]) == 1  # the report's evidence on record


async def test_only_the_department_addressed_reports_and_appeals() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    before = list(store.outbox)
    for principal in (HEALTH, CENTRE, SUPERVISION):
        with pytest.raises(NotAnswerable):
            await report(store, order_id, principal)
        with pytest.raises(NotAnswerable):
            await appeal(store, order_id, principal)
    assert (order(store, order_id).state, order(store, order_id).appeal) == (State.OPEN, None)
    assert store.outbox == before


async def test_call_backs_are_for_supervisors_and_never_on_their_own_departments_order() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    await report(store, order_id)
    with pytest.raises(NotSupervisor):
        await call_back(store, order_id, "satisfied", principal=POLICE)  # no one checks their own work
    with pytest.raises(NotSupervisor):
        await call_back(store, order_id, "satisfied", principal=HEALTH)

    await rate(store, rating(RatingLevel.DISSATISFIED, Touchpoint.ACCEPTANCE))  # the service centre answers
    centres = rectification_id_for(rating_id_for(CASE, Touchpoint.ACCEPTANCE))
    await report(store, centres, CENTRE)
    before = list(store.outbox)
    with pytest.raises(OwnOrder):
        await call_back(store, centres, "satisfied", principal=CENTRE)
    assert store.outbox == before and order(store, centres).callbacks == []
    await call_back(store, centres, "satisfied", principal=SUPERVISION)
    assert order(store, centres).state is State.CLOSED


async def test_steps_the_orders_state_does_not_allow_are_refused_and_leave_nothing() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    with pytest.raises(WrongState) as refused:
        await call_back(store, order_id, "satisfied")  # nothing reported yet
    assert refused.value.message_en == "the department has not reported yet; nothing to call back about"
    await report(store, order_id)
    with pytest.raises(WrongState):
        await report(store, order_id)  # reported already: the call-back comes next
    await call_back(store, order_id, "satisfied")
    before = list(store.outbox)
    for step in (report(store, order_id), call_back(store, order_id, "not_satisfied"), appeal(store, order_id)):
        with pytest.raises(WrongState):
            await step
    closed = order(store, order_id)
    assert (closed.state, closed.rules.reopened, len(closed.callbacks), closed.appeal) == (State.CLOSED, 0, 1, None)
    assert store.outbox == before


async def test_steps_on_an_unknown_order_or_appeal_are_refused() -> None:
    store = FakeRating()
    await delivered_case(store)
    nowhere = rectification_id_for("no-such-rating")
    for step in (report(store, nowhere), call_back(store, nowhere, "satisfied"), appeal(store, nowhere),
                 decide(store, appeal_id_for(nowhere), True)):
        with pytest.raises(OrderUnknown):
            await step
    assert store.orders == {} and len(store.outbox) == 4  # the two invitations, on both topics


# --- appeals (申诉复核) -----------------------------------------------------------------------------------


async def test_an_upheld_appeal_withdraws_the_order_and_takes_the_review_out_of_the_figures() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    appeal_id = await appeal(store, order_id)
    assert appeal_id == appeal_id_for(order_id)
    [filed] = sent(store, "rating.appeal.filed")
    assert filed == {"appeal_id": appeal_id, "rectification_id": order_id,
                     "rating_id": rating_id_for(CASE, Touchpoint.ITEM, "P-01-03"), "case_id": CASE,
                     "department": "police", "grounds": "not_answerable", "reason_zh": "超时系申请人未按约定时间领证所致",
                     "evidence": [e.model_dump() for e in EVIDENCE], "filed_on": "2026-01-14"}
    await decide(store, appeal_id, True)

    withdrawn = order(store, order_id)
    assert (withdrawn.state, withdrawn.rules.closed_how, withdrawn.closed_on) == (State.CLOSED, "appeal_upheld", TODAY)
    assert withdrawn.appeal is not None and (withdrawn.appeal.upheld, withdrawn.appeal.decided_by) == (True, CENTRE)
    assert store.cases[CASE].ratings[withdrawn.rating_id].removed
    [decided] = sent(store, "rating.appeal.decided")
    assert decided | {"reason_zh": ""} == {
        "appeal_id": appeal_id, "rectification_id": order_id, "rating_id": withdrawn.rating_id, "case_id": CASE,
        "department": "police", "upheld": True, "reason_zh": "", "decided_by": CENTRE, "decided_on": "2026-01-14"}
    [closure] = sent(store, "rating.rectification.closed")
    assert closure["how"] == "appeal_upheld"
    assert [s.envelope["type"] for s in store.outbox if s.topic == RATING_EVENTS.name][-2:] == [
        "rating.appeal.decided", "rating.rectification.closed"]
    ids = {s.envelope["type"]: s.event_id for s in store.outbox}
    assert (ids["rating.appeal.filed"], ids["rating.appeal.decided"]) == (event_id("appeal-filed", appeal_id),
                                                                          event_id("appeal-decided", appeal_id))


async def test_a_rejected_appeal_lets_the_order_go_on_and_the_review_stand() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    await decide(store, await appeal(store, order_id), False, principal=SUPERVISION)
    going_on = order(store, order_id)
    assert going_on.state is State.OPEN and going_on.appeal is not None and going_on.appeal.upheld is False
    assert not store.cases[CASE].ratings[going_on.rating_id].removed
    assert [d["upheld"] for d in sent(store, "rating.appeal.decided")] == [False]
    assert sent(store, "rating.rectification.closed") == []
    await report(store, order_id)  # the order goes on
    assert order(store, order_id).state is State.REPORTED


async def test_an_appeal_upheld_after_closure_keeps_the_closure_and_removes_the_review() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    appeal_id = await appeal(store, order_id)
    await report(store, order_id)
    await call_back(store, order_id, "satisfied")  # closed while the appeal waited
    await decide(store, appeal_id, True)
    closed = order(store, order_id)
    assert (closed.rules.closed_how, closed.appeal is not None and closed.appeal.upheld) == ("rectified", True)
    assert store.cases[CASE].ratings[closed.rating_id].removed
    assert [c["how"] for c in sent(store, "rating.rectification.closed")] == ["rectified"]  # closed once


async def test_an_order_is_appealed_once_and_the_appeal_decided_once() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    appeal_id = await appeal(store, order_id)
    with pytest.raises(WrongState) as refused:
        await appeal(store, order_id)
    assert refused.value.message_en == "an order may be appealed once"
    await decide(store, appeal_id, False)
    with pytest.raises(WrongState):
        await decide(store, appeal_id, True)  # no appeal is waiting any more
    assert [d["upheld"] for d in sent(store, "rating.appeal.decided")] == [False]
    assert not store.cases[CASE].ratings[order(store, order_id).rating_id].removed


async def test_an_appeal_is_decided_by_a_supervisor_of_another_department_only() -> None:
    store = FakeRating()
    await feed(store, LOOP.case_registered, registered())
    await rate(store, rating(RatingLevel.DISSATISFIED, Touchpoint.ACCEPTANCE))
    order_id = rectification_id_for(rating_id_for(CASE, Touchpoint.ACCEPTANCE))  # addressed to the centre
    appeal_id = await appeal(store, order_id, CENTRE)
    before = list(store.outbox)
    with pytest.raises(NotSupervisor):
        await decide(store, appeal_id, True, principal=POLICE)
    with pytest.raises(OwnOrder):
        await decide(store, appeal_id, True, principal=CENTRE)
    pending = order(store, order_id)
    assert pending.state is State.OPEN and pending.appeal is not None and pending.appeal.upheld is None
    assert not store.cases[CASE].ratings[pending.rating_id].removed and store.outbox == before
    await decide(store, appeal_id, True, principal=SUPERVISION)
    assert order(store, order_id).rules.closed_how == "appeal_upheld"


async def test_an_upheld_appeal_whose_case_is_gone_is_refused_and_leaves_the_order_as_it_was() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    appeal_id = await appeal(store, order_id)
    del store.cases[CASE]
    before = list(store.outbox)
    with pytest.raises(CaseUnknown):
        await decide(store, appeal_id, True)
    # The order decided in memory before the case was looked up: nothing of it is kept.
    kept = order(store, order_id)
    assert kept.state is State.OPEN and kept.appeal is not None and kept.appeal.upheld is None
    assert store.outbox == before


# --- supervision's clock of each order (监察计时、督办) ----------------------------------------------------


def clock_started(task_id: str, clock_id: str, due_on: date, *, kind: ClockKind = "rectification") -> ClockStarted:
    return ClockStarted(case_id=CASE, task_id=task_id, item_code="", department="police", limit_working_days=15,
                        started_on=TODAY, due_on=due_on, clock_id=clock_id, kind=kind)


def card(card_id: str, colour: Literal["yellow", "red"], clock_id: str = "K-1", on: date = TODAY) -> CardIssued:
    return CardIssued(card_id=card_id, case_id=CASE, clock_id=clock_id, department="police", colour=colour,
                      reason="overdue" if colour == "red" else "near_deadline", due_on=TODAY, working_days_left=-1,
                      issued_on=on, text_zh="牌", text_en="card")


async def test_the_rectification_clock_sets_the_orders_due_date_and_its_adjustments_move_it() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    before = list(store.outbox)
    due = TODAY + timedelta(days=21)
    await feed(store, LOOP.clock_started, clock_started(order_id, "K-9", TODAY, kind="item"))  # not the order's
    await feed(store, LOOP.clock_started, clock_started("T-1", "K-2", TODAY))  # no such order
    assert (order(store, order_id).clock_id, order(store, order_id).due_on) == (None, None)
    await feed(store, LOOP.clock_started, clock_started(order_id, "K-1", due))
    assert (order(store, order_id).clock_id, order(store, order_id).due_on) == ("K-1", due)

    moved = ClockAdjusted(case_id=CASE, clock_id="K-1", kind="extended", days=3, reason_zh="延期",
                          due_on=due + timedelta(days=3), on=TODAY)
    await feed(store, LOOP.clock_adjusted, moved)
    await feed(store, LOOP.clock_adjusted, moved.model_copy(update={"clock_id": "K-2", "due_on": TODAY}))  # not its
    assert order(store, order_id).due_on == due + timedelta(days=3)
    assert store.outbox == before  # following the clock publishes nothing


async def test_the_first_red_card_escalates_the_order_and_supervisions_order_is_kept() -> None:
    store = FakeRating()
    order_id = await bad_review(store)
    await feed(store, LOOP.clock_started, clock_started(order_id, "K-1", TODAY))
    late = TODAY + timedelta(days=1)
    await feed(store, LOOP.card_issued, card("CARD-Y", "yellow"))  # a warning: not escalated
    await feed(store, LOOP.card_issued, card("CARD-X", "red", clock_id="K-2"))  # another clock's
    assert order(store, order_id).red_card_id is None
    await feed(store, LOOP.card_issued, card("CARD-R", "red", on=late))
    await feed(store, LOOP.card_issued, card("CARD-R2", "red", on=late + timedelta(days=5)))  # the first one counts
    assert (order(store, order_id).red_card_id, order(store, order_id).escalated_on) == ("CARD-R", late)

    issued = OrderIssued(order_id="ORD-1", case_id=CASE, card_id="CARD-R", department="police",
                         respond_by=late + timedelta(days=3), issued_on=late, text_zh="督办", text_en="order")
    await feed(store, LOOP.order_issued, issued.model_copy(update={"order_id": "ORD-X", "card_id": "CARD-Y"}))
    await feed(store, LOOP.order_issued, issued)
    escalated = order(store, order_id)
    assert (escalated.order_id, escalated.respond_by) == ("ORD-1", late + timedelta(days=3))


# --- figures (满意度指标) ---------------------------------------------------------------------------------


def figure(version: int, good: int, bad: int, monday: date, key: str = "police") -> RatingFigures:
    return RatingFigures(period=FigurePeriod.WEEK, period_start=monday, by=FigureBy.DEPARTMENT, key=key,
                         very_satisfied=good, satisfied=0, basically_satisfied=0, dissatisfied=bad,
                         very_dissatisfied=0, total=good + bad, good_rate=good / (good + bad), mean_score=None,
                         on_time_total=0, on_time_good=0, late_total=0, late_good=0, removed=0, version=version)


async def test_the_latest_record_of_each_figure_is_kept_whatever_its_version() -> None:
    store = FakeRating()
    monday = date(2026, 1, 12)
    await feed(store, figures_updated, figure(7, good=1, bad=1, monday=monday))
    await feed(store, figures_updated, figure(8, good=5, bad=5, monday=monday - timedelta(days=7)))
    await feed(store, figures_updated, figure(2, good=3, bad=1, monday=monday, key="health"))
    await feed(store, figures_updated, figure(1, good=9, bad=1, monday=monday))  # a rebuild starts at 1 again
    assert {k: (f.version, f.good_rate) for k, f in store.figures.items()} == {
        ("week", monday, "department", "police"): (1, 0.9),
        ("week", monday - timedelta(days=7), "department", "police"): (8, 0.5),
        ("week", monday, "department", "health"): (2, 0.75)}
    assert store.outbox == []

