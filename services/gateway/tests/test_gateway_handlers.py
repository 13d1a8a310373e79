"""The gateway's use cases on its unit of work in memory (``fakes.py``): what the consumer does with a request
(stored once in its department's queue, receipted as the department, its receipt and answer repeated when dispatch
sends it again, refused from anyone but dispatch or for a department not served) and with a refusal notice; what the
routes do (an answer published once as the department, continuing its request's flow; the same answer again a
duplicate, another one or one at the wrong route refused; an acknowledgement; a re-drive of a parked delivery only);
and what the callback job does (delivered, backed off, parked once and announced on the case stream, an attempt
overtaken by the department not counted). The same aggregate and messages as in production; the tables, the outbox,
the views and the HTTP edge are covered on PostgreSQL and SQLite in ``test_gateway_api.py``,
``test_gateway_callbacks.py`` and ``test_gateway_journey.py``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from contracts.department.v1 import RequestKind, answer_event_id, receipt_event_id
from contracts.dispatch.v1 import AnswerRefused, RefusalReason, RequestSent, ReviewRequested
from contracts.envelope import Envelope
from contracts.gateway.v1 import callback_parked_event_id
from contracts.topics import CASE_STREAM, DEPARTMENT_RESULTS
from exchange.ed25519 import SigningKey
from exchange.errors import Rejected
from exchange.signing import Signer
from gateway.domain.errors import AnswerConflict, NotRedrivable, UnknownRequest, WrongKind
from gateway.domain.model import QueuedRequest
from gateway.domain.requests import Delivery, DeliveryPolicy
from gateway.service_layer.answering import Answered, answer
from gateway.service_layer.delivery import CallbackDelivery
from gateway.service_layer.queue import acknowledge, redrive
from gateway.service_layer.receiving import NotServed, answer_refused, request_arrived
from gateway.service_layer.unit_of_work import GatewayUnitOfWork

from .conftest import CALLED_BACK, POLLING, handling, review
from .fakes import FakeGateway, Staged

SERVED = frozenset({POLLING, CALLED_BACK})  # as entrypoints.consumers binds the use cases
CASE = "OT20260112GATEWAY0001"
DECIDED = datetime(2026, 1, 12, 9, tzinfo=UTC)
POLICY = DeliveryPolicy(max_attempts=2, backoff_s=1.0, backoff_max_s=4.0)
CALLBACK_URL = "http://meteorology.example/onething"


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


async def arrive(store: FakeGateway, payload: RequestSent | ReviewRequested, *, source: str = "dispatch",
                 envelope: Envelope | None = None) -> Envelope:
    """The request handed to the consumer's use case in one transaction (a new envelope: a re-send)."""
    envelope = envelope or Envelope.wrap(payload, source=source, subject=payload.case_id)
    async with store.unit_of_work() as uow:
        await request_arrived(uow, envelope, payload, served=SERVED)
    return envelope


async def give_answer(store: FakeGateway, department: str, kind: RequestKind, request_id: UUID,
                      decision: dict[str, Any]) -> Answered:
    """The answer as ``POST /departments/{code}/results`` (or ``/reviews``) gives it: in a transaction of its own."""
    async with store.unit_of_work() as uow:
        return await answer(uow, department, kind, request_id, decision)


async def in_queue(store: FakeGateway, use_case: Callable[[GatewayUnitOfWork, str, UUID], Awaitable[None]],
                   department: str, request_id: UUID) -> QueuedRequest:
    """An acknowledgement or a re-drive as its route runs it, in a transaction of its own; then the request as it
    stands (the route reads it after)."""
    async with store.unit_of_work() as uow:
        await use_case(uow, department, request_id)
    return store.requests[str(request_id)]


def result(outcome: str = "approved", **fields: Any) -> dict[str, Any]:
    """A handling answer as ``POST /departments/{code}/results`` hands it to the use case."""
    return {"outcome": outcome, "reason_zh": None, "reason_en": None, "document_no": None,
            "decided_at": DECIDED.isoformat(), **fields}


