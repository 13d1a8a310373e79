"""Events department systems publish back to the platform (部门回传), version 1.

Department systems are not ours: they sign with their own key (``dept.<code>``) and the platform
verifies that the signer is the department the request went to.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.dispatch.v1 import Deficiency, Outcome
from contracts.envelope import EventPayload

__all__ = ["ResultReturned", "ReviewReturned"]


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
