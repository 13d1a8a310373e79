"""The rules of the satisfaction figures (满意度统计口径), without a broker."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.rating.v1 import AppealDecided, FigureBy, FigurePeriod, RatingLevel, RatingSubmitted, Touchpoint
from contracts.supervision.v1 import ClockKind, ClockStopped
from rating.figures.fold import (
    CaseEvent,
    CaseState,
    FigureChange,
    FigureKey,
    FigureState,
    Tally,
    apply_change,
    figures_payload,
    fold,
    tallies,
)

# 2026-03-01 is a Sunday; 16:30 UTC on it is already Monday 2026-03-02 in China.
SUNDAY_EVENING_UTC = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
MONDAY = date(2026, 3, 2)


def rating(
    rating_id: str = "r1", *, level: RatingLevel = RatingLevel.SATISFIED, touchpoint: Touchpoint = Touchpoint.DELIVERY,
    item_code: str | None = None, department: str | None = "police", window_id: str | None = "w-01",
    channel: str | None = "window", at: datetime = SUNDAY_EVENING_UTC,
) -> RatingSubmitted:
    return RatingSubmitted(
        rating_id=rating_id, case_id="c1", level=level, submitted_at=at, touchpoint=touchpoint, item_code=item_code,
        department=department, window_id=window_id, channel=channel,
    )


def clock(
    clock_id: str, kind: ClockKind, on_time: bool, *, item_code: str | None = None, finished_on: date = MONDAY,
) -> ClockStopped:
    return ClockStopped(
        case_id="c1", clock_id=clock_id, kind=kind, task_id="t1", item_code=item_code, department="police",
        due_on=MONDAY, finished_on=finished_on, on_time=on_time, handling_days=3,
    )


def appeal(rating_id: str, upheld: bool) -> AppealDecided:
    return AppealDecided(
        appeal_id=f"a-{rating_id}", rectification_id=f"x-{rating_id}", rating_id=rating_id, case_id="c1",
        department="police", upheld=upheld, reason_zh="复核结论", decided_by="dept.approval", decided_on=MONDAY,
    )


def run(*events: CaseEvent) -> CaseState:
    state = CaseState()
    for event in events:
        state, _ = fold(state, event)
    return state


def key(by: FigureBy, value: str, period: FigurePeriod = FigurePeriod.DAY, start: date = MONDAY) -> FigureKey:
    return FigureKey(period=period, period_start=start, by=by, key=value)


def test_a_delivery_rating_counts_by_department_window_and_channel_on_its_china_day_and_iso_week() -> None:
    figures = tallies(run(rating()))
    # China's Monday, so day and week start on the same date; the UTC Sunday is nowhere.
    assert set(figures) == {
        key(by, value, period)
        for by, value in ((FigureBy.DEPARTMENT, "police"), (FigureBy.WINDOW, "w-01"), (FigureBy.CHANNEL, "window"))
        for period in FigurePeriod
    }
    assert all(t == Tally(satisfied=1) for t in figures.values())


def test_a_weeks_figure_starts_on_monday_and_an_item_rating_counts_by_item_not_window() -> None:
    thursday = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    figures = tallies(run(rating(touchpoint=Touchpoint.ITEM, item_code="110101", at=thursday)))
    assert set(figures) == {
        key(FigureBy.DEPARTMENT, "police", FigurePeriod.DAY, date(2026, 3, 5)),
        key(FigureBy.DEPARTMENT, "police", FigurePeriod.WEEK, MONDAY),
        key(FigureBy.ITEM, "110101", FigurePeriod.DAY, date(2026, 3, 5)),
        key(FigureBy.ITEM, "110101", FigurePeriod.WEEK, MONDAY),
        key(FigureBy.CHANNEL, "window", FigurePeriod.DAY, date(2026, 3, 5)),
        key(FigureBy.CHANNEL, "window", FigurePeriod.WEEK, MONDAY),
    }


def test_dimensions_left_unset_are_not_counted() -> None:
    figures = tallies(run(rating(touchpoint=Touchpoint.ACCEPTANCE, department=None, window_id=None, channel=None)))
    assert figures == {}
    item_without_code = tallies(run(rating(touchpoint=Touchpoint.ITEM, item_code=None, channel=None)))
    assert {k.by for k in item_without_code} == {FigureBy.DEPARTMENT}


def test_the_figure_key_is_the_topics_key() -> None:
    assert key(FigureBy.WINDOW, "w-01", FigurePeriod.WEEK).wire == "week:2026-03-02:window:w-01"


@pytest.mark.parametrize("clock_first", [True, False])
def test_a_rating_takes_the_case_clock_whether_it_stops_before_or_after(clock_first: bool) -> None:
    events: list[CaseEvent] = [rating(level=RatingLevel.DISSATISFIED), clock("k1", "case", on_time=False)]
    state = run(*(reversed(events) if clock_first else events))
    assert tallies(state)[key(FigureBy.DEPARTMENT, "police")] == Tally(dissatisfied=1, late_total=1, late_good=0)


def test_a_pending_rating_moves_to_on_time_when_its_clock_stops() -> None:
    state, changes = fold(CaseState(), rating())
    assert changes[key(FigureBy.DEPARTMENT, "police")] == Tally(satisfied=1)
    _, changes = fold(state, clock("k1", "case", on_time=True))
    # Only the on-time columns move; the level was counted already.
    assert changes[key(FigureBy.DEPARTMENT, "police")] == Tally(on_time_total=1, on_time_good=1)
    assert len(changes) == 6


def test_an_item_rating_takes_its_own_items_clock_and_ignores_the_case_and_rectification_clocks() -> None:
    state = run(
        rating(touchpoint=Touchpoint.ITEM, item_code="110101"),
        clock("case", "case", on_time=False),
        clock("other-item", "item", on_time=False, item_code="220202"),
        clock("rect", "rectification", on_time=False, item_code="110101"),
    )
    assert tallies(state)[key(FigureBy.ITEM, "110101")] == Tally(satisfied=1)  # still pending
    state, _ = fold(state, clock("own", "item", on_time=True, item_code="110101"))
    assert tallies(state)[key(FigureBy.ITEM, "110101")] == Tally(satisfied=1, on_time_total=1, on_time_good=1)


def test_the_latest_stopped_clock_decides_by_finishing_day_then_arrival() -> None:
    first = clock("k1", "item", on_time=True, item_code="110101", finished_on=date(2026, 3, 3))
    later = clock("k2", "item", on_time=False, item_code="110101", finished_on=date(2026, 3, 9))
    item = rating(touchpoint=Touchpoint.ITEM, item_code="110101")
    for order in ((first, later), (later, first)):
        assert tallies(run(item, *order))[key(FigureBy.ITEM, "110101")].late_total == 1
    same_day = clock("k3", "item", on_time=True, item_code="110101", finished_on=date(2026, 3, 9))
    assert tallies(run(item, later, same_day))[key(FigureBy.ITEM, "110101")].on_time_total == 1


@pytest.mark.parametrize("appeal_first", [True, False])
def test_an_upheld_appeal_removes_the_rating_from_every_figure(appeal_first: bool) -> None:
    bad = rating("r1", level=RatingLevel.VERY_DISSATISFIED)
    events: list[CaseEvent] = [bad, clock("k1", "case", on_time=True), appeal("r1", upheld=True)]
    if appeal_first:
        events = [events[2], events[0], events[1]]
    figures = tallies(run(rating("r2"), *events))
    assert len(figures) == 6
    assert all(t == Tally(satisfied=1, on_time_total=1, on_time_good=1, removed=1) for t in figures.values())


def test_a_rejected_appeal_changes_nothing() -> None:
    state = run(rating("r1", level=RatingLevel.DISSATISFIED))
    after, changes = fold(state, appeal("r1", upheld=False))
    assert after == state
    assert changes == {}


def test_redelivered_events_change_nothing() -> None:
    events: list[CaseEvent] = [rating("r1"), clock("k1", "case", on_time=True), appeal("r1", upheld=True)]
    state = run(*events)
    for event in events:
        again, changes = fold(state, event)
        assert (again, changes) == (state, {})
    # Even a clock repeated after a newer one does not win back (state per clock id).
    newer = clock("k2", "case", on_time=False, finished_on=date(2026, 3, 2))
    older = clock("k1", "case", on_time=True, finished_on=date(2026, 3, 2))
    once = run(rating("r1"), older, newer)
    assert fold(once, older) == (once, {})


def test_the_state_survives_its_json_form() -> None:
    state = run(rating("r1"), clock("k1", "case", on_time=True), appeal("r2", upheld=True))
    assert CaseState.model_validate(state.model_dump(mode="json")) == state


def test_stage_two_applies_a_record_position_once_and_counts_versions() -> None:
    figure = key(FigureBy.DEPARTMENT, "police")
    first = FigureChange(figure=figure, change=Tally(very_satisfied=1), source="rating.rating.events:0", offset=7)
    state = apply_change(FigureState(), first)
    assert state is not None and state.version == 1
    assert apply_change(state, first) is None  # redelivered
    assert apply_change(state, first.model_copy(update={"offset": 3})) is None  # an older one of that partition
    other = first.model_copy(update={"source": "onething.case.stream:0", "offset": 3, "change": Tally(satisfied=1)})
    state = apply_change(state, other)
    assert state is not None and state.version == 2
    assert state.tally == Tally(very_satisfied=1, satisfied=1)


def test_rates_and_mean_score() -> None:
    figure = key(FigureBy.CHANNEL, "portal")
    tally = Tally(very_satisfied=2, satisfied=1, basically_satisfied=1, dissatisfied=0, very_dissatisfied=1,
                  on_time_total=3, on_time_good=2, late_total=1, late_good=1, removed=4)
    payload = figures_payload(figure, FigureState(tally=tally, version=9))
    assert payload.total == 5
    assert payload.good_rate == 0.8  # (2 + 1 + 1) / 5
    assert payload.mean_score == 3.6  # (5·2 + 4 + 3 + 1) / 5
    assert (payload.removed, payload.version, payload.key) == (4, 9, "portal")
    empty = figures_payload(figure, FigureState(tally=Tally(removed=1), version=2))
    assert (empty.total, empty.good_rate, empty.mean_score) == (0, None, None)
    thirds = figures_payload(figure, FigureState(tally=Tally(satisfied=2, dissatisfied=1), version=1))
    assert (thirds.good_rate, thirds.mean_score) == (0.6667, 3.3333)
