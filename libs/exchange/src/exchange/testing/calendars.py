"""Working-day calendars frozen in time, for tests of what is provisional (暂定) and what is published."""

from __future__ import annotations

from contracts.workdays import WorkingCalendar, national_calendar

__all__ = ["published_until"]


def published_until(year: int) -> WorkingCalendar:
    """The national calendar as it stood when ``year`` was the last year published: every later year is counted
    on the law, provisionally, whatever the installed ``chinese-calendar`` publishes by the time tests run."""
    national = national_calendar()
    return WorkingCalendar(
        holidays=frozenset(d for d in national.holidays if d.year <= year),
        workdays=frozenset(d for d in national.workdays if d.year <= year),
        published_years=frozenset(y for y in national.published_years if y <= year),
        source=f"{national.source}, published until {year}",
    )
