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
    concluded_at: AwareDatetime
