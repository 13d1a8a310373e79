"""Clocks as budgets with a ledger (计时台账). Pure: no I/O, driven directly by unit tests.

A clock has a statutory budget in working days from the day it starts. Time waiting for the applicant
(补正, 容缺) is suspended and recorded with its reason; an extension adds working days with its reason
and approver. The due date is the start plus the budget, the extensions and every closed suspension,
counted on the working-day calendar; while a suspension is open the clock does not run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts.workdays import WorkingCalendar

__all__ = ["Clock", "Extension", "Suspension"]


@dataclass(frozen=True, slots=True)
class Suspension:
    since: date
    until: date | None  # None: still waiting for the applicant
    reason_zh: str

    def working_days(self, calendar: WorkingCalendar, today: date) -> int:
        """Working days lost to the applicant: after ``since`` up to and including the resume day."""
        return calendar.working_days_between(self.since, self.until or today)


@dataclass(frozen=True, slots=True)
class Extension:
    days: int
    reason_zh: str
    approver: str


@dataclass(frozen=True)
class Clock:
    started_on: date
    budget_days: int
    suspensions: tuple[Suspension, ...] = ()
    extensions: tuple[Extension, ...] = ()
    finished_on: date | None = None

    @property
    def suspended(self) -> bool:
        return any(s.until is None for s in self.suspensions)

    def suspended_days(self, calendar: WorkingCalendar, today: date) -> int:
        return sum(s.working_days(calendar, today) for s in self.suspensions)

    def extended_days(self) -> int:
        return sum(e.days for e in self.extensions)

    def due_on(self, calendar: WorkingCalendar, today: date) -> date:
        """The due date as of ``today`` (an open suspension keeps pushing it while it lasts)."""
        allowance = self.budget_days + self.extended_days() + self.suspended_days(calendar, today)
        return calendar.add_working_days(self.started_on, allowance)

    def working_days_left(self, calendar: WorkingCalendar, today: date) -> int:
        """Working days from ``today`` to the due date; negative once overdue (by the working days since)."""
        due = self.due_on(calendar, today)
        if today <= due:
            return calendar.working_days_between(today, due)
        return -calendar.working_days_between(due, today)

    def suspend(self, on: date, reason_zh: str) -> Clock:
        if self.suspended or self.finished_on is not None:
            return self
        return Clock(self.started_on, self.budget_days, (*self.suspensions, Suspension(on, None, reason_zh)),
                     self.extensions, self.finished_on)

    def resume(self, on: date) -> Clock:
        if not self.suspended:
            return self
        closed = tuple(Suspension(s.since, on, s.reason_zh) if s.until is None else s for s in self.suspensions)
        return Clock(self.started_on, self.budget_days, closed, self.extensions, self.finished_on)

    def extend(self, days: int, reason_zh: str, approver: str) -> Clock:
        if days <= 0:
            raise ValueError(f"an extension adds working days: {days}")
        return Clock(self.started_on, self.budget_days, self.suspensions,
                     (*self.extensions, Extension(days, reason_zh, approver)), self.finished_on)

    def finish(self, on: date) -> Clock:
        if self.finished_on is not None:
            return self
        return Clock(self.started_on, self.budget_days, self.suspensions, self.extensions, on)

    def on_time(self, calendar: WorkingCalendar) -> bool | None:
        if self.finished_on is None:
            return None
        return self.finished_on <= self.due_on(calendar, self.finished_on)

    def handling_days(self, calendar: WorkingCalendar) -> int | None:
        """Working days the clock ran, suspensions left out (for the efficiency figures)."""
        if self.finished_on is None:
            return None
        spent = calendar.working_days_between(self.started_on, self.finished_on)
        return max(0, spent - self.suspended_days(calendar, self.finished_on))