def reviewed(*deficiencies: dict[str, str]) -> dict[str, Any]:
    """A review answer as ``POST /departments/{code}/reviews`` hands it to the use case."""
    return {"deficiencies": list(deficiencies), "reviewed_at": DECIDED.isoformat()}


def data(rows: list[Staged]) -> list[dict[str, Any]]:
    return [r.envelope["data"] for r in rows]


def refusal(department: str = POLLING) -> AnswerRefused:
    return AnswerRefused.saying(RefusalReason.SIGNATURE_INVALID, department=department, refused_event_id=uuid4(),
                                refused_event_type="department.result.returned", case_id=CASE,
                                topic=DEPARTMENT_RESULTS.name, partition=0, offset=7, refused_at=DECIDED)


# 签收: a request arrives from dispatch


async def test_a_handling_request_is_queued_for_its_department_and_receipted_as_the_department(
        gateway: FakeGateway) -> None:
    request = handling(CASE, attempt=2)
    sent = await arrive(gateway, request)
    stored = gateway.requests[str(request.request_id)]
    assert (stored.department, stored.seq, stored.kind, stored.case_id, stored.item_code) == (
        POLLING, 1, RequestKind.HANDLING, CASE, "V-01")
    assert stored.envelope == sent.to_wire()  # as dispatch signed it: what the department polls
    assert (stored.delivery, stored.answer, stored.delivery_attempts) == (Delivery.PENDING, None, 0)
    [receipt] = gateway.outbox
    assert (receipt.topic, receipt.key, receipt.event_id) == (
        DEPARTMENT_RESULTS.name, CASE, str(receipt_event_id(request.request_id)))
    assert receipt.event_id == stored.receipt_event_id
    assert (receipt.envelope["type"], receipt.envelope["source"]) == ("department.request.received", f"dept.{POLLING}")
    assert receipt.envelope["data"] == {"request_id": str(request.request_id), "case_id": CASE, "item_code": "V-01",
                                        "department": POLLING, "kind": "handling",
                                        "received_at": stored.received_at.isoformat().replace("+00:00", "Z")}


async def test_a_review_request_is_queued_and_receipted_as_a_review(gateway: FakeGateway) -> None:
    request = review(CASE)
    await arrive(gateway, request)
    assert gateway.requests[str(request.request_id)].kind is RequestKind.REVIEW
    [receipt] = data(gateway.staged("department.request.received"))
    assert (receipt["kind"], receipt["request_id"]) == ("review", str(request.request_id))


async def test_each_department_has_its_own_queue_positions_in_arrival_order(gateway: FakeGateway) -> None:
    arrivals: list[RequestSent | ReviewRequested] = [handling(CASE), handling(CASE, department=CALLED_BACK),
                                                     review(CASE), handling(f"{CASE}2")]
    for request in arrivals:
        await arrive(gateway, request)
    assert [(gateway.requests[str(r.request_id)].department, gateway.requests[str(r.request_id)].seq)
            for r in arrivals] == [(POLLING, 1), (CALLED_BACK, 1), (POLLING, 2), (POLLING, 3)]
    assert gateway.cursors == {POLLING: 4, CALLED_BACK: 2}
    assert [s.key for s in gateway.outbox] == [CASE, CASE, CASE, f"{CASE}2"]  # each receipt keyed by its case


async def test_a_request_sent_again_is_stored_once_and_its_published_receipt_goes_out_again_unchanged(
        gateway: FakeGateway) -> None:
    request = handling(CASE)
    await arrive(gateway, request)
    [receipt] = gateway.outbox
    first = dict(receipt.envelope)
    gateway.published()
    await arrive(gateway, request)  # dispatch heard no receipt: the same request id, a new envelope
    assert list(gateway.requests) == [str(request.request_id)] and gateway.cursors == {POLLING: 2}  # no new position
    assert gateway.outbox == [receipt] and not receipt.published  # the very same receipt, to be sent once more
    assert receipt.envelope == first


