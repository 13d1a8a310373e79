"""Department answer deadlines (部门应答时限). Pure: no I/O, driven directly by unit tests.

A department system receipts (签收回执) every request at once. A request with no receipt and no answer within
the answer timeout is re-sent, unchanged and under the same request id, with exponential back-off: the n-th
re-send waits ``timeout × backoff^n`` (capped) after the send before it. After ``max_resends`` re-sends with no
receipt, the request is parked as undeliverable (无法送达) for supervision and an operator; a re-drive sends it
again and starts the count afresh. A receipt or an answer ends it all; a late one after a re-send is a repeat.
The statutory clock (法定时限) runs separately, at supervision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "DeadlinePolicy",
    "NextStep",
    "RedriveRefusal",
    "RequestState",
    "RequestView",
    "due_at",
    "next_step",
    "redrive_refusal",
]


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    timeout_s: float = 30.0  # 应答时限: from a send to its receipt
    max_resends: int = 5
    backoff: float = 2.0
    max_interval_s: float = 600.0  # no wait between two sends is longer than this

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.max_resends < 0 or self.backoff < 1 or self.max_interval_s < self.timeout_s:
            raise ValueError(f"not a deadline policy: {self}")

    def interval(self, resends: int) -> timedelta:
        """How long a send waits for its receipt, after ``resends`` re-sends before it."""
        return timedelta(seconds=min(self.timeout_s * self.backoff**resends, self.max_interval_s))


class RequestState(StrEnum):
    OPEN = "open"  # 已发送，待签收
    RECEIVED = "received"  # 已签收，待答复
    ANSWERED = "answered"  # 已答复
    PARKED = "parked"  # 无法送达，待人工重发


@dataclass(frozen=True, slots=True)
class RequestView:
    state: RequestState
    sends: int  # since the first send or the last re-drive, that send included
    last_sent_at: datetime


class NextStep(StrEnum):
    NOTHING = "nothing"  # received, answered or parked: no deadline runs
    WAIT = "wait"
    RESEND = "resend"
    PARK = "park"


def due_at(request: RequestView, policy: DeadlinePolicy) -> datetime | None:
    """When the last send's wait for a receipt runs out; None when no deadline runs."""
    if request.state is not RequestState.OPEN:
        return None
    return request.last_sent_at + policy.interval(max(request.sends - 1, 0))


def next_step(request: RequestView, now: datetime, policy: DeadlinePolicy) -> NextStep:
    due = due_at(request, policy)
    if due is None:
        return NextStep.NOTHING
    if now < due:
        return NextStep.WAIT
    return NextStep.RESEND if request.sends - 1 < policy.max_resends else NextStep.PARK


class RedriveRefusal(StrEnum):
    ANSWERED = "answered"


def redrive_refusal(request: RequestView) -> RedriveRefusal | None:
    """An operator may re-drive any request the department has not answered (parked, or still waiting)."""
    return RedriveRefusal.ANSWERED if request.state is RequestState.ANSWERED else None
