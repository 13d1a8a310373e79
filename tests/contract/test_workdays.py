"""Working-day arithmetic for statutory time limits (Mon–Fri for now; holidays come later)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from contracts.workdays import add_working_days, is_working_day

MON = date(2024, 3, 4)
TUE, WED, THU, FRI, SAT, SUN = (MON + timedelta(days=n) for n in range(1, 7))
NEXT_MON = MON + timedelta(days=7)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        pytest.param(MON, 0, MON, id="day-0-same-day"),
        pytest.param(SAT, 0, SAT, id="day-0-on-a-weekend-same-day"),
        pytest.param(MON, 1, TUE, id="mon+1"),
        pytest.param(THU, 1, FRI, id="thu+1"),
        pytest.param(FRI, 1, NEXT_MON, id="fri+1-is-monday"),
        pytest.param(SAT, 1, NEXT_MON, id="sat+1-is-monday"),
        pytest.param(SUN, 1, NEXT_MON, id="sun+1-is-monday"),
        pytest.param(MON, 5, NEXT_MON, id="one-week"),
        pytest.param(FRI, 5, FRI + timedelta(days=7), id="fri+5"),
        pytest.param(WED, 3, NEXT_MON, id="over-the-weekend"),
        pytest.param(MON, 20, MON + timedelta(days=28), id="four-weeks"),
        pytest.param(date(2024, 12, 31), 2, date(2025, 1, 2), id="across-new-year-no-holidays-yet"),
    ],
)
def test_add_working_days(start: date, days: int, due: date) -> None:
    assert add_working_days(start, days) == due


def test_due_date_is_a_working_day_and_counts_exactly_n_of_them() -> None:
    for offset in range(14):
        start = MON + timedelta(days=offset)
        for days in range(1, 30):
            due = add_working_days(start, days)
            assert is_working_day(due)
            between = [start + timedelta(days=n) for n in range(1, (due - start).days + 1)]
            assert sum(map(is_working_day, between)) == days


def test_negative_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(MON, -1)

