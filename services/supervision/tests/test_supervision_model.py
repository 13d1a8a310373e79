"""Supervision's aggregates without I/O: a clock stops once with its verdict, waits for the applicant once per
correction, is extended with who approved it, and earns each card once (a red one with its order); a case's
items follow their tasks; a resubmission is flagged against each open case that shares an item."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.supervision.clocks import item_clock_id
from contracts.workdays import national_calendar
from supervision.domain.model import (
    Adjusted,
    ItemProgress,
    Started,
    Stopped,
    SupervisedCase,
    SupervisedClock,
    resubmission_flags,
)

CAL = national_calendar()
MONDAY = date(2026, 11, 23)


def released(promised: int = 5) -> SupervisedClock:
    return SupervisedClock.of_release("C-1", "T-1", 1, "P-01-02", "health", promised, 20,
                                      datetime(2026, 11, 23, 1, tzinfo=UTC), CAL)


def test_a_release_starts_its_own_clock_on_the_promised_limit() -> None:
    clock = released(promised=5)
    assert clock.clock_id == item_clock_id("T-1", 1)
    assert clock.due_on == date(2026, 11, 30)  # five working days after Monday
    assert clock.statutory_working_days == 20
    assert clock.collect() == [Started()]


def test_the_case_clock_is_announced_for_its_due_date_is_the_one_the_applicant_sees() -> None:
    clock = SupervisedClock.of_case("C-1", "health", 10, datetime(2026, 11, 23, 1, tzinfo=UTC), MONDAY, "staff-7", CAL)
    assert clock.kind == "case" and clock.staff_id == "staff-7"
    assert clock.collect() == [Started()] and clock.due_on == CAL.add_working_days(MONDAY, 10)


def test_a_clock_stops_once_with_its_verdict() -> None:
    clock = released(promised=5)
    clock.collect()
    clock.stop(date(2026, 11, 27), CAL)
    clock.stop(date(2026, 12, 9), CAL)  # a repeat changes nothing
    assert clock.collect() == [Stopped(date(2026, 11, 27), True, 4)]
    assert clock.finished_on == date(2026, 11, 27)


def test_a_late_finish_is_not_on_time() -> None:
    clock = released(promised=1)
    clock.stop(date(2026, 11, 27), CAL)
    assert [e for e in clock.collect() if isinstance(e, Stopped)] == [Stopped(date(2026, 11, 27), False, 4)]


def test_waiting_for_the_applicant_suspends_once_and_resuming_adds_the_days_waited() -> None:
    clock = released(promised=5)
    clock.collect()
    clock.suspend(date(2026, 11, 24), "等待申请人补正", CAL)
    clock.suspend(date(2026, 11, 25), "等待申请人补正", CAL)  # already waiting
    clock.resume(date(2026, 11, 26), CAL)
    clock.resume(date(2026, 11, 27), CAL)  # not waiting any more
    assert clock.collect() == [
        Adjusted("suspended", date(2026, 11, 24), "等待申请人补正", ordinal=1),
        Adjusted("resumed", date(2026, 11, 26), "申请人已补正，恢复计时", 2, ordinal=1),
    ]
    assert clock.due_on == date(2026, 12, 2)  # two working days later than without the wait


def test_an_extension_past_the_calendar_changes_nothing() -> None:
    late = SupervisedClock.of_release("C-1", "T-1", 1, "P-01-02", "health", 1, 20,
                                      datetime(9999, 12, 1, 1, tzinfo=UTC), CAL)
    late.collect()
    with pytest.raises(OverflowError):
        late.extend(60, "超出日历", "sup-1", date(9999, 12, 1), CAL)
    assert late.ledger.extensions == () and late.collect() == []
    clock = released(promised=5)
    clock.collect()
    clock.extend(2, "需现场核查", "sup-1", MONDAY, CAL)
    assert clock.collect() == [Adjusted("extended", MONDAY, "需现场核查", 2, "sup-1", ordinal=1)]
    assert clock.due_on == date(2026, 12, 2)


def test_the_scan_issues_each_card_once_and_a_red_one_carries_an_order() -> None:
    clock = released(promised=2)
    assert [c.colour for c in clock.scan(MONDAY, CAL, threshold=1, respond_days=3)] == []
    yellow = clock.scan(date(2026, 11, 24), CAL, threshold=1, respond_days=3)
    assert [(c.colour, c.reason, c.order) for c in yellow] == [("yellow", "near_deadline", None)]
    red = clock.scan(date(2026, 11, 30), CAL, threshold=1, respond_days=3)
    assert [(c.colour, c.reason) for c in red] == [("red", "overdue")]
    assert red[0].order is not None and red[0].order.respond_by == date(2026, 12, 3)
    assert clock.scan(date(2026, 12, 1), CAL, threshold=1, respond_days=3) == []
    assert clock.cards_issued == {"yellow", "red"}


def test_a_finished_or_waiting_clock_earns_no_card() -> None:
    finished, waiting = released(promised=1), released(promised=1)
    finished.stop(MONDAY, CAL)
    waiting.suspend(MONDAY, "等待申请人补正", CAL)
    assert finished.scan(date(2026, 12, 30), CAL, threshold=1, respond_days=3) == []
    assert waiting.scan(date(2026, 12, 30), CAL, threshold=1, respond_days=3) == []


def case(case_id: str, *codes: str) -> SupervisedCase:
    return SupervisedCase(case_id, "P-01", "health", "ref-1", None, None, MONDAY,
                          [ItemProgress(code, "health", (), 5) for code in codes])


def test_a_case_follows_its_items_and_is_delivered_once() -> None:
    c = case("C-1", "P-01-01", "P-01-02")
    c.released("P-01-01")
    c.concluded("P-01-01", "approved", date(2026, 11, 25))
    c.deliver(date(2026, 11, 26))
    c.deliver(date(2026, 11, 30))
    assert [(i.status, i.concluded_on) for i in c.items] == [("approved", date(2026, 11, 25)), ("waiting", None)]
    assert c.delivered_on == date(2026, 11, 26)


def test_a_resubmission_is_flagged_against_each_open_case_sharing_an_item() -> None:
    new = case("C-3", "P-01-01", "P-01-02")
    flags = resubmission_flags(new, [case("C-1", "P-01-02", "P-01-09"), case("C-2", "P-01-07")])
    assert [(f.other_case_id, f.item_codes, f.kind) for f in flags] == [("C-1", ("P-01-02",), "resubmitted")]
    assert flags[0].flag_id == resubmission_flags(new, [case("C-1", "P-01-02")])[0].flag_id  # same case, same id
