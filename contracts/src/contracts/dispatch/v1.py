"""Events owned by the dispatch service (分办服务), version 1."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.envelope import EventPayload
from contracts.intake.v1 import Applicant, MaterialRef

__all__ = [
    "Deficiency",
    "Evidence",
    "FindingBeyondList",
    "Outcome",
    "RequestSent",
    "ReviewConcluded",
    "ReviewRequested",
    "TaskConcluded",
    "TaskReleased",
]


class Outcome(StrEnum):
    """办理结果."""

    APPROVED = "approved"  # 准予
    REJECTED = "rejected"  # 不予
    NEEDS_CORRECTION = "needs_correction"  # 需补正
    NOT_PROCESSED = "not_processed"  # 前置事项未通过，未办理


class Evidence(BaseModel):
    """A prerequisite's result handed to the next department (数据多跑路)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    item_code: str
    department: str
    document_no: str | None = None


class Deficiency(BaseModel):
    """One thing found missing or wrong in preliminary review (预审): a material or a form field."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    item_code: str
    department: str
    kind: Literal["material", "field"]
    code: str  # material code or form field name
    reason_zh: str
    reason_en: str


class ReviewRequested(EventPayload):
    """Preliminary review (预审) of one item's materials and form, sent to every department at acceptance,
    parallel and sequential items alike, so every deficiency is found in one round (R-14)."""

    event_type: ClassVar[str] = "dispatch.review.requested"

    request_id: UUID
    case_id: str
    item_code: str
    item_name_zh: str
    department: str
    round: int = Field(ge=1)
    applicant: Applicant
    form: dict[str, str]
    materials: tuple[MaterialRef, ...] = ()


class FindingBeyondList(EventPayload):
    """A department asked, in preliminary review, for a material or field outside the published list of the
    item (清单之外): the request is dropped and reported to supervision for a red card and a forced stop (R-04)."""

    event_type: ClassVar[str] = "dispatch.finding.beyond_list"

    case_id: str
    item_code: str
    department: str
    kind: Literal["material", "field"]
    code: str
    reason_zh: str
    found_at: AwareDatetime
    already_held: bool = False  # the platform already holds it (a shared material): asked again (R-13, SUP-05)


class ReviewConcluded(EventPayload):
    """Every department's preliminary review is in: the merged deficiencies of the round (一次性告知补正).
    No deficiencies means handling starts."""

    event_type: ClassVar[str] = "dispatch.review.concluded"

    case_id: str
    round: int = Field(ge=1)
    deficiencies: tuple[Deficiency, ...] = ()
    concluded_at: AwareDatetime


class TaskReleased(EventPayload):
    """A task was sent to its department (parallel at once, sequential once its prerequisites passed)."""

    event_type: ClassVar[str] = "dispatch.task.released"

    case_id: str
    task_id: str
    item_code: str
    department: str
    attempt: int = Field(ge=1)
    time_limit_days: int = Field(ge=0)  # 法定办结时限（工作日）
    released_at: AwareDatetime
    promised_limit_days: int | None = Field(default=None, ge=0)  # 承诺时限, the clock's limit; None: the statutory one

    @property
    def promised_days(self) -> int:
        return self.time_limit_days if self.promised_limit_days is None else self.promised_limit_days


class RequestSent(EventPayload):
    """The handling request a department system receives on its request topic (办理请求)."""

    event_type: ClassVar[str] = "dispatch.request.sent"

    request_id: UUID
    case_id: str
    task_id: str
    item_code: str
    item_name_zh: str
    department: str
    attempt: int = Field(ge=1)
    applicant: Applicant
    form: dict[str, str]
    evidence: tuple[Evidence, ...] = ()
    licence_type: str | None = None
    materials: tuple[MaterialRef, ...] = ()
    fast_track: bool = False


class TaskConcluded(EventPayload):
    """A department's result was verified and recorded against the task (结果实时回传)."""

    event_type: ClassVar[str] = "dispatch.task.concluded"

    case_id: str
    task_id: str
    item_code: str
    department: str
    attempt: int = Field(ge=1)
    outcome: Outcome
    reason_zh: str | None = None
    reason_en: str | None = None
    document_no: str | None = None
    yields_licence: bool = False
    licence_type: str | None = None
    holder_id: str | None = None
    holder_name: str | None = None
    concluded_at: AwareDatetime