async def test_a_request_sent_again_while_its_receipt_waits_stages_nothing_more(gateway: FakeGateway) -> None:
    request = review(CASE)
    await arrive(gateway, request)
    await arrive(gateway, request)
    [receipt] = gateway.outbox  # the receipt still waiting goes out, once
    assert not receipt.published


async def test_a_request_sent_again_after_its_answer_repeats_the_receipt_and_the_answer(
        gateway: FakeGateway) -> None:
    request = handling(CASE)
    await arrive(gateway, request)
    await give_answer(gateway, POLLING, RequestKind.HANDLING, request.request_id, result(document_no="V-1"))
    gateway.published()
    before = [dict(s.envelope) for s in gateway.outbox]
    await arrive(gateway, request)
    assert [s.envelope["type"] for s in gateway.outbox] == ["department.request.received", "department.result.returned"]
    assert [s.published for s in gateway.outbox] == [False, False]
    assert [s.envelope for s in gateway.outbox] == before


async def test_a_request_id_sent_again_to_another_department_or_as_another_kind_is_refused(
        gateway: FakeGateway) -> None:
    request = handling(CASE)
    await arrive(gateway, request)
    gateway.published()
    elsewhere = request.model_copy(update={"department": CALLED_BACK})
    as_review = ReviewRequested(request_id=request.request_id, case_id=CASE, item_code="V-01", item_name_zh="优待证",
                                department=POLLING, round=1, applicant=request.applicant, form={})
    reused: RequestSent | ReviewRequested
    for reused in (elsewhere, as_review):
        with pytest.raises(Rejected, match="was first sent as a handling request to veterans"):
            await arrive(gateway, reused)
    assert [s.published for s in gateway.outbox] == [True]  # nothing repeated in the department's name
    assert gateway.cursors == {POLLING: 2}


async def test_a_request_from_anyone_but_dispatch_is_refused_and_nothing_is_receipted(gateway: FakeGateway) -> None:
    with pytest.raises(Rejected, match="not from dispatch"):
        await arrive(gateway, handling(CASE), source="dept.police")
    assert gateway.requests == {} and gateway.cursors == {} and gateway.outbox == []


async def test_a_request_for_a_department_not_served_is_refused_and_nothing_is_receipted(
        gateway: FakeGateway) -> None:
    with pytest.raises(NotServed, match="police"):
        await arrive(gateway, handling(CASE, department="police"))
    assert gateway.requests == {} and gateway.cursors == {} and gateway.outbox == []


async def test_a_use_case_that_raises_leaves_nothing(gateway: FakeGateway) -> None:
    request = handling(CASE)
    with pytest.raises(RuntimeError):
        async with gateway.unit_of_work() as uow:
            await request_arrived(uow, Envelope.wrap(request, source="dispatch", subject=CASE), request, served=SERVED)
            raise RuntimeError("the transaction fails after the use case")
    assert gateway.requests == {} and gateway.cursors == {} and gateway.outbox == []
    await arrive(gateway, request)
    assert gateway.requests[str(request.request_id)].seq == 1  # the position taken was rolled back too


# 拒收通知: dispatch refused an answer given in the department's name


async def test_a_refusal_notice_is_kept_for_its_department(gateway: FakeGateway) -> None:
    notice = refusal()
    envelope = Envelope.wrap(notice, source="dispatch", subject=CASE)
    async with gateway.unit_of_work() as uow:
        await answer_refused(uow, envelope, notice, served=SERVED)
    [kept] = gateway.notices
    assert (kept.event_id, kept.department, kept.case_id) == (str(envelope.id), POLLING, CASE)
    assert kept.notice == notice.model_dump(mode="json") and kept.notice["reason"] == "signature_invalid"
    assert gateway.outbox == []  # kept to be read, never published


