"""Calendar days of the platform (北京时间): every date in a contract is a day in China.

``accepted_on``, ``started_on``, ``due_on``, ``valid_from`` and the like are China Standard Time
days (UTC+8, no daylight saving since 1991), whatever time zone the producing machine runs in; the
instants beside them (``*_at``) are timezone-aware and usually UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

__all__ = ["CHINA_TZ", "china_date", "china_today", "week_start"]

CHINA_TZ = timezone(timedelta(hours=8), "CST")


def china_date(at: datetime) -> date:
    """The calendar day in China at the instant ``at`` (which must be timezone-aware)."""
    if at.tzinfo is None:
        raise ValueError("a naive datetime has no day in China")
    return at.astimezone(CHINA_TZ).date()


def china_today() -> date:
    return datetime.now(CHINA_TZ).date()


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week (statistics by week, 按周统计)."""
    return day - timedelta(days=day.weekday())
