"""Events owned by the dispatch service (分办服务), version 1."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.envelope import EventPayload
from contracts.intake.v1 import Applicant, MaterialRef

__all__ = [
    "REFUSAL_TEXTS",
    "AnswerRefused",
    "Deficiency",
    "Evidence",
    "FindingBeyondList",
    "LicenceRequested",
    "Outcome",
    "RefusalReason",
    "RequestSent",
    "RequestUndeliverable",
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

    item_code: str = Field(description="事项编码 The item whose review found it")
    department: str = Field(description="预审部门 The department that found it")
    kind: Literal["material", "field"] = Field(description="补正类型 material (a material) or field (a form field)")
    code: str = Field(description="补正对象 The material code or the form field name")
    reason_zh: str = Field(description="补正原因 What is missing or wrong (Chinese)")
    reason_en: str = Field(description="What is missing or wrong, in English")


class ReviewRequested(EventPayload):
    """Preliminary review (预审) of one item's materials and form, sent at acceptance to every department that has not
    entrusted its preliminary review to the window (委托窗口初审), parallel and sequential items alike, so every
    deficiency is found in one round (R-14)."""

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
    # 即审即办: an on-the-spot item (即办件, statutory limit 0 days) that waits for no other item. When the review
    # finds nothing missing, the department gives its decision with it (``department.review.returned``
    # ``decision``) and no handling request follows; without one, the handling request comes as for any item.
    decide: bool = False


class FindingBeyondList(EventPayload):
    """A department asked, in preliminary review, for a material or field outside the published list of the
    item (清单之外): the request is dropped and reported to supervision for a red card and a forced stop (R-04)."""

    event_type: ClassVar[str] = "dispatch.finding.beyond_list"

    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    item_code: str = Field(description="事项编码 The item under review")
    department: str = Field(description="预审部门 The department that asked")
    kind: Literal["material", "field"] = Field(description="类型 material (a material) or field (a form field)")
    code: str = Field(description="索要对象 The material code or form field name asked for, outside the item's published "
                                  "list")
    reason_zh: str = Field(description="部门理由 The department's stated reason (Chinese)")
    found_at: AwareDatetime = Field(description="发现时间 When dispatch recorded the finding (timestamp with offset)")
    already_held: bool = Field(
        default=False, description="已共享 True when the platform already holds it (a shared material): asked again "
                                   "(R-13, SUP-05)")


class ReviewConcluded(EventPayload):
    """Every department's preliminary review is in (or the window's, for a department that entrusted it): the merged
    deficiencies of the round (一次性告知补正). No deficiencies means handling starts."""

    event_type: ClassVar[str] = "dispatch.review.concluded"

    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    round: int = Field(ge=1, description="预审轮次 The review round (1 for the review at acceptance)")
    deficiencies: tuple[Deficiency, ...] = Field(
        default=(), description="一次性告知补正 Every deficiency of the round, merged over all departments; empty: handling "
                                "starts")
    concluded_at: AwareDatetime = Field(description="预审完成时间 When the round concluded: the last department's review in, "
                                                    "or the acceptance at dispatch when the window reviewed every item "
                                                    "(timestamp with offset)")
    window_reviewed: tuple[str, ...] = Field(
        default=(), description="委托窗口初审 The items whose preliminary review the window did at acceptance, their "
                                "departments having entrusted it (no review request was sent); empty: every department "
                                "reviewed its own")


class TaskReleased(EventPayload):
    """A task was sent to its department (parallel at once, sequential once its prerequisites passed)."""

    event_type: ClassVar[str] = "dispatch.task.released"

    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    task_id: str = Field(description="任务编号 The department task: <case_id>/<item_code>")
    item_code: str = Field(description="事项编码 The item the task handles")
    department: str = Field(description="承办部门 The department the task was sent to")
    attempt: int = Field(ge=1, description="派发次数 Which release of the task this is (1 for the first)")
    time_limit_days: int = Field(ge=0, description="法定办结时限 The item's statutory limit, in working days")
    released_at: AwareDatetime = Field(description="推送时间 When the task was sent (timestamp with offset); the item's "
                                                   "clock starts on its China calendar day")
    promised_limit_days: int | None = Field(
        default=None, ge=0, description="承诺时限 The item's promised limit in working days, the one its clock runs on; "
                                        "None: the statutory limit")

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


class RequestUndeliverable(EventPayload):
    """无法送达: a department request (review or handling) got no receipt (签收回执) in time, was re-sent with the
    same ``request_id`` with back-off as many times as allowed, and is now parked. Supervision cards the
    department; an operator re-drives it (``POST /requests/{request_id}/redrive`` on dispatch). ``parking``
    counts how often this request was parked (1 the first time, 2 after a re-drive that went unanswered too)."""

    event_type: ClassVar[str] = "dispatch.request.undeliverable"

    request_id: UUID = Field(description="请求编号 The department request, the same over every re-send (UUID)")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    item_code: str = Field(description="事项编码 The item the request is about")
    department: str = Field(description="接收部门 The department that gave no receipt")
    kind: Literal["review", "handling"] = Field(description="请求类型 review 预审请求 or handling 办理请求")
    sends: int = Field(ge=1, description="发送次数 Times the request was sent in all, the first send included")
    first_sent_at: AwareDatetime = Field(description="首次发送时间 When the request was first sent (timestamp with offset)")
    parked_at: AwareDatetime = Field(description="挂起时间 When dispatch gave up and parked it (timestamp with offset)")
    parking: int = Field(default=1, ge=1, description="挂起次数 Which parking of this request this is: 1 the first time, "
                                                      "one more after each re-drive that went unanswered too")


class TaskConcluded(EventPayload):
    """A department's result was verified and recorded against the task (结果实时回传). Superseded by
    :class:`contracts.dispatch.v2.TaskConcluded`, which names no holder (read through the upcaster in
    :mod:`contracts.registry`)."""

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


class LicenceRequested(EventPayload):
    """办结即发证: an approved item yields an e-licence; the licence service is asked to issue it to the holder.
    The holder's identity travels only here, on the restricted ``onething.licence.requests`` topic, never on
    the case stream (where :class:`TaskConcluded` says the same conclusion without it)."""

    event_type: ClassVar[str] = "dispatch.licence.requested"

    case_id: str
    task_id: str
    item_code: str
    department: str  # the issuing department: its seal signs the licence
    attempt: int = Field(ge=1)
    licence_type: str
    document_no: str | None = None
    holder_id: str  # resident ID or unified social credit code (持证主体)
    holder_name: str
    concluded_at: AwareDatetime


class RefusalReason(StrEnum):
    """Why dispatch refused a department's answer (拒收原因): a fixed vocabulary."""

    MALFORMED = "malformed"  # 格式不符：不是合规的信封，或类型、版本、载荷与公布的模式不符
    SIGNATURE_INVALID = "signature_invalid"  # 签名无效：未签名、签名不符，或签名密钥不是 source 的
    FOREIGN_TASK = "foreign_task"  # 非本部门事项：答复了发给别的部门的事项
    UNKNOWN_TASK = "unknown_task"  # 无此事项：平台没有派发过该办件、事项或任务
    CORRECTION_OUTSIDE_REVIEW = "correction_outside_review"  # 办理阶段不得要求补正（R-14）
    OTHER = "other"  # 其他原因