async def test_a_refusal_notice_from_anyone_but_dispatch_or_for_a_department_not_served_is_refused(
        gateway: FakeGateway) -> None:
    for notice, source, refused in ((refusal(), "dept.police", Rejected), (refusal("police"), "dispatch", NotServed)):
        with pytest.raises(refused):
            async with gateway.unit_of_work() as uow:
                await answer_refused(uow, Envelope.wrap(notice, source=source, subject=CASE),
                                     notice, served=SERVED)
    assert gateway.notices == []


# 答复: a department answers over HTTP


async def test_a_handling_answer_is_published_once_as_the_department_continuing_its_request(
        gateway: FakeGateway) -> None:
    request = handling(CASE, attempt=2)
    sent = await arrive(gateway, request)
    given = result(document_no="V-2026-1")
    done = await give_answer(gateway, POLLING, RequestKind.HANDLING, request.request_id, given)
    expected = str(answer_event_id(RequestKind.HANDLING, request.request_id))
    assert done == Answered(str(request.request_id), expected, "department.result.returned", done.answered_at,
                            duplicate=False)
    stored = gateway.requests[str(request.request_id)]
    assert (stored.answer, stored.answer_event_id, stored.answered_at) == (given, expected, done.answered_at)
    [row] = gateway.staged("department.result.returned")
    assert (row.topic, row.key, row.event_id) == (DEPARTMENT_RESULTS.name, CASE, expected)
    assert row.envelope["source"] == f"dept.{POLLING}"
    # An answer continues its request's flow: caused by dispatch's request, in its case's correlation.
    assert (row.envelope["causation_id"], row.envelope["correlation_id"]) == (str(sent.id), str(sent.correlation_id))
    answered = row.envelope["data"]
    assert (answered["request_id"], answered["task_id"], answered["attempt"], answered["item_code"]) == (
        str(request.request_id), f"{CASE}/V-01", 2, "V-01")  # from the request, not from the department
    assert (answered["outcome"], answered["document_no"], answered["department"]) == ("approved", "V-2026-1", POLLING)
    assert datetime.fromisoformat(answered["decided_at"]) == DECIDED


async def test_a_rejection_carries_its_reasons(gateway: FakeGateway) -> None:
    request = handling(CASE)
    await arrive(gateway, request)
    await give_answer(gateway, POLLING, RequestKind.HANDLING, request.request_id,
                 result("rejected", reason_zh="不符合条件", reason_en="not eligible"))
    [answered] = data(gateway.staged("department.result.returned"))
    assert (answered["outcome"], answered["reason_zh"], answered["reason_en"]) == ("rejected", "不符合条件", "not eligible")
    assert answered.get("document_no") is None


async def test_a_review_answer_is_published_with_its_round_and_findings(gateway: FakeGateway) -> None:
    request = review(CASE)
    await arrive(gateway, request)
    finding = {"kind": "material", "code": "M1", "reason_zh": "材料不清晰", "reason_en": "not legible"}
    done = await give_answer(gateway, POLLING, RequestKind.REVIEW, request.request_id, reviewed(finding))
    assert (done.event_type, done.event_id) == (
        "department.review.returned", str(answer_event_id(RequestKind.REVIEW, request.request_id)))
    [row] = gateway.staged("department.review.returned")
    assert (row.topic, row.key, row.event_id) == (DEPARTMENT_RESULTS.name, CASE, done.event_id)
    assert (row.envelope["data"]["round"], row.envelope["data"]["deficiencies"]) == (1, [finding])


async def test_a_review_with_a_decision_is_published_with_it(gateway: FakeGateway) -> None:
    # 即审即办: an on-the-spot item's department decides with a review that finds nothing missing
    request = review(CASE)
    await arrive(gateway, request)
    decision = {"outcome": "approved", "reason_zh": None, "reason_en": None, "document_no": "HJ-2026-000123"}
    await give_answer(gateway, POLLING, RequestKind.REVIEW, request.request_id, {**reviewed(), "decision": decision})
    [row] = data(gateway.staged("department.review.returned"))
    assert (row["deficiencies"], row["decision"]) == ([], decision)


