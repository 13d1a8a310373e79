"""An item clock (事项时限) as every reader derives it from the task it times.

Each release of a task (``dispatch.task.released``) starts an item clock at 电子监察 (supervision): it runs on the
item's promised limit (承诺时限) from the China calendar day of the release, on the working-day calendar every
service loads alike (``contracts.workdays.working_calendar``). Supervision does not announce that start: the
release already says all of it, and a reader that wants the clock (intake shows the applicant each item's due
date) derives it here. What only supervision knows is announced: the clock's adjustments
(``supervision.clock.adjusted``: extensions, re-projections) and its verdict (``supervision.clock.stopped``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime
from uuid import NAMESPACE_URL, uuid5

from contracts.days import china_date
from contracts.workdays import WorkingCalendar

__all__ = ["ItemClock", "case_clock_id", "item_clock", "item_clock_id", "rectification_clock_id"]


def item_clock_id(task_id: str, attempt: int) -> str:
    """计时编号 of the clock one release (``attempt``) of a task starts: derived, so a redelivered release finds it."""
    return str(uuid5(NAMESPACE_URL, f"onething:clock:{task_id}:{attempt}"))


def case_clock_id(case_id: str) -> str:
    """计时编号 of the case's own clock (一件事时限, R-05), started at acceptance."""
    return str(uuid5(NAMESPACE_URL, f"onething:case-clock:{case_id}"))


def rectification_clock_id(rectification_id: str) -> str:
    """计时编号 of a rectification order's clock (差评整改时限)."""
    return str(uuid5(NAMESPACE_URL, f"onething:rectification-clock:{rectification_id}"))


@dataclass(frozen=True, slots=True)
class ItemClock:
    """An item clock as started: its id, the day it started and its due date before any adjustment."""

    clock_id: str
    started_on: Date
    due_on: Date


def item_clock(task_id: str, attempt: int, released_at: datetime, promised_days: int,
               calendar: WorkingCalendar) -> ItemClock:
    """推送即计时: the clock a release starts, due ``promised_days`` working days after the day of the release."""
    started_on = china_date(released_at)
    return ItemClock(item_clock_id(task_id, attempt), started_on, calendar.add_working_days(started_on, promised_days))
