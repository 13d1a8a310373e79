"""The supervision clock's idea of today (injectable): the day in China, plus an offset that tests and the
demo move forward to run weeks of statutory time in seconds (only when clock control is enabled)."""

from __future__ import annotations

from datetime import date, timedelta

from contracts.days import china_today

__all__ = ["LATEST_TODAY", "ClockBeyondCalendar", "Today"]

# The clock stops ten years short of the last date Python knows (9999-12-31), so every deadline, card and
# projection counted from "today" still fits in a date.
LATEST_TODAY = date.max - timedelta(days=3653)


class ClockBeyondCalendar(OverflowError):
    """An advance that would move the clock past :data:`LATEST_TODAY`."""


class Today:
    def __init__(self, offset_days: int = 0) -> None:
        self.offset_days = offset_days

    def __call__(self) -> date:
        return china_today() + timedelta(days=self.offset_days)

    def advance(self, days: int) -> date:
        if days < 0:
            raise ValueError("the supervision clock only moves forward")
        if self.offset_days + days > (LATEST_TODAY - china_today()).days:
            raise ClockBeyondCalendar(f"the clock cannot pass {LATEST_TODAY}")
        self.offset_days += days
        return self()
