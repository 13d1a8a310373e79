"""Events department systems publish back to the platform (部门回传), version 1.

Department systems are not ours: they sign with their own key (``dept.<code>``) and the platform
verifies that the signer is the department the request went to.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, Field

from contracts.dispatch.v1 import Deficiency, Outcome
from contracts.envelope import EventPayload

__all__ = ["RequestKind", "RequestReceived", "ResultReturned", "ReviewReturned", "answer_event_id", "receipt_event_id"]


class ResultReturned(EventPayload):
    """A department concluded a request: approved, rejected or needs correction."""

    event_type: ClassVar[str] = "department.result.returned"

    request_id: UUID
    case_id: str
    task_id: str
    item_code: str
    department: str
    attempt: int = Field(ge=1)
    outcome: Outcome
    reason_zh: str | None = None
    reason_en: str | None = None
    document_no: str | None = None
    decided_at: AwareDatetime


class ReviewReturned(EventPayload):
    """A department's preliminary review (预审) of one item: what is missing or wrong, or nothing."""

    event_type: ClassVar[str] = "department.review.returned"

    request_id: UUID
    case_id: str
    item_code: str
    department: str
    round: int = Field(ge=1)
    deficiencies: tuple[Deficiency, ...] = ()
    reviewed_at: AwareDatetime


class RequestKind(StrEnum):
    REVIEW = "review"  # 预审请求 dispatch.review.requested
    HANDLING = "handling"  # 办理请求 dispatch.request.sent


class RequestReceived(EventPayload):
    """签收回执 Receipt: a department system has received a request and taken it into its own queue.

    Sent at once on receipt, long before the decision. The platform's answer deadline (应答时限) is for
    this receipt: a request with none in time is re-sent with the same ``request_id``; a second receipt of
    the same request has no effect. The statutory clock (法定时限) runs on separately.
    """

    event_type: ClassVar[str] = "department.request.received"

    request_id: UUID
    case_id: str
    item_code: str
    department: str
    kind: RequestKind
    received_at: AwareDatetime


# Event ids of a department's answers (部门回传的事件标识): derived from the request id, so a request sent again
# (应答时限 re-send) gets the identical receipt and answer, and consumers' inboxes drop the repeat. Every department
# system (the simulators, the HTTP gateway on a department's behalf) uses these.


def receipt_event_id(request_id: UUID) -> UUID:
    """The one envelope id of the receipt (签收回执) of ``request_id``."""
    return uuid5(NAMESPACE_URL, f"onething:receipt:{request_id}")


def answer_event_id(kind: RequestKind, request_id: UUID) -> UUID:
    """The one envelope id of the answer to ``request_id``. A handling request's id already names its attempt, so
    each attempt has its own answer."""
    prefix = "review" if kind is RequestKind.REVIEW else "result"
    return uuid5(NAMESPACE_URL, f"onething:{prefix}:{request_id}")
