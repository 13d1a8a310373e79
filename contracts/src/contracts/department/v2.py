"""Events department systems publish back to the platform (部门回传), version 2: only what can be said is sayable.

Two fields of v1 were wrong:

* ``department.result.returned`` v1 took any :class:`contracts.dispatch.v1.Outcome`, ``needs_correction`` included,
  which the platform always refused: what is missing is found in preliminary review, once for the whole case
  (一次性告知, R-14), never while handling. v2's outcome is a :class:`Decision`: approved or rejected.
* ``department.review.returned`` v1 repeated the item and the department on every deficiency, beside the same two
  on the payload, so a review could name another department's item. v2's :class:`Finding` is what was found of
  this payload's item: a material or a form field, and why.

v1 records are still accepted from departments and read as v2 (the upcasters in :mod:`contracts.registry`): a v1
result of ``needs_correction``, or a v1 deficiency about another item or department, fails v2 and is dead-lettered
as poison, as the platform refused them before.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts.envelope import EventPayload

__all__ = ["Decision", "DecisionAtReview", "Finding", "ResultReturned", "ReviewReturned"]


class Decision(StrEnum):
    """办理决定: what a department decides of a request it handled."""

    APPROVED = "approved"  # 准予
    REJECTED = "rejected"  # 不予


class Finding(BaseModel):
    """预审发现: one material or form field of the reviewed item that is missing or wrong, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["material", "field"]
    code: str  # material code or form field name
    reason_zh: str
    reason_en: str


class ResultReturned(EventPayload):
    """A department decided a request it handled: approved or rejected."""

    event_type: ClassVar[str] = "department.result.returned"
    event_version: ClassVar[int] = 2

    request_id: UUID
    case_id: str
    task_id: str
    item_code: str
    department: str
    attempt: int = Field(ge=1)
    outcome: Decision
    reason_zh: str | None = None
    reason_en: str | None = None
    document_no: str | None = None
    decided_at: AwareDatetime


class DecisionAtReview(BaseModel):
    """即审即办: the decision on an on-the-spot item (即办件), given with a review that found nothing missing, when
    the review request asked for it (``dispatch.review.requested`` ``decide``). No handling request follows."""

    model_config = ConfigDict(frozen=True, extra="ignore")  # tolerant reader, as every payload

    outcome: Decision
    reason_zh: str | None = None
    reason_en: str | None = None
    document_no: str | None = None

    @model_validator(mode="after")
    def _reason_for_a_rejection(self) -> DecisionAtReview:
        if self.outcome is Decision.REJECTED and not self.reason_zh:
            raise ValueError("a rejection at review states its reason (reason_zh)")
        return self


class ReviewReturned(EventPayload):
    """A department's preliminary review (预审) of one item: what is missing or wrong, or nothing; for an item the
    request asked to be decided at review, with nothing missing, the decision too (``decision``)."""

    event_type: ClassVar[str] = "department.review.returned"
    event_version: ClassVar[int] = 2

    request_id: UUID
    case_id: str
    item_code: str
    department: str
    round: int = Field(ge=1)
    deficiencies: tuple[Finding, ...] = ()
    reviewed_at: AwareDatetime
    decision: DecisionAtReview | None = None  # 即审即办; only with no deficiencies, and only when asked

    @model_validator(mode="after")
    def _decided_only_when_nothing_is_missing(self) -> ReviewReturned:
        if self.decision is not None and self.deficiencies:
            raise ValueError("a review that finds deficiencies gives no decision (R-14: the applicant corrects first)")
        return self