# What the notice says for each reason (fixed text, so a notice never carries an answer's personal data).
REFUSAL_TEXTS: dict[RefusalReason, tuple[str, str]] = {
    RefusalReason.MALFORMED: (
        "回传消息不是合规的事件信封，或其类型、版本、载荷与公布的模式不符；请按 contracts/asyncapi.yaml 改正后重发",
        "the answer is not a well-formed envelope, or its type, version or payload does not match the published "
        "schema; correct it as contracts/asyncapi.yaml says and send it again"),
    RefusalReason.SIGNATURE_INVALID: (
        "回传消息签名无效：未签名、签名与内容不符，或 signature.key_id 不是 source 的密钥；请按 docs/signing.md 核对签名后重发",
        "the answer's signature is missing, does not verify, or signature.key_id is not its source's key; check the "
        "signing against docs/signing.md and its test vectors, then send it again"),
    RefusalReason.FOREIGN_TASK: (
        "所答复的事项不是发给本部门的；只答复本部门收到的请求",
        "the answer is about a task or finding that was not addressed to this department; answer only the "
        "requests this department received"),
    RefusalReason.UNKNOWN_TASK: (
        "平台没有该办件、事项或任务；请核对办件编号、事项编码和任务编号",
        "the platform has no such case, item or task; check the case id, item code and task id"),
    RefusalReason.CORRECTION_OUTSIDE_REVIEW: (
        "补正只能在预审时一次提出；办理结果只能是准予或不予（R-14）",
        "corrections are asked once, in preliminary review; a handling result approves or rejects (R-14)"),
    RefusalReason.OTHER: (
        "回传消息未被受理；请凭事件编号联系平台运维",
        "the answer was not accepted; quote its event id to the platform's operators"),
}


class AnswerRefused(EventPayload):
    """Dispatch refused a department's answer and applied nothing of it (部门回传拒收通知).

    Sent on the department's own request topic, keyed by the case when the answer names one. The answer itself
    went to the platform's dead letters (``topic``/``partition``/``offset`` say where it was read). The
    texts are fixed per ``reason``: a notice carries no personal data."""

    event_type: ClassVar[str] = "dispatch.answer.refused"

    department: str
    reason: RefusalReason
    message_zh: str
    message_en: str
    refused_event_id: UUID | None = None  # None when the answer had no readable envelope id
    refused_event_type: str | None = None
    case_id: str | None = None
    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    refused_at: AwareDatetime

    @classmethod
    def saying(cls, reason: RefusalReason, **fields: object) -> AnswerRefused:
        """The notice for ``reason``, with its fixed Chinese and English text."""
        message_zh, message_en = REFUSAL_TEXTS[reason]
        return cls.model_validate({**fields, "reason": reason, "message_zh": message_zh, "message_en": message_en})
