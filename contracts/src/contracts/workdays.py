"""Working-day calendar (工作日历) shared by every service that counts statutory time limits. Pure.

* A limit of N working days runs from the day the task reaches the department; that day itself is
  not counted (期间开始之日不计算在内), so the due date is the N-th working day after it.
* A limit of 0 (即办件) is due the same day, whatever day that is.
* For now a working day is Monday to Friday. Public holidays and the weekend days worked in their
  place (法定节假日与调休) come with the supervision issue, from a published calendar.
* Days are China's calendar days (:mod:`contracts.days`).
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["add_working_days", "is_working_day", "working_days_between"]


def is_working_day(day: date) -> bool:
    """Monday to Friday (holidays and 调休 are not known yet)."""
    return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted); ``start`` for 0.

    Friday + 1 is the next Monday; Saturday or Sunday + 1 is the next Monday too.
    """
    if days < 0:
        raise ValueError(f"a time limit cannot be negative: {days}")
    day, left = start, days
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after ``start``)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