async def test_the_same_answer_again_is_a_duplicate_and_publishes_nothing(gateway: FakeGateway) -> None:
    request = handling(CASE)
    await arrive(gateway, request)
    first = await give_answer(gateway, POLLING, RequestKind.HANDLING, request.request_id, result())
    later = result(decided_at=(DECIDED + timedelta(hours=1)).isoformat())  # when it says is not the decision
    again = await give_answer(gateway, POLLING, RequestKind.HANDLING, request.request_id, later)
    assert again == Answered(first.request_id, first.event_id, first.event_type, first.answered_at, duplicate=True)
    assert len(gateway.staged("department.result.returned")) == 1
    assert gateway.requests[str(request.request_id)].answer == result()  # the first answer stands


async def test_a_different_answer_is_refused_and_the_first_stands(gateway: FakeGateway) -> None:
    request = handling(CASE)
    await arrive(gateway, request)
    await give_answer(gateway, POLLING, RequestKind.HANDLING, request.request_id, result(document_no="V-1"))
    with pytest.raises(AnswerConflict) as refused:
        await give_answer(gateway, POLLING, RequestKind.HANDLING, request.request_id,
                     result("rejected", reason_zh="不符合条件"))
    assert "答复内容不同" in refused.value.message_zh
    assert gateway.requests[str(request.request_id)].answer == result(document_no="V-1")
    assert len(gateway.staged("department.result.returned")) == 1


async def test_an_answer_at_the_route_of_the_other_kind_is_refused(gateway: FakeGateway) -> None:
    handled, to_review = handling(CASE), review(CASE)
    await arrive(gateway, handled)
    await arrive(gateway, to_review)
    with pytest.raises(WrongKind, match=f"/departments/{POLLING}/results"):
        await give_answer(gateway, POLLING, RequestKind.REVIEW, handled.request_id, reviewed())
    with pytest.raises(WrongKind, match=f"/departments/{POLLING}/reviews") as refused:
        await give_answer(gateway, POLLING, RequestKind.HANDLING, to_review.request_id, result())
    assert "预审" in refused.value.message_zh
    assert all(r.answer is None for r in gateway.requests.values())
    assert gateway.staged("department.result.returned") == gateway.staged("department.review.returned") == []


async def test_an_answer_to_an_unknown_request_or_another_departments_is_refused(gateway: FakeGateway) -> None:
    theirs = handling(CASE, department=CALLED_BACK)
    await arrive(gateway, theirs)
    for request_id in (uuid4(), theirs.request_id):
        with pytest.raises(UnknownRequest, match=f"no request {request_id} was addressed to {POLLING}"):
            await give_answer(gateway, POLLING, RequestKind.HANDLING, request_id, result())
    assert gateway.requests[str(theirs.request_id)].answer is None
    assert gateway.staged("department.result.returned") == []


# 签收确认 and 重投: a department's queue


async def test_an_acknowledgement_takes_a_request_off_pending_once(gateway: FakeGateway) -> None:
    request = handling(CASE)
    await arrive(gateway, request)
    row = await in_queue(gateway, acknowledge, POLLING, request.request_id)
    assert (row.request_id, row.delivery) == (str(request.request_id), "delivered")
    stored = gateway.requests[str(request.request_id)]
    assert stored.delivery is Delivery.DELIVERED and stored.delivered_at is not None
    again = await in_queue(gateway, acknowledge, POLLING, request.request_id)  # idempotent: the first time stands
    assert again.delivered_at == stored.delivered_at
    assert len(gateway.outbox) == 1  # the receipt only: an acknowledgement is no fact on the bus


async def test_an_acknowledgement_or_re_drive_of_an_unknown_or_another_departments_request_is_refused(
        gateway: FakeGateway) -> None:
    theirs = handling(CASE, department=CALLED_BACK)
    await arrive(gateway, theirs)
    for use_case in (acknowledge, redrive):
        for request_id in (uuid4(), theirs.request_id):
            with pytest.raises(UnknownRequest):
                await in_queue(gateway, use_case, POLLING, request_id)
    assert gateway.requests[str(theirs.request_id)].delivery is Delivery.PENDING


