"""承诺时限 over the shipped catalogue: run every one-thing's items on their promised limits, each released when
its prerequisites conclude, on the national working-day calendar; the case never runs past its own R-05 due date
while every item keeps its promise. On statutory item limits it could (the defect this guards)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from onething_catalogue.loader import load_catalogue
from onething_catalogue.model import Bundle, Item

from contracts.workdays import national_calendar
from intake.domain.deadline import bundle_deadline
from intake.domain.selection import select_items

CATALOGUE = load_catalogue()
COMPRESSION = CATALOGUE.settings.sequential_compression
CALENDAR = national_calendar()
FIRST_DAY, LAST_DAY = date(2024, 1, 1), date(2026, 12, 31)  # years the calendar publishes


def last_conclusion(items: list[Item], accepted_on: date, days_taken: dict[str, int]) -> date:
    """Release each item when its selected prerequisites have concluded; conclude it ``days_taken`` later."""
    codes = {i.code for i in items}
    concluded: dict[str, date] = {}

    def conclusion(item: Item) -> date:
        if item.code not in concluded:
            released = max((conclusion(next(i for i in items if i.code == r)) for r in item.requires if r in codes),
                           default=accepted_on)
            concluded[item.code] = CALENDAR.add_working_days(released, days_taken[item.code])
        return concluded[item.code]

    return max((conclusion(i) for i in items), default=accepted_on)


def test_every_one_thing_in_full_is_on_time_when_every_item_takes_its_whole_promise() -> None:
    assert len(CATALOGUE.bundles) == 46
    accepted_on = date(2026, 1, 30)  # a Friday before the Spring Festival holidays
    for bundle in CATALOGUE.bundles:
        items = list(bundle.items)
        deadline = bundle_deadline(items, COMPRESSION)
        due_on = CALENDAR.add_working_days(accepted_on, deadline.limit_days)
        assert last_conclusion(items, accepted_on, deadline.promised_days) <= due_on, bundle.code


def test_on_statutory_item_limits_the_case_would_run_late_in_many_one_things() -> None:
    """Why promises exist: a compressed chain is shorter than its items' own limits."""
    accepted_on = date(2026, 1, 30)
    late = []
    for bundle in CATALOGUE.bundles:
        items = list(bundle.items)
        deadline = bundle_deadline(items, COMPRESSION)
        statutory = {i.code: i.time_limit_days for i in items}
        if last_conclusion(items, accepted_on, statutory) > CALENDAR.add_working_days(accepted_on, deadline.limit_days):
            late.append(bundle.code)
    assert len(late) == 26  # of 46 (docs/catalogue.md); E-02, the noodle shop, among them
    assert "E-02" in late


@st.composite
def cases(draw: st.DrawFn) -> tuple[Bundle, list[Item], date, dict[str, int]]:
    bundle = draw(st.sampled_from(CATALOGUE.bundles))
    wanted = draw(st.lists(st.sampled_from([i.code for i in bundle.items]), min_size=1, unique=True))
    items = [bundle.item(c) for c in select_items(bundle, wanted).codes]
    accepted_on = FIRST_DAY + timedelta(days=draw(st.integers(0, (LAST_DAY - FIRST_DAY).days - 400)))
    promised = bundle_deadline(items, COMPRESSION).promised_days
    taken = {code: draw(st.integers(0, days)) for code, days in promised.items()}  # each within its promise
    return bundle, items, accepted_on, taken


@settings(max_examples=400, deadline=None)
@given(cases())
def test_the_case_clock_never_expires_while_every_item_keeps_its_promise(
        case: tuple[Bundle, list[Item], date, dict[str, int]]) -> None:
    bundle, items, accepted_on, taken = case
    deadline = bundle_deadline(items, COMPRESSION)
    due_on = CALENDAR.add_working_days(accepted_on, deadline.limit_days)
    assert last_conclusion(items, accepted_on, taken) <= due_on
    assert all(deadline.promised_days[i.code] <= i.time_limit_days for i in items), bundle.code
