"""Events owned by the supervision service (电子监察服务), version 1."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from contracts.envelope import EventPayload

__all__ = ["ClockStarted"]


class ClockStarted(EventPayload):
    """An item's statutory clock started; it is due on ``due_on`` (办结时限，工作日)."""

    event_type: ClassVar[str] = "supervision.clock.started"

    case_id: str
    task_id: str
    item_code: str
    department: str
    limit_working_days: int = Field(ge=0)
    started_on: date
    due_on: date
