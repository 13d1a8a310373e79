"""A department's request at the gateway (部门请求): one aggregate per request the gateway holds for a department.

A request is stored once and receipted at once (签收回执, signed as the department); it is delivered to the
department's callback or polled; the department answers it once (a repeat of the same answer is no new fact); a
delivery whose every attempt failed is parked and may be re-driven. Each step is a method; what goes out is recorded
as an event (:data:`GatewayEvent`) and turned into payloads by ``adapters.messages``. The rules of the queue are in
:mod:`gateway.domain.requests`. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.department.v1 import RequestKind
from exchange.aggregates import Aggregate
from gateway.domain.errors import AnswerConflict, NotRedrivable, WrongKind
from gateway.domain.messages import MESSAGES
from gateway.domain.requests import Delivery, DeliveryPolicy, after_failed_delivery, same_decision

__all__ = ["AnswerGiven", "CallbackParked", "GatewayEvent", "QueuedRequest", "Receipted", "RefusalNotice"]

_ROUTE = {RequestKind.REVIEW: "reviews", RequestKind.HANDLING: "results"}


@dataclass(frozen=True, slots=True)
class Receipted:
    """签收回执, in the department's name (again, exactly as before, when dispatch sends the request again)."""


@dataclass(frozen=True, slots=True)
class AnswerGiven:
    """The department's answer, as it gave it, and its envelope id."""

    decision: dict[str, Any]
    event_id: str


@dataclass(frozen=True, slots=True)
class CallbackParked:
    """Every callback attempt failed: supervision cards the department; the department polls or re-drives."""

    attempts: int
    parked_at: datetime


GatewayEvent = Receipted | AnswerGiven | CallbackParked


@dataclass(frozen=True, slots=True)
class RefusalNotice:
    """拒收通知: dispatch refused an answer given in the department's name; kept, as dispatch signed it, for the
    department to read (``GET /departments/{code}/notices``). Nothing follows from it here."""

    event_id: str  # the notice's envelope id
    department: str
    case_id: str | None
    notice: dict[str, Any]  # the payload, as dispatch signed it
    received_at: datetime


@dataclass
class QueuedRequest(Aggregate[GatewayEvent]):
    request_id: str
    department: str
    seq: int  # position in the department's queue (poll cursor)
    kind: RequestKind
    case_id: str
    item_code: str
    envelope: dict[str, Any]  # as dispatch signed it
    received_at: datetime
    receipt_event_id: str
    delivery: Delivery = Delivery.PENDING
    delivery_attempts: int = 0
    next_delivery_at: datetime | None = None
    last_delivery_error: str | None = None
    delivered_at: datetime | None = None
    answer: dict[str, Any] | None = None  # the decision, as the department gave it
    answer_event_id: str | None = None
    answered_at: datetime | None = None

    @classmethod
    def stored(cls, *, request_id: str, department: str, seq: int, kind: RequestKind, case_id: str, item_code: str,
               envelope: dict[str, Any], received_at: datetime, receipt_event_id: str) -> QueuedRequest:
        request = cls(request_id, department, seq, kind, case_id, item_code, envelope, received_at, receipt_event_id)
        request.record(Receipted())
        return request

    def give_answer(self, kind: RequestKind, decision: dict[str, Any], event_id: str, now: datetime) -> bool:
        """A department decides once per request: False when this is the answer it gave before (nothing new);
        :class:`WrongKind` or :class:`AnswerConflict` when it may not be taken."""
        if kind is not self.kind:
            raise WrongKind(MESSAGES.text("answer_at_other_route", request_id=self.request_id,
                                          kind=MESSAGES.text(f"request_kind_{self.kind.value}"),  # in each language
                                          department=self.department, route=_ROUTE[self.kind]))
        if self.answer is not None and self.answered_at is not None:
            if not same_decision(decision, self.answer):
                raise AnswerConflict(MESSAGES.text("answered_differently", request_id=self.request_id,
                                                   answered_at=self.answered_at.isoformat()))
            return False
        self.answer, self.answer_event_id, self.answered_at = decision, event_id, now
        self.record(AnswerGiven(decision, event_id))
        return True

    def acknowledge(self, now: datetime) -> None:
        """签收确认: the department has the request in its own system (idempotent)."""
        if self.delivery is not Delivery.DELIVERED:
            self.delivery, self.delivered_at, self.next_delivery_at = Delivery.DELIVERED, now, None

    def redrive(self, now: datetime) -> None:
        """重投: a parked callback delivery is tried again from the start (attempts counted afresh)."""
        if self.answered_at is not None or self.delivery is not Delivery.UNDELIVERABLE:
            state = "answered" if self.answered_at is not None else self.delivery.value
            raise NotRedrivable(MESSAGES.text("not_redrivable", state=state))
        self.delivery, self.delivery_attempts, self.next_delivery_at = Delivery.PENDING, 0, now

    def still_due(self, attempts_seen: int) -> bool:
        """Whether a delivery tried after ``attempts_seen`` attempts still counts: not answered, acknowledged or
        re-driven meanwhile."""
        return (self.answered_at is None and self.delivery is Delivery.PENDING
                and self.delivery_attempts == attempts_seen)

    def delivery_tried(self, error: str | None, policy: DeliveryPolicy, now: datetime) -> None:
        """One callback attempt: delivered, or failed and retried later, or parked when the attempts are spent."""
        self.delivery_attempts += 1
        if error is None:
            self.delivery, self.delivered_at, self.next_delivery_at = Delivery.DELIVERED, now, None
            self.last_delivery_error = None
            return
        self.last_delivery_error = error
        self.delivery, self.next_delivery_at = after_failed_delivery(policy, self.delivery_attempts, now)
        if self.delivery is Delivery.UNDELIVERABLE:
            self.record(CallbackParked(self.delivery_attempts, now))