async def test_only_an_unanswered_parked_delivery_is_re_driven(gateway: FakeGateway) -> None:
    request = handling(CASE, department=CALLED_BACK)
    await arrive(gateway, request)
    with pytest.raises(NotRedrivable, match="this one is pending"):
        await in_queue(gateway, redrive, CALLED_BACK, request.request_id)
    await in_queue(gateway, acknowledge, CALLED_BACK, request.request_id)
    with pytest.raises(NotRedrivable, match="this one is delivered"):
        await in_queue(gateway, redrive, CALLED_BACK, request.request_id)
    parked = handling(CASE, department=CALLED_BACK, item_code="V-02")
    await arrive(gateway, parked)
    _park(gateway.requests[str(parked.request_id)])
    await give_answer(gateway, CALLED_BACK, RequestKind.HANDLING, parked.request_id, result())
    with pytest.raises(NotRedrivable, match="this one is answered"):  # answered: nothing left to deliver
        await in_queue(gateway, redrive, CALLED_BACK, parked.request_id)
    assert gateway.requests[str(parked.request_id)].delivery is Delivery.UNDELIVERABLE


async def test_a_re_driven_delivery_starts_afresh_and_is_due_at_once(gateway: FakeGateway) -> None:
    request = handling(CASE, department=CALLED_BACK)
    await arrive(gateway, request)
    _park(gateway.requests[str(request.request_id)])
    before = datetime.now(UTC)
    row = await in_queue(gateway, redrive, CALLED_BACK, request.request_id)
    assert (row.delivery, row.delivery_attempts) == ("pending", 0)
    assert row.next_delivery_at is not None and before <= row.next_delivery_at <= datetime.now(UTC)
    assert row.last_delivery_error == "HTTP 503"  # kept until the next attempt tells otherwise


def _park(request: QueuedRequest) -> None:
    """Spend a committed request's callback attempts (what ``CallbackDelivery`` records), its events dropped."""
    for _ in range(POLICY.max_attempts):
        request.delivery_tried("HTTP 503", POLICY, DECIDED)
    request.collect()


# 回调推送: the callback job


@dataclass
class DepartmentSystem:
    """The department's callback: answers ``status``, keeps each body; ``meanwhile`` runs before it answers."""

    status: int = 503
    received: list[dict[str, Any]] = field(default_factory=list)
    meanwhile: Callable[[], Awaitable[object]] | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(json.loads(request.content))
        if self.meanwhile is not None:
            await self.meanwhile()
        return httpx.Response(self.status, text="busy" if self.status >= 300 else "ok")


@pytest.fixture
async def called_back(gateway: FakeGateway) -> AsyncIterator[tuple[CallbackDelivery, DepartmentSystem]]:
    """The callback job for ``CALLED_BACK``, its HTTP going to a :class:`DepartmentSystem` in memory."""
    system = DepartmentSystem()
    job = CallbackDelivery(gateway.unit_of_work, {CALLED_BACK: CALLBACK_URL}, POLICY, Signer("gateway", SigningKey.generate()),
                           timeout_s=1.0, poll_s=1.0)
    await job.http.aclose()
    job.http = httpx.AsyncClient(transport=httpx.MockTransport(system))
    try:
        yield job, system
    finally:
        await job.http.aclose()


