"""Working-day calendar (工作日历) shared by every service that counts statutory time limits. Pure.

* A limit of N working days runs from the day the task reaches the department; that day itself is
  not counted (期间开始之日不计算在内), so the due date is the N-th working day after it.
* A limit of 0 (即办件) is due the same day, whatever day that is.
* A working day is Monday to Friday, except the public holidays the State Council publishes each year
  (法定节假日), plus the weekend days worked in their place (调休上班). The national arrangement comes
  from the maintained ``chinese-calendar`` package; a jurisdiction may publish its own changes on top
  (:meth:`WorkingCalendar.with_changes`, :func:`load_changes`, :func:`working_calendar`).
* A year whose arrangement is not yet published is counted on the law alone (暂定, provisional): Monday
  to Friday less the statutory holidays of 《全国年节及纪念日放假办法》 (:func:`statutory_holidays`, lunar
  dates and 清明 computed) and their make-up days (补假, :func:`provisional_days_off`). The 调休 swaps are
  unknown until published, so :meth:`WorkingCalendar.is_provisional` tells when a count relies on such a
  year, every view marks its date 暂定, and a published arrangement (a newer package, or a changes file
  naming the year) moves it.
* Days are China's calendar days (:mod:`contracts.days`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "PROVISIONAL_NOTE_EN",
    "PROVISIONAL_NOTE_ZH",
    "PROVISIONAL_ZH",
    "CalendarError",
    "StatutoryHoliday",
    "WorkingCalendar",
    "add_working_days",
    "is_working_day",
    "load_changes",
    "national_calendar",
    "provisional_days_off",
    "statutory_holidays",
    "working_calendar",
    "working_days_between",
]

# How every view marks a date counted over a year whose arrangement is not yet published.
PROVISIONAL_ZH = "暂定"
PROVISIONAL_NOTE_ZH = "暂定：该年度放假调休安排尚未公布，按《全国年节及纪念日放假办法》规定的法定节假日推算，公布后以公布为准"
PROVISIONAL_NOTE_EN = "provisional until the year's holiday arrangement is published"

# 《全国年节及纪念日放假办法》 as amended by 国务院令第795号 (10 November 2024, in force 1 January 2025;
# https://www.gov.cn/zhengce/content/202411/content_6986380.htm). Earlier years are the package's.
MEASURES_IN_FORCE_FROM = 2025


class CalendarError(ValueError):
    """A published calendar change is malformed; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class StatutoryHoliday:
    name_zh: str
    name_en: str
    day: date


def _gregorian(solar: Any) -> date:  # a lunar_python Solar
    return date(int(solar.getYear()), int(solar.getMonth()), int(solar.getDay()))


