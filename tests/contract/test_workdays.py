"""Working-day arithmetic for statutory time limits: weekends, public holidays and 调休."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from contracts.workdays import (
    CalendarError,
    WorkingCalendar,
    add_working_days,
    is_working_day,
    load_changes,
    national_calendar,
    working_days_between,
)

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
        pytest.param(date(2024, 12, 31), 2, date(2025, 1, 3), id="across-new-year-1-january-off"),
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




# --- the State Council's arrangement for 2026 (国务院办公厅关于2026年部分节假日安排的通知) ----------------


def test_spring_festival_2026_with_its_two_worked_saturdays() -> None:
    # Off 15–23 February; Saturday 14 and Saturday 28 February are worked (调休上班).
    for day in range(15, 24):
        assert not is_working_day(date(2026, 2, day)), day
    assert is_working_day(date(2026, 2, 14)) and is_working_day(date(2026, 2, 28))
    # A task that arrives on Friday 13 February with 1 working day is due on the worked Saturday.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    # With 2, the next working day is Tuesday 24 February, after the whole festival.
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6  # 14, 24, 25, 26, 27 and 28
    assert national_calendar().covers(date(2026, 2, 14))


def test_national_day_2026_with_its_worked_weekend_days() -> None:
    # Off 1–7 October; Sunday 20 September and Saturday 10 October are worked.
    assert all(not is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert is_working_day(date(2026, 9, 20)) and is_working_day(date(2026, 10, 10))
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)  # 8, 9, then the worked Saturday
    assert add_working_days(date(2026, 9, 19), 1) == date(2026, 9, 20)


def test_an_unpublished_year_counts_weekends_only_and_says_so() -> None:
    calendar = national_calendar()
    assert not calendar.covers(date(2031, 1, 1))
    assert is_working_day(date(2031, 1, 1))  # a Wednesday: not known to be off yet


def test_a_jurisdiction_publishes_its_own_changes(tmp_path: Path) -> None:
    published = tmp_path / "hengyang-2026.json"
    published.write_text(json.dumps({"name": "衡阳市", "holidays": ["2026-03-02"], "workdays": ["2026-02-21"]}),
                         encoding="utf-8")
    local = load_changes(national_calendar(), published)
    assert not local.is_working_day(date(2026, 3, 2)) and local.is_working_day(date(2026, 2, 21))
    assert add_working_days(date(2026, 2, 27), 1, local) == date(2026, 2, 28)
    assert add_working_days(date(2026, 2, 28), 1, local) == date(2026, 3, 3)  # Monday 2 March off there
    assert add_working_days(date(2026, 2, 28), 1) == date(2026, 3, 2)  # but not nationally
    assert local.changes == ("衡阳市 (hengyang-2026.json)",)


@pytest.mark.parametrize("content", ['{"holidays": []}', '{"name": "x", "holidays": ["2026-13-01"]}',
                                     '{"name": "x", "workdays": "2026-01-01"}', "not json"])
def test_malformed_changes_are_refused_naming_the_file(tmp_path: Path, content: str) -> None:
    published = tmp_path / "bad.json"
    published.write_text(content, encoding="utf-8")
    with pytest.raises(CalendarError, match=r"bad\.json"):
        load_changes(national_calendar(), published)


def test_a_day_cannot_be_both_off_and_worked() -> None:
    with pytest.raises(CalendarError, match="both"):
        WorkingCalendar().with_changes("x", holidays=frozenset({date(2026, 3, 2)}),
                                       workdays=frozenset({date(2026, 3, 2)}))