async def test_a_due_request_is_pushed_to_its_departments_callback_once(
        gateway: FakeGateway, called_back: tuple[CallbackDelivery, DepartmentSystem]) -> None:
    job, system = called_back
    system.status = 202
    request, polled = handling(CASE, department=CALLED_BACK), handling(CASE)  # the other department polls
    await arrive(gateway, request)
    await arrive(gateway, polled)
    assert await job.deliver_due(DECIDED) == 1
    [pushed] = system.received
    assert (pushed["request_id"], pushed["state"], pushed["event_type"]) == (
        str(request.request_id), "pending", "dispatch.request.sent")
    assert pushed["request"]["task_id"] == f"{CASE}/V-01"
    stored = gateway.requests[str(request.request_id)]
    assert (stored.delivery, stored.delivery_attempts, stored.last_delivery_error) == (Delivery.DELIVERED, 1, None)
    assert await job.deliver_due(DECIDED + timedelta(days=1)) == 0  # delivered: never pushed again
    assert gateway.requests[str(polled.request_id)].delivery_attempts == 0
    assert gateway.staged("gateway.callback.parked") == []


async def test_failed_callbacks_back_off_then_park_once_announced_on_the_case_stream(
        gateway: FakeGateway, called_back: tuple[CallbackDelivery, DepartmentSystem]) -> None:
    job, system = called_back
    request = review(CASE, department=CALLED_BACK)
    await arrive(gateway, request)
    assert await job.deliver_due(DECIDED) == 1
    stored = gateway.requests[str(request.request_id)]
    assert (stored.delivery, stored.delivery_attempts) == (Delivery.PENDING, 1)
    assert stored.next_delivery_at == DECIDED + timedelta(seconds=1) and stored.last_delivery_error == "HTTP 503: busy"
    assert await job.deliver_due(DECIDED + timedelta(seconds=0.5)) == 0  # backing off
    parked_at = DECIDED + timedelta(seconds=1)
    assert await job.deliver_due(parked_at) == 1
    stored = gateway.requests[str(request.request_id)]
    assert (stored.delivery, stored.delivery_attempts, stored.next_delivery_at) == (Delivery.UNDELIVERABLE, 2, None)
    assert await job.deliver_due(DECIDED + timedelta(days=1)) == 0  # parked: never tried again by itself
    [announced] = gateway.staged("gateway.callback.parked")  # supervision cards the department
    assert (announced.topic, announced.key, announced.envelope["source"]) == (CASE_STREAM.name, CASE, "gateway")
    assert announced.event_id == str(callback_parked_event_id(str(request.request_id), parked_at.isoformat()))
    assert {k: announced.envelope["data"][k] for k in ("request_id", "department", "kind", "attempts")} == {
        "request_id": str(request.request_id), "department": CALLED_BACK, "kind": "review", "attempts": 2}
    assert len(system.received) == 2


async def test_a_delivery_parked_again_after_a_re_drive_is_announced_again(
        gateway: FakeGateway, called_back: tuple[CallbackDelivery, DepartmentSystem]) -> None:
    job, _ = called_back
    request = handling(CASE, department=CALLED_BACK)
    await arrive(gateway, request)
    for attempt in range(POLICY.max_attempts):
        await job.deliver_due(DECIDED + timedelta(seconds=10 * attempt))
    await in_queue(gateway, redrive, CALLED_BACK, request.request_id)
    later = datetime.now(UTC) + timedelta(minutes=1)
    for attempt in range(POLICY.max_attempts):
        assert await job.deliver_due(later + timedelta(seconds=10 * attempt)) == 1
    announced = gateway.staged("gateway.callback.parked")
    assert len(announced) == 2 and len({a.event_id for a in announced}) == 2  # one event per parking


async def test_an_attempt_overtaken_by_the_department_is_not_counted(
        gateway: FakeGateway, called_back: tuple[CallbackDelivery, DepartmentSystem]) -> None:
    job, system = called_back
    request = handling(CASE, department=CALLED_BACK)
    await arrive(gateway, request)

    async def acknowledged_meanwhile() -> None:
        await in_queue(gateway, acknowledge, CALLED_BACK, request.request_id)  # it polled and acknowledged meanwhile

    system.meanwhile = acknowledged_meanwhile
    assert await job.deliver_due(DECIDED) == 1
    stored = gateway.requests[str(request.request_id)]
    assert (stored.delivery, stored.delivery_attempts, stored.last_delivery_error) == (Delivery.DELIVERED, 0, None)

