"""The supervision rules as an officer reads them: time limits on the 2026 working-day calendar
(春节, 国庆 and their 调休 weekend days), suspensions while waiting for the applicant, extensions,
yellow and red cards (红黄牌), and the projected completion and blocking department of a case.

Pure: no database, no broker; every date is a concrete 2026 day on the national calendar.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.workdays import WorkingCalendar, national_calendar
from supervision.domain.cards import CardDue, cards_due
from supervision.domain.clocks import Clock, Extension, Suspension
from supervision.domain.projection import APPLICANT, ItemPlan, project

CAL: WorkingCalendar = national_calendar()

# An ordinary stretch of March 2026 (no holidays): Mon 2 Mar .. Fri 20 Mar.
MON_2_MAR = date(2026, 3, 2)
MON_9_MAR = date(2026, 3, 9)
TUE_10_MAR = date(2026, 3, 10)
WED_11_MAR = date(2026, 3, 11)
THU_12_MAR = date(2026, 3, 12)
FRI_13_MAR = date(2026, 3, 13)
SAT_14_MAR = date(2026, 3, 14)
MON_16_MAR = date(2026, 3, 16)
TUE_17_MAR = date(2026, 3, 17)
WED_18_MAR = date(2026, 3, 18)
THU_19_MAR = date(2026, 3, 19)
FRI_20_MAR = date(2026, 3, 20)

AWAITING_CORRECTION = "等待申请人补正材料"


def ten_day_clock() -> Clock:
    """Started Mon 2 Mar 2026 with 10 working days: due Mon 16 Mar 2026."""
    return Clock(MON_2_MAR, 10)


# --------------------------------------------------------------------------------------------------
# The calendar itself, as the brief states it (guards the expectations below)
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 1), False),  # 元旦
        (date(2026, 1, 2), False),  # 元旦 (Friday off)
        (date(2026, 1, 4), True),  # Sunday worked (调休)
        (date(2026, 2, 14), True),  # Saturday worked before 春节
        (date(2026, 2, 15), False),
        (date(2026, 2, 16), False),  # Monday, 春节
        (date(2026, 2, 23), False),  # Monday, last day of 春节
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday worked after 春节
        (date(2026, 9, 20), True),  # Sunday worked before 国庆
        (date(2026, 10, 1), False),
        (date(2026, 10, 7), False),  # Wednesday, last day of 国庆
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday worked after 国庆
        (date(2026, 10, 11), False),  # an ordinary Sunday
    ],
)
def test_the_2026_national_calendar_knows_the_holidays_and_the_worked_weekend_days(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working
    assert CAL.covers(day)


def test_a_jurisdiction_may_add_a_day_off_and_a_day_worked() -> None:
    local = CAL.with_changes("某市", holidays=frozenset({MON_9_MAR}), workdays=frozenset({SAT_14_MAR}))

    assert not local.is_working_day(MON_9_MAR)
    assert local.is_working_day(SAT_14_MAR)
    # 5 working days from Fri 6 Mar: Tue 10, Wed 11, Thu 12, Fri 13, Sat 14
    assert Clock(date(2026, 3, 6), 5).due_on(local, date(2026, 3, 6)) == SAT_14_MAR
    assert Clock(date(2026, 3, 6), 5).due_on(CAL, date(2026, 3, 6)) == FRI_13_MAR


# --------------------------------------------------------------------------------------------------
# 1. Clock arithmetic
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("started_on", "budget", "due_on"),
    [
        # 春节 2026: off Sun 15 .. Mon 23 Feb, Sat 14 and Sat 28 Feb worked
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Fri -> the worked Saturday
        (date(2026, 2, 13), 2, date(2026, 2, 24)),  # then straight over the festival
        (date(2026, 2, 13), 3, date(2026, 2, 25)),
        (date(2026, 2, 12), 5, date(2026, 2, 26)),  # Fri 13, Sat 14, Tue 24, Wed 25, Thu 26
        (date(2026, 2, 25), 3, date(2026, 2, 28)),  # Thu 26, Fri 27, Sat 28 (worked)
        (date(2026, 2, 16), 1, date(2026, 2, 24)),  # started during the festival
        # Mid-Autumn Fri 25 Sep and 国庆 2026: off Thu 1 .. Wed 7 Oct, Sun 20 Sep and Sat 10 Oct worked
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # Fri -> the worked Sunday
        (date(2026, 9, 23), 3, date(2026, 9, 29)),  # Thu 24, (Fri 25 中秋 off), Mon 28, Tue 29
        (date(2026, 9, 29), 3, date(2026, 10, 9)),  # Wed 30 Sep, Thu 8, Fri 9 Oct
        (date(2026, 9, 29), 4, date(2026, 10, 10)),  # ... Sat 10 Oct (worked)
        (date(2026, 9, 29), 5, date(2026, 10, 12)),  # ... Sun 11 Oct off, Mon 12 Oct
        # 元旦 2026: Thu 1 and Fri 2 Jan off, Sun 4 Jan worked
        (date(2025, 12, 31), 1, date(2026, 1, 4)),
        (date(2025, 12, 31), 2, date(2026, 1, 5)),
        # an ordinary fortnight
        (MON_2_MAR, 10, MON_16_MAR),
    ],
)
def test_due_date_counts_working_days_after_the_start(started_on: date, budget: int, due_on: date) -> None:
    assert Clock(started_on, budget).due_on(CAL, started_on) == due_on


@pytest.mark.parametrize("started_on", [date(2026, 2, 15), date(2026, 10, 3), SAT_14_MAR, MON_9_MAR])
def test_a_0_day_clock_即办件_is_due_the_day_it_starts_even_on_a_holiday(started_on: date) -> None:
    clock = Clock(started_on, 0)

    assert clock.due_on(CAL, started_on) == started_on
    assert clock.working_days_left(CAL, started_on) == 0


def test_the_due_date_does_not_move_as_days_pass_on_a_running_clock() -> None:
    clock = ten_day_clock()

    assert {clock.due_on(CAL, MON_2_MAR + timedelta(days=n)) for n in range(30)} == {MON_16_MAR}


def test_a_suspension_from_monday_to_thursday_adds_three_working_days() -> None:
    clock = ten_day_clock().suspend(MON_9_MAR, AWAITING_CORRECTION).resume(THU_12_MAR)

    assert clock.suspensions == (Suspension(MON_9_MAR, THU_12_MAR, AWAITING_CORRECTION),)
    assert not clock.suspended
    assert clock.suspended_days(CAL, FRI_20_MAR) == 3  # Tue 10, Wed 11, Thu 12
    assert clock.due_on(CAL, FRI_20_MAR) == THU_19_MAR  # Mon 16 + 3 working days


def test_a_suspension_over_a_weekend_counts_only_its_working_days() -> None:
    # suspended Fri 13 Mar, resumed Tue 17 Mar: Mon 16 and Tue 17 are lost
    clock = ten_day_clock().suspend(FRI_13_MAR, AWAITING_CORRECTION).resume(TUE_17_MAR)

    assert clock.suspended_days(CAL, FRI_20_MAR) == 2
    assert clock.due_on(CAL, FRI_20_MAR) == WED_18_MAR


def test_a_suspension_over_the_spring_festival_counts_only_the_worked_days() -> None:
    # started Tue 10 Feb with 10 days; suspended Fri 13 Feb, resumed Wed 25 Feb: Sat 14, Tue 24, Wed 25 lost
    clock = Clock(date(2026, 2, 10), 10).suspend(date(2026, 2, 13), AWAITING_CORRECTION).resume(date(2026, 2, 25))

    assert clock.suspended_days(CAL, date(2026, 3, 31)) == 3
    # 13 working days after Tue 10 Feb: 11,12,13,14 | 24,25,26,27,28 | Mar 2,3,4,5
    assert clock.due_on(CAL, date(2026, 3, 31)) == date(2026, 3, 5)


def test_an_open_suspension_keeps_pushing_the_due_date_as_days_pass() -> None:
    clock = ten_day_clock().suspend(MON_9_MAR, AWAITING_CORRECTION)

    assert clock.suspended
    assert clock.due_on(CAL, MON_9_MAR) == MON_16_MAR  # not yet a working day lost
    assert clock.due_on(CAL, TUE_10_MAR) == TUE_17_MAR
    assert clock.due_on(CAL, WED_11_MAR) == WED_18_MAR
    assert clock.due_on(CAL, SAT_14_MAR) == FRI_20_MAR  # four working days lost, the weekend is free
    assert clock.due_on(CAL, date(2026, 3, 15)) == FRI_20_MAR


def test_suspending_twice_while_open_is_idempotent() -> None:
    once = ten_day_clock().suspend(MON_9_MAR, AWAITING_CORRECTION)
    twice = once.suspend(WED_11_MAR, "再次补正")

    assert twice == once
    assert twice.suspensions == (Suspension(MON_9_MAR, None, AWAITING_CORRECTION),)


def test_resuming_a_clock_that_is_not_suspended_is_a_no_op() -> None:
    clock = ten_day_clock()

    assert clock.resume(WED_11_MAR) is clock
    closed = clock.suspend(MON_9_MAR, AWAITING_CORRECTION).resume(TUE_10_MAR)
    assert closed.resume(THU_12_MAR) == closed


def test_two_closed_suspensions_add_up() -> None:
    clock = (
        ten_day_clock()
        .suspend(date(2026, 3, 3), AWAITING_CORRECTION).resume(date(2026, 3, 4))  # Wed 4 lost
        .suspend(MON_9_MAR, "容缺补交").resume(WED_11_MAR)  # Tue 10, Wed 11 lost
    )

    assert len(clock.suspensions) == 2
    assert clock.suspended_days(CAL, FRI_20_MAR) == 3
    assert clock.due_on(CAL, FRI_20_MAR) == THU_19_MAR


def test_an_extension_adds_working_days_with_its_reason_and_approver() -> None:
    clock = ten_day_clock().extend(2, "现场核查", "张局长")

    assert clock.extensions == (Extension(2, "现场核查", "张局长"),)
    assert clock.due_on(CAL, MON_9_MAR) == WED_18_MAR
    assert clock.extend(3, "专家评审", "李处长").due_on(CAL, MON_9_MAR) == date(2026, 3, 23)


def test_an_extension_over_national_day_skips_the_holiday() -> None:
    clock = Clock(date(2026, 9, 28), 2).extend(1, "现场核查", "张局长")  # Tue 29, Wed 30 Sep, Thu 8 Oct

    assert clock.due_on(CAL, date(2026, 9, 28)) == date(2026, 10, 8)


@pytest.mark.parametrize("days", [0, -1, -5])
def test_an_extension_of_no_days_or_fewer_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="extension"):
        ten_day_clock().extend(days, "无", "张局长")


def test_finishing_is_idempotent_and_freezes_the_clock() -> None:
    finished = ten_day_clock().finish(THU_12_MAR)

    assert finished.finish(TUE_17_MAR) == finished
    assert finished.finished_on == THU_12_MAR
    assert finished.suspend(FRI_13_MAR, AWAITING_CORRECTION) == finished  # a finished case waits for no one


@pytest.mark.parametrize(
    ("finished_on", "on_time"),
    [(THU_12_MAR, True), (MON_16_MAR, True), (TUE_17_MAR, False), (FRI_20_MAR, False)],
)
def test_on_time_is_judged_against_the_due_date(finished_on: date, on_time: bool) -> None:
    assert ten_day_clock().finish(finished_on).on_time(CAL) is on_time


def test_on_time_counts_the_applicants_time_in_the_departments_favour() -> None:
    # due Mon 16 Mar, but three days waited for the applicant: Thu 19 Mar is still on time
    clock = ten_day_clock().suspend(MON_9_MAR, AWAITING_CORRECTION).resume(THU_12_MAR)

    assert clock.finish(THU_19_MAR).on_time(CAL) is True
    assert clock.finish(FRI_20_MAR).on_time(CAL) is False


def test_an_unfinished_clock_has_no_verdict_and_no_handling_days() -> None:
    assert ten_day_clock().on_time(CAL) is None
    assert ten_day_clock().handling_days(CAL) is None


def test_handling_days_leave_out_the_suspended_days() -> None:
    clock = ten_day_clock().suspend(MON_9_MAR, AWAITING_CORRECTION).resume(THU_12_MAR).finish(WED_18_MAR)

    # Tue 3 .. Wed 18 Mar is 12 working days, 3 of them the applicant's
    assert clock.handling_days(CAL) == 9
    assert ten_day_clock().finish(WED_18_MAR).handling_days(CAL) == 12


def test_handling_days_leave_out_the_holidays() -> None:
    # Thu 12 Feb to Thu 26 Feb: Fri 13, Sat 14, Tue 24, Wed 25, Thu 26
    assert Clock(date(2026, 2, 12), 5).finish(date(2026, 2, 26)).handling_days(CAL) == 5


@pytest.mark.parametrize(
    ("today", "left"),
    [
        (MON_2_MAR, 10),
        (THU_12_MAR, 2),
        (FRI_13_MAR, 1),
        (SAT_14_MAR, 1),
        (MON_16_MAR, 0),  # the due day
        (TUE_17_MAR, -1),
        (THU_19_MAR, -3),
        (date(2026, 3, 21), -4),  # Saturday: no further working day lost
    ],
)
def test_working_days_left_counts_down_to_zero_on_the_due_day_then_negative(today: date, left: int) -> None:
    assert ten_day_clock().working_days_left(CAL, today) == left


def test_working_days_left_across_the_spring_festival() -> None:
    clock = Clock(date(2026, 2, 13), 2)  # due Tue 24 Feb

    assert clock.working_days_left(CAL, date(2026, 2, 13)) == 2
    assert clock.working_days_left(CAL, date(2026, 2, 14)) == 1
    assert clock.working_days_left(CAL, date(2026, 2, 20)) == 1  # the festival costs nothing
    assert clock.working_days_left(CAL, date(2026, 2, 24)) == 0
    assert clock.working_days_left(CAL, date(2026, 2, 28)) == -4  # Wed 25, Thu 26, Fri 27, Sat 28


# --------------------------------------------------------------------------------------------------
# 2. Yellow and red cards
# --------------------------------------------------------------------------------------------------


def colours(cards: list[CardDue]) -> list[str]:
    return [card.colour for card in cards]


def test_no_card_while_more_than_the_threshold_is_left() -> None:
    assert cards_due(ten_day_clock(), THU_12_MAR, CAL) == []  # two days left
    assert cards_due(ten_day_clock(), MON_2_MAR, CAL) == []


def test_a_yellow_card_comes_exactly_at_the_threshold() -> None:
    assert cards_due(ten_day_clock(), FRI_13_MAR, CAL) == [CardDue("yellow", "near_deadline", MON_16_MAR, 1)]


def test_with_a_threshold_of_two_the_yellow_card_comes_a_day_earlier() -> None:
    assert cards_due(ten_day_clock(), WED_11_MAR, CAL, threshold=2) == []
    assert cards_due(ten_day_clock(), THU_12_MAR, CAL, threshold=2) == [
        CardDue("yellow", "near_deadline", MON_16_MAR, 2)
    ]


def test_on_the_due_day_still_only_yellow() -> None:
    assert cards_due(ten_day_clock(), MON_16_MAR, CAL) == [CardDue("yellow", "near_deadline", MON_16_MAR, 0)]


def test_the_first_day_after_the_due_date_earns_red_and_yellow_if_neither_was_issued() -> None:
    assert cards_due(ten_day_clock(), TUE_17_MAR, CAL) == [
        CardDue("yellow", "near_deadline", MON_16_MAR, -1),
        CardDue("red", "overdue", MON_16_MAR, -1),
    ]


def test_issued_colours_are_not_issued_again() -> None:
    clock = ten_day_clock()

    assert cards_due(clock, FRI_13_MAR, CAL, issued=frozenset({"yellow"})) == []
    assert colours(cards_due(clock, TUE_17_MAR, CAL, issued=frozenset({"yellow"}))) == ["red"]
    assert cards_due(clock, THU_19_MAR, CAL, issued=frozenset({"yellow", "red"})) == []


def test_a_finished_clock_earns_no_card_even_if_it_was_late() -> None:
    assert cards_due(ten_day_clock().finish(TUE_17_MAR), FRI_20_MAR, CAL) == []
    assert cards_due(ten_day_clock().finish(THU_12_MAR), FRI_13_MAR, CAL) == []


def test_a_suspended_clock_earns_no_card() -> None:
    suspended = ten_day_clock().suspend(FRI_13_MAR, AWAITING_CORRECTION)

    assert cards_due(suspended, FRI_13_MAR, CAL) == []
    assert cards_due(suspended, FRI_20_MAR, CAL) == []


def test_after_resuming_the_suspended_days_postpone_the_cards() -> None:
    # suspended Mon 9 .. Thu 12 Mar: due Thu 19 Mar instead of Mon 16 Mar
    clock = ten_day_clock().suspend(MON_9_MAR, AWAITING_CORRECTION).resume(THU_12_MAR)

    assert cards_due(clock, MON_16_MAR, CAL) == []
    assert cards_due(clock, TUE_17_MAR, CAL) == []
    assert cards_due(clock, WED_18_MAR, CAL) == [CardDue("yellow", "near_deadline", THU_19_MAR, 1)]
    assert colours(cards_due(clock, FRI_20_MAR, CAL, issued=frozenset({"yellow"}))) == ["red"]


def first_yellow(clock: Clock, first: date, last: date) -> date | None:
    day = first
    while day <= last:
        if "yellow" in colours(cards_due(clock, day, CAL)):
            return day
        day += timedelta(days=1)
    return None


def test_across_the_spring_festival_the_yellow_card_comes_on_the_last_working_day_before_it() -> None:
    clock = Clock(date(2026, 2, 13), 2)  # due Tue 24 Feb, straight after the festival

    assert clock.due_on(CAL, date(2026, 2, 13)) == date(2026, 2, 24)
    assert first_yellow(clock, date(2026, 2, 13), date(2026, 2, 24)) == date(2026, 2, 14)  # the worked Saturday
    assert CAL.is_working_day(date(2026, 2, 14))


def test_across_national_day_the_yellow_card_comes_on_30_september_not_during_the_holiday() -> None:
    clock = Clock(date(2026, 9, 29), 2)  # Wed 30 Sep, Thu 8 Oct

    assert clock.due_on(CAL, date(2026, 9, 29)) == date(2026, 10, 8)
    assert first_yellow(clock, date(2026, 9, 29), date(2026, 10, 8)) == date(2026, 9, 30)


def test_red_comes_the_day_after_a_due_date_on_a_worked_saturday() -> None:
    clock = Clock(date(2026, 2, 25), 3)  # due Sat 28 Feb (worked)

    assert cards_due(clock, date(2026, 2, 28), CAL, issued=frozenset({"yellow"})) == []
    assert cards_due(clock, date(2026, 3, 1), CAL, issued=frozenset({"yellow"})) == [
        CardDue("red", "overdue", date(2026, 2, 28), 0)  # Sunday: overdue, no working day lost yet
    ]


# --------------------------------------------------------------------------------------------------
# 3. Projected completion and the blocking department
# --------------------------------------------------------------------------------------------------


def sequential_bundle() -> list[ItemPlan]:
    """A 营业执照 -> B 食品经营许可 -> C 消防检查; as of Mon 9 Mar: A concluded, B released, C waiting."""
    return [
        ItemPlan("A", "market", (), 3, "approved", concluded_on=date(2026, 3, 5)),
        ItemPlan("B", "food", ("A",), 5, "released", due_on=FRI_13_MAR),
        ItemPlan("C", "fire", ("B",), 3, "waiting"),
    ]


def test_a_sequential_bundle_completes_the_waiting_items_limit_after_the_released_items_due_date() -> None:
    projection = project(sequential_bundle(), MON_9_MAR, CAL)

    assert projection.ends == {"A": date(2026, 3, 5), "B": FRI_13_MAR, "C": WED_18_MAR}  # Mon 16, Tue 17, Wed 18
    assert projection.completion == WED_18_MAR
    assert projection.critical_path == ("A", "B", "C")
    assert projection.blocking_department == "food"
    assert projection.blocking_item == "B"


def test_a_late_released_item_ends_today_and_pushes_the_waiting_item() -> None:
    items = sequential_bundle()
    items[1] = ItemPlan("B", "food", ("A",), 5, "released", due_on=date(2026, 3, 6))  # overdue since Fri

    projection = project(items, MON_9_MAR, CAL)

    assert projection.ends["B"] == MON_9_MAR
    assert projection.completion == THU_12_MAR
    assert projection.blocking_department == "food"


def test_a_sequential_bundle_across_the_spring_festival() -> None:
    items = [
        ItemPlan("A", "market", (), 3, "released", due_on=date(2026, 2, 13)),
        ItemPlan("B", "food", ("A",), 2, "waiting"),
    ]

    projection = project(items, date(2026, 2, 12), CAL)

    assert projection.ends["B"] == date(2026, 2, 24)  # Sat 14 Feb, Tue 24 Feb
    assert projection.blocking_department == "market"


def test_a_case_not_yet_begun_is_counted_from_its_start() -> None:
    items = [ItemPlan("A", "market", (), 2, "waiting")]

    projection = project(items, MON_9_MAR, CAL, start=THU_12_MAR)

    assert projection.completion == MON_16_MAR
    assert projection.blocking_department == "market"


def parallel_bundle(first_due: date) -> list[ItemPlan]:
    return [
        ItemPlan("X", "market", (), 5, "released", due_on=first_due),
        ItemPlan("Y", "fire", (), 10, "released", due_on=FRI_20_MAR),
        ItemPlan("Z", "tax", (), 2, "approved", concluded_on=date(2026, 3, 4)),
    ]


def test_a_parallel_bundle_completes_with_its_longest_item_which_blocks() -> None:
    projection = project(parallel_bundle(THU_12_MAR), MON_9_MAR, CAL)

    assert projection.completion == FRI_20_MAR
    assert projection.critical_path == ("Y",)
    assert projection.blocking_department == "fire"
    assert projection.blocking_item == "Y"


def test_in_a_parallel_bundle_an_overdue_item_blocks_even_if_another_ends_later() -> None:
    projection = project(parallel_bundle(date(2026, 3, 6)), MON_9_MAR, CAL)  # X was due Fri 6 Mar

    assert projection.completion == FRI_20_MAR
    assert projection.blocking_department == "market"
    assert projection.blocking_item == "X"


def test_while_waiting_for_a_correction_the_applicant_blocks() -> None:
    projection = project(sequential_bundle(), MON_9_MAR, CAL, waiting_for_applicant=True)

    assert projection.blocking_department == APPLICANT == "applicant"
    assert projection.blocking_item is None
    assert projection.completion == WED_18_MAR
    assert projection.critical_path == ("A", "B", "C")


def test_everything_concluded_nobody_blocks_and_completion_is_the_last_conclusion() -> None:
    items = [
        ItemPlan("A", "market", (), 3, "approved", concluded_on=date(2026, 3, 3)),
        ItemPlan("B", "food", ("A",), 5, "rejected", concluded_on=date(2026, 3, 6)),
        ItemPlan("C", "tax", (), 2, "approved", concluded_on=date(2026, 3, 5)),
    ]

    projection = project(items, FRI_20_MAR, CAL)

    assert projection.completion == date(2026, 3, 6)
    assert projection.critical_path == ("A", "B")
    assert projection.blocking_department is None
    assert projection.blocking_item is None


def test_an_empty_case_completes_today() -> None:
    projection = project([], MON_9_MAR, CAL)

    assert projection.completion == MON_9_MAR
    assert projection.critical_path == ()
    assert projection.blocking_department is None


# --------------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------------

DAYS_2026 = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))


@given(started_on=DAYS_2026, budget=st.integers(min_value=0, max_value=40))
def test_the_due_date_is_a_working_day_exactly_budget_working_days_after_the_start(
    started_on: date, budget: int
) -> None:
    due = Clock(started_on, budget).due_on(CAL, started_on)

    if budget == 0:
        assert due == started_on
    else:
        assert CAL.is_working_day(due)
        assert due > started_on
    assert CAL.working_days_between(started_on, due) == budget
    # the due date is the first day that reaches the budget, not a later one
    assert CAL.working_days_between(started_on, due - timedelta(days=1)) == max(budget - 1, 0)


@given(started_on=DAYS_2026, budget=st.integers(min_value=0, max_value=40), after=st.integers(min_value=0, max_value=60))
def test_working_days_left_is_the_budget_on_day_one_zero_on_the_due_day_and_yellow_from_one_day_left(
    started_on: date, budget: int, after: int
) -> None:
    clock = Clock(started_on, budget)
    due = clock.due_on(CAL, started_on)
    today = started_on + timedelta(days=after)
    left = clock.working_days_left(CAL, today)

    assert clock.working_days_left(CAL, started_on) == budget
    assert clock.working_days_left(CAL, due) == 0
    assert (left > 0) == (today < due)
    assert ("yellow" in colours(cards_due(clock, today, CAL))) == (left <= 1)
    assert ("red" in colours(cards_due(clock, today, CAL))) == (today > due)
