"""Working-day calendar (工作日历) shared by every service that counts statutory time limits. Pure.

* A limit of N working days runs from the day the task reaches the department; that day itself is
  not counted (期间开始之日不计算在内), so the due date is the N-th working day after it.
* A limit of 0 (即办件) is due the same day, whatever day that is.
* A working day is Monday to Friday, except the public holidays the State Council publishes each year
  (法定节假日), plus the weekend days worked in their place (调休上班). The national arrangement comes
  from the maintained ``chinese-calendar`` package; a jurisdiction may publish its own changes on top
  (:meth:`WorkingCalendar.with_changes`, :func:`load_changes`).
* A year the State Council has not yet published is counted Monday to Friday, and
  :meth:`WorkingCalendar.covers` says so, so a due date in such a year can be re-projected later.
* Days are China's calendar days (:mod:`contracts.days`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

__all__ = [
    "CalendarError",
    "WorkingCalendar",
    "add_working_days",
    "is_working_day",
    "load_changes",
    "national_calendar",
    "working_days_between",
]


class CalendarError(ValueError):
    """A published calendar change is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Days off on weekdays (``holidays``) and weekend days worked (``workdays``, 调休)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    published_years: frozenset[int] = frozenset()
    source: str = "weekends only"
    changes: tuple[str, ...] = field(default=())  # the jurisdictions' changes applied, in order

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def covers(self, day: date) -> bool:
        """Whether the holidays of ``day``'s year are published (else only weekends are known)."""
        return day.year in self.published_years

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted); ``start`` for 0."""
        if days < 0:
            raise ValueError(f"a time limit cannot be negative: {days}")
        day, left = start, days
        while left:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after ``start``)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def with_changes(self, name: str, *, holidays: frozenset[date] = frozenset(),
                     workdays: frozenset[date] = frozenset()) -> WorkingCalendar:
        """This calendar with a jurisdiction's published changes (地方调整): extra days off, extra days worked."""
        both = holidays & workdays
        if both:
            raise CalendarError(f"{name}: 同一天既放假又上班 / a day both off and worked: {sorted(both)}")
        return WorkingCalendar(
            holidays=(self.holidays - workdays) | holidays,
            workdays=(self.workdays - holidays) | workdays,
            published_years=self.published_years,
            source=self.source,
            changes=(*self.changes, name),
        )


@cache
def national_calendar() -> WorkingCalendar:
    """The State Council's arrangement as the ``chinese-calendar`` package publishes it."""
    import chinese_calendar  # a data package; imported on first use, not at import time

    holidays = frozenset(chinese_calendar.holidays)
    workdays = frozenset(chinese_calendar.workdays)
    years = frozenset(d.year for d in holidays | workdays)
    return WorkingCalendar(holidays, workdays, years, source=f"chinese-calendar {chinese_calendar.__version__}")


def load_changes(base: WorkingCalendar, path: Path) -> WorkingCalendar:
    """Apply a jurisdiction's published changes from a JSON file:
    ``{"name": "…", "holidays": ["YYYY-MM-DD", …], "workdays": ["YYYY-MM-DD", …]}``."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CalendarError(f"{path}: 无法读取日历调整 cannot read the calendar changes: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise CalendarError(f"{path}: 须为含 name、holidays、workdays 的对象 / an object with name, holidays, workdays")

    def days(key: str) -> frozenset[date]:
        values = raw.get(key, [])
        if not isinstance(values, list):
            raise CalendarError(f"{path}: {key} 须为日期列表 / {key} must be a list of dates")
        out = set()
        for value in values:
            try:
                out.add(date.fromisoformat(value))
            except (TypeError, ValueError):
                raise CalendarError(f"{path}: {key} 中的日期无效 invalid date {value!r}") from None
        return frozenset(out)

    return base.with_changes(f"{raw['name']} ({path.name})", holidays=days("holidays"), workdays=days("workdays"))


def is_working_day(day: date, calendar: WorkingCalendar | None = None) -> bool:
    return (calendar or national_calendar()).is_working_day(day)


def add_working_days(start: date, days: int, calendar: WorkingCalendar | None = None) -> date:
    """The ``days``-th working day after ``start`` on ``calendar`` (the national one by default)."""
    return (calendar or national_calendar()).add_working_days(start, days)


def working_days_between(start: date, end: date, calendar: WorkingCalendar | None = None) -> int:
    return (calendar or national_calendar()).working_days_between(start, end)
