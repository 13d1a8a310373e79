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
    provisional_days_off,
    statutory_holidays,
    working_calendar,
    working_days_between,
)
from exchange.testing.calendars import published_until

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


# --- a year not yet published: the statutory holidays by law (《全国年节及纪念日放假办法》, 2024 amendment) ----------

AS_IN_2026 = published_until(2026)  # what was known in 2026, whatever the installed package publishes later


def test_the_statutory_holidays_of_2027_are_the_laws_thirteen_days() -> None:
    # 春节 2027: 正月初一 is Saturday 6 February, so 除夕 is Friday 5 February; 清明 falls on 5 April,
    # 端午 (五月初五) on 9 June and 中秋 (八月十五) on 15 September.
    assert [(h.name_zh, h.day) for h in statutory_holidays(2027)] == [
        ("元旦", date(2027, 1, 1)), ("除夕", date(2027, 2, 5)), ("春节（正月初一）", date(2027, 2, 6)),
        ("春节（正月初二）", date(2027, 2, 7)), ("春节（正月初三）", date(2027, 2, 8)), ("清明节", date(2027, 4, 5)),
        ("劳动节", date(2027, 5, 1)), ("劳动节", date(2027, 5, 2)), ("端午节", date(2027, 6, 9)),
        ("中秋节", date(2027, 9, 15)), ("国庆节", date(2027, 10, 1)), ("国庆节", date(2027, 10, 2)),
        ("国庆节", date(2027, 10, 3)),
    ]


def test_lunar_festivals_and_qingming_are_computed_as_every_published_year_has_them() -> None:
    # The days the measures have named since 2008 (除夕 and 2 May came and went, so they are left out here).
    national = national_calendar()
    years = sorted(y for y in national.published_years if y >= 2008)
    assert years[0] == 2008 and years[-1] >= 2026
    for year in years:
        kept = [h for h in statutory_holidays(year) if h.name_zh != "除夕" and h.day != date(year, 5, 2)]
        assert [h for h in kept if national.is_working_day(h.day)] == [], year


def test_the_law_alone_gives_every_published_year_under_it_its_days_off_and_its_count_of_working_days() -> None:
    # 2025 and 2026 (and any later year the package has published since): every statutory holiday and every
    # make-up day (补假) the law gives is off in the State Council's arrangement, and the year has as many
    # working days either way, because the 调休 swaps only move them.
    national = national_calendar()
    years = sorted(y for y in national.published_years if y >= 2025)
    assert years[:2] == [2025, 2026]
    for year in years:
        law_only = WorkingCalendar()  # nothing published: the law decides every year
        days = [date(year, 1, 1) + timedelta(days=n) for n in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
        assert [d for d in provisional_days_off(year) if national.is_working_day(d)] == [], year
        assert sum(map(law_only.is_working_day, days)) == sum(map(national.is_working_day, days)), year


def test_a_holiday_on_a_weekend_is_made_up_on_the_next_weekday() -> None:
    # 2027: 除夕 Friday off; 初一 and 初二 fall on the weekend, so Tuesday 9 and Wednesday 10 February are off
    # after 初三 on Monday 8. Labour Day (Saturday 1 and Sunday 2 May) gives Monday 3 and Tuesday 4 May.
    # 国庆 2 and 3 October are a weekend: Monday 4 and Tuesday 5 October.
    assert sorted(provisional_days_off(2027)) == [
        date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9), date(2027, 2, 10), date(2027, 4, 5),
        date(2027, 5, 3), date(2027, 5, 4), date(2027, 6, 9), date(2027, 9, 15), date(2027, 10, 1),
        date(2027, 10, 4), date(2027, 10, 5),
    ]
    # 2028: 中秋 is 3 October, a day of 国庆 already: the two holidays give two days off, 3 and 4 October.
    assert {date(2028, 10, 3), date(2028, 10, 4)} <= provisional_days_off(2028)


