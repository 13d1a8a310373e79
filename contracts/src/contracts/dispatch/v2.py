"""Events owned by the dispatch service (分办服务), version 2: the case stream names no one.

``dispatch.task.concluded`` v1 carried the licence holder's ID number and name on the case stream, which
analysts read; v2 does not (数据最小化, PIPL). The holder goes to the licence service alone, in
:class:`contracts.dispatch.v1.LicenceRequested`. v1 records still on a topic are read as v2 (the upcaster in
:mod:`contracts.registry` drops the two fields).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts.dispatch.v1 import Outcome
from contracts.envelope import EventPayload

__all__ = ["TaskConcluded"]


class TaskConcluded(EventPayload):
    """A department's result was verified and recorded against the task (结果实时回传)."""

    event_type: ClassVar[str] = "dispatch.task.concluded"
    event_version: ClassVar[int] = 2

    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    task_id: str = Field(description="任务编号 The department task: <case_id>/<item_code>")
    item_code: str = Field(description="事项编码 The item")
    department: str = Field(description="承办部门 The department that handled it")
    attempt: int = Field(ge=1, description="派发次数 The release of the task the result answers (1 for the first)")
    outcome: Outcome = Field(description="办理结果 approved 准予, rejected 不予, or not_processed 前置事项未通过，未办理 "
                                         "(needs_correction is in the type but never a handling result: corrections "
                                         "are asked only in review, R-14)")
    reason_zh: str | None = Field(
        default=None, description="理由 The reason given (Chinese): the department's for a rejection, the platform's "
                                  "for not_processed; None when none was given")
    reason_en: str | None = Field(default=None, description="The reason in English, when one was given; None otherwise")
    document_no: str | None = Field(
        default=None, description="文书编号 Number of the department's result document; None when it gave none")
    yields_licence: bool = Field(default=False, description="办结即发证 True when the item issues an e-licence on approval")
    licence_type: str | None = Field(
        default=None, description="证照类型 The e-licence type the item issues; None when it issues none")
    concluded_at: AwareDatetime = Field(description="办结时间 When the platform recorded the result (timestamp with "
                                                    "offset)")
    decided_at_review: bool = Field(
        default=False, description="即审即办 True when the department decided the item with its preliminary review "
                                   "(an on-the-spot item, 即办件): no handling request was sent")