@cache
def statutory_holidays(year: int) -> tuple[StatutoryHoliday, ...]:
    """全体公民放假的节日 of ``year``, 13 days, as Article 2 of the measures (2024 amendment) sets them:
    元旦 1 January; 春节 农历除夕 and 正月初一至初三; 清明节 the day of the solar term 清明; 劳动节 1 and 2 May;
    端午节 the 5th of the 5th lunar month; 中秋节 the 15th of the 8th lunar month; 国庆节 1 to 3 October.
    Lunar dates and the solar term are computed (``lunar-python``, 寿星万年历 algorithm), never tabled."""
    from lunar_python import Lunar, Solar  # imported on first use, like the national data

    new_year = _gregorian(Lunar.fromYmd(year, 1, 1).getSolar())  # 正月初一; 除夕 is the day before it
    # 1 April is always in lunar year ``year`` (正月初一 falls by 20 February), whose solar terms include 清明.
    qingming = _gregorian(Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"])
    return (
        StatutoryHoliday("元旦", "New Year's Day", date(year, 1, 1)),
        StatutoryHoliday("除夕", "Spring Festival Eve", new_year - timedelta(days=1)),
        *(StatutoryHoliday(f"春节（正月初{n}）", f"Spring Festival day {n}", new_year + timedelta(days=i))
          for i, n in enumerate("一二三")),
        StatutoryHoliday("清明节", "Qingming Festival", qingming),
        StatutoryHoliday("劳动节", "Labour Day", date(year, 5, 1)),
        StatutoryHoliday("劳动节", "Labour Day", date(year, 5, 2)),
        StatutoryHoliday("端午节", "Dragon Boat Festival", _gregorian(Lunar.fromYmd(year, 5, 5).getSolar())),
        StatutoryHoliday("中秋节", "Mid-Autumn Festival", _gregorian(Lunar.fromYmd(year, 8, 15).getSolar())),
        *(StatutoryHoliday("国庆节", "National Day", date(year, 10, d)) for d in (1, 2, 3)),
    )


@cache
def provisional_days_off(year: int) -> frozenset[date]:
    """The weekdays off in ``year`` by the law alone, before its arrangement is published.

    Every statutory holiday on a weekday is off. Article 6 makes up (补假) on a working day each one that falls
    on a Saturday or Sunday; which day is the State Council's choice, so we take the next weekday not already
    off, and the same for a holiday on the day of another (中秋 on 1–3 October). The 调休 swaps that join them
    into longer breaks move days without changing how many are worked, so they stay unknown. Checked against
    the published 2025 and 2026: every day this gives is off there, and each year has as many working days.
    """
    if year < MEASURES_IN_FORCE_FROM:
        return frozenset()  # before the amendment: the package publishes those years, or they are out of reach
    days = sorted(h.day for h in statutory_holidays(year))
    off = {d for d in days if d.weekday() < 5}
    counted: set[date] = set()
    for day in days:
        if day.weekday() < 5 and day not in counted:
            counted.add(day)
            continue
        made_up = day + timedelta(days=1)
        while made_up.weekday() >= 5 or made_up in off:
            made_up += timedelta(days=1)
        off.add(made_up)
    return frozenset(off)


@dataclass(frozen=True)
class WorkingCalendar:
    """Days off on weekdays (``holidays``) and weekend days worked (``workdays``, 调休), as published for
    ``published_years``; any other year is counted provisionally on the law (:func:`provisional_days_off`)."""

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
        if day.weekday() >= 5:
            return False
        return self.covers(day) or day not in provisional_days_off(day.year)

    def covers(self, day: date) -> bool:
        """Whether the arrangement of ``day``'s year is published (else it is counted on the law, provisionally)."""
        return day.year in self.published_years

    def is_provisional(self, start: date, end: date) -> bool:
        """Whether counting the days after ``start`` up to ``end`` goes over a year whose arrangement is not
        published, so a date found by that count is 暂定 and may move when the year is published."""
        if end <= start:
            return False  # nothing counted (即办件): the date is the start, whatever the calendar says
        first = start + timedelta(days=1)
        return any(year not in self.published_years for year in range(first.year, end.year + 1))

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
                     workdays: frozenset[date] = frozenset(), years: frozenset[int] = frozenset()) -> WorkingCalendar:
        """This calendar with a jurisdiction's published changes (地方调整): extra days off, extra days worked,
        and the ``years`` whose whole arrangement they publish (no longer provisional: the law's days off
        for them give way to the days listed)."""
        both = holidays & workdays
        if both:
            raise CalendarError(f"{name}: 同一天既放假又上班 / a day both off and worked: {sorted(both)}")
        return WorkingCalendar(
            holidays=(self.holidays - workdays) | holidays,
            workdays=(self.workdays - holidays) | workdays,
            published_years=self.published_years | years,
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
    ``{"name": "…", "holidays": ["YYYY-MM-DD", …], "workdays": ["YYYY-MM-DD", …], "years": [YYYY, …]}``;
    ``years`` (optional) names the years whose whole arrangement the file publishes, e.g. the State Council's
    notice for next year before the package has it."""
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

    years = raw.get("years", [])
    if not isinstance(years, list) or not all(type(y) is int and 1900 <= y <= 2200 for y in years):
        raise CalendarError(f"{path}: years 须为年份列表，如 [2027] / years must be a list of years, e.g. [2027]")
    return base.with_changes(f"{raw['name']} ({path.name})", holidays=days("holidays"), workdays=days("workdays"),
                             years=frozenset(years))


def working_calendar(changes: Iterable[Path] = ()) -> WorkingCalendar:
    """The calendar a service counts on: the national arrangement with the jurisdiction's published changes
    (``ONETHING_CALENDAR_CHANGES``) applied in order, so every service that reads the same files counts alike."""
    calendar = national_calendar()
    for path in changes:
        calendar = load_changes(calendar, path)
    return calendar


def is_working_day(day: date, calendar: WorkingCalendar | None = None) -> bool:
    return (calendar or national_calendar()).is_working_day(day)


def add_working_days(start: date, days: int, calendar: WorkingCalendar | None = None) -> date:
    """The ``days``-th working day after ``start`` on ``calendar`` (the national one by default)."""
    return (calendar or national_calendar()).add_working_days(start, days)


def working_days_between(start: date, end: date, calendar: WorkingCalendar | None = None) -> int:
    return (calendar or national_calendar()).working_days_between(start, end)