def test_an_unpublished_year_counts_the_statutory_holidays_and_says_so() -> None:
    assert not AS_IN_2026.covers(date(2027, 1, 1))
    assert not AS_IN_2026.is_working_day(date(2027, 1, 1))  # New Year's Day, a Friday: off by law
    assert not is_working_day(date(2027, 1, 1))  # on the installed calendar too, published or not
    assert AS_IN_2026.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    # Accepted Friday 4 December 2026 with 20 working days: 19 are left in December, and 1 January is off.
    assert AS_IN_2026.add_working_days(date(2026, 12, 4), 20) == date(2027, 1, 4)
    assert AS_IN_2026.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 11)  # 春节 and its 补假
    assert AS_IN_2026.working_days_between(date(2027, 1, 29), date(2027, 2, 12)) == 6  # 1–4, 11, 12 February


def test_a_count_over_an_unpublished_year_is_provisional() -> None:
    assert not AS_IN_2026.is_provisional(date(2026, 12, 4), date(2026, 12, 31))  # all in 2026
    assert AS_IN_2026.is_provisional(date(2026, 12, 4), date(2027, 1, 4))  # crosses into 2027
    assert AS_IN_2026.is_provisional(date(2027, 3, 1), date(2027, 3, 5))
    assert not AS_IN_2026.is_provisional(date(2026, 12, 31), date(2026, 12, 31))  # 即办件: nothing counted
    assert not AS_IN_2026.is_provisional(date(2027, 3, 1), date(2027, 3, 1))


def test_a_published_arrangement_moves_a_provisional_date_and_ends_it(tmp_path: Path) -> None:
    # The State Council's notice for 2027, published as a file before the package has it: the days listed
    # are the year's, the law's provisional days give way, and 2027 is no longer provisional.
    notice = tmp_path / "guobanfa-2027.json"
    notice.write_text(json.dumps({"name": "国务院办公厅关于2027年部分节假日安排的通知（示例）", "years": [2027],
                                  "holidays": ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10",
                                               "2027-02-11", "2027-02-12"],
                                  "workdays": ["2027-02-20"]}), encoding="utf-8")
    published = load_changes(AS_IN_2026, notice)
    assert published.covers(date(2027, 2, 11))
    assert not published.is_provisional(date(2026, 12, 4), date(2027, 1, 4))
    assert AS_IN_2026.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 11)
    assert published.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 15)  # the whole break off
    assert published.add_working_days(date(2027, 2, 19), 1) == date(2027, 2, 20)  # the worked Saturday
    assert published.is_working_day(date(2027, 5, 3))  # not listed, so worked: the law's 补假 gave way


def test_a_jurisdictions_change_moves_a_provisional_date_and_leaves_it_provisional(tmp_path: Path) -> None:
    changes = tmp_path / "local.json"
    changes.write_text(json.dumps({"name": "某市", "workdays": ["2027-02-09"], "holidays": ["2027-01-04"]}),
                       encoding="utf-8")
    local = load_changes(AS_IN_2026, changes)
    assert local.add_working_days(date(2026, 12, 4), 20) == date(2027, 1, 5)  # 4 January off there
    assert local.add_working_days(date(2027, 2, 8), 1) == date(2027, 2, 9)  # a made-up day worked there
    assert local.is_provisional(date(2026, 12, 4), date(2027, 1, 5))


def test_every_service_reads_the_same_changes_into_the_same_calendar(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps({"name": "甲", "holidays": ["2026-03-02"]}), encoding="utf-8")
    second.write_text(json.dumps({"name": "乙", "workdays": ["2026-03-02"]}), encoding="utf-8")
    assert working_calendar() == national_calendar()
    assert working_calendar([first, second]) == load_changes(load_changes(national_calendar(), first), second)
    assert working_calendar([first, second]).is_working_day(date(2026, 3, 2))  # the later file wins


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
                                     '{"name": "x", "workdays": "2026-01-01"}', "not json",
                                     '{"name": "x", "years": 2027}', '{"name": "x", "years": ["2027"]}',
                                     '{"name": "x", "years": [27]}'])
def test_malformed_changes_are_refused_naming_the_file(tmp_path: Path, content: str) -> None:
    published = tmp_path / "bad.json"
    published.write_text(content, encoding="utf-8")
    with pytest.raises(CalendarError, match=r"bad\.json"):
        load_changes(national_calendar(), published)


def test_a_day_cannot_be_both_off_and_worked() -> None:
    with pytest.raises(CalendarError, match="both"):
        WorkingCalendar().with_changes("x", holidays=frozenset({date(2026, 3, 2)}),
                                       workdays=frozenset({date(2026, 3, 2)}))
