"""A department request and its answer deadline (部门请求与应答时限): one aggregate per request sent.

Review or handling, a request is sent once under its id and waits for the department's receipt (签收回执). The
rules of the wait are in :mod:`dispatch.domain.deadlines`; this is the request's state and its changes: receipted,
answered, sent again, parked as undeliverable (which it records as an event for supervision), re-driven.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from contracts.department.v1 import RequestKind
from contracts.departments import department_principal
from dispatch.domain.deadlines import (
    DeadlinePolicy,
    NextStep,
    RequestState,
    RequestView,
    next_step,
    redrive_refusal,
)
from dispatch.domain.errors import ForeignResult, RedriveRefused, UnknownTask
from exchange.aggregates import Aggregate

__all__ = ["DepartmentRequest", "Parked", "RequestEvent"]


@dataclass(frozen=True, slots=True)
class Parked:
    """无法送达: no receipt after every re-send; supervision cards the department, an operator may re-drive."""

    parking: int  # the how-manieth parking of this request
    sends: int
    parked_at: datetime


RequestEvent = Parked


@dataclass
class DepartmentRequest(Aggregate[RequestEvent]):
    request_id: str  # also the request's envelope id
    case_id: str
    task_id: str
    item_code: str
    department: str
    kind: RequestKind
    first_sent_at: datetime
    last_sent_at: datetime
    state: RequestState = RequestState.OPEN
    sends: int = 1  # since the first send or the last re-drive, that send included
    total_sends: int = 1
    received_at: datetime | None = None
    answered_at: datetime | None = None
    parked_at: datetime | None = None
    parkings: int = 0

    @classmethod
    def sent(cls, request_id: UUID, *, case_id: str, task_id: str, item_code: str, department: str,
             kind: RequestKind, at: datetime) -> DepartmentRequest:
        """应答时限 starts: the department is to receipt this request."""
        return cls(str(request_id), case_id, task_id, item_code, department, kind, first_sent_at=at, last_sent_at=at)

    @property
    def view(self) -> RequestView:
        return RequestView(self.state, self.sends, self.last_sent_at)

    def next_step(self, now: datetime, policy: DeadlinePolicy) -> NextStep:
        return next_step(self.view, now, policy)

    def addressed_to(self, principal: str) -> None:
        """Only the department the request was sent to may receipt or answer it."""
        if principal != department_principal(self.department):
            raise ForeignResult(f"{principal} answered request {self.request_id}, sent to {self.department}")

    def receipted(self, *, case_id: str, item_code: str, received_at: datetime) -> bool:
        """签收回执: no more re-sends. False: receipted already (the department receipted a re-send too)."""
        if case_id != self.case_id or item_code != self.item_code:
            raise UnknownTask(f"receipt for request {self.request_id} names case {case_id} item {item_code}; it was "
                              f"sent for {self.case_id} {self.item_code}")
        if self.received_at is not None:
            return False
        self.received_at = received_at
        if self.state in (RequestState.OPEN, RequestState.PARKED):  # a receipt after parking: the department is back
            self.state = RequestState.RECEIVED
        return True

    def answered(self, now: datetime) -> None:
        """An answer ends the deadline (a receipt is implied)."""
        if self.state is RequestState.ANSWERED:
            return
        self.state, self.answered_at = RequestState.ANSWERED, now
        self.received_at = self.received_at or now

    def wait_again(self, now: datetime) -> None:
        """The last send never left (it is still in the outbox): the department has not had it, so its wait starts
        again and nothing is counted."""
        self.last_sent_at = now

    def resent(self, now: datetime) -> None:
        self.sends += 1
        self.total_sends += 1
        self.last_sent_at = now

    def park(self, now: datetime) -> None:
        self.state, self.parked_at = RequestState.PARKED, now
        self.parkings += 1
        self.record(Parked(self.parkings, self.sends, now))

    def redrive(self, now: datetime) -> None:
        """人工重发: sent again now, its deadline and re-send count started afresh. The deadline runs again unless
        the department has receipted it already: its receipt of this request id would be the same event again, which
        the inbox drops."""
        refusal = redrive_refusal(self.view)
        if refusal is not None:
            raise RedriveRefused(refusal)
        self.state = RequestState.OPEN if self.received_at is None else RequestState.RECEIVED
        self.sends, self.last_sent_at = 1, now
        self.total_sends += 1
