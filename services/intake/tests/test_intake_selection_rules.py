"""R-10 sub-item selection: all items by default, prerequisites and together-groups pulled in, with a message."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from onething_catalogue.loader import default_catalogue_dir
from onething_catalogue.model import Bundle, Item

from intake.domain.selection import Addition, select_items

P01 = Bundle.model_validate_json(
    (default_catalogue_dir() / "one-things" / "P-01.json").read_text(encoding="utf-8"))
P01_CODES = tuple(i.code for i in P01.items)


def added_by(additions: tuple[Addition, ...]) -> dict[str, Addition]:
    return {a.item_code: a for a in additions}


def small_item(code: str, **changes: Any) -> Item:
    base = P01.item("P-01-02")
    return base.model_copy(update={"code": code, "requires": (), **changes})


def test_r10_no_choice_selects_every_item() -> None:
    selection = select_items(P01, None)
    assert selection.codes == P01_CODES
    assert selection.added == ()
    assert selection.problems == ()


def test_r10_an_empty_choice_is_a_problem_not_everything() -> None:
    selection = select_items(P01, [])
    assert selection.codes == ()
    assert [(p.path, p.type) for p in selection.problems] == [("items", "nothing_selected")]


def test_r10_an_item_without_prerequisites_or_group_alone() -> None:
    selection = select_items(P01, ["P-01-02"])
    assert selection.codes == ("P-01-02",)
    assert selection.added == ()


def test_r10_direct_prerequisite_pulled_in_with_a_message_naming_both_items() -> None:
    selection = select_items(P01, ["P-01-03"])
    assert selection.codes == ("P-01-01", "P-01-03")
    (addition,) = selection.added
    assert (addition.item_code, addition.because_of, addition.reason) == ("P-01-01", "P-01-03", "prerequisite")
    assert "出生医学证明签发" in addition.message_zh
    assert "户口登记（出生登记）" in addition.message_zh
    assert "Issue of the birth medical certificate" in addition.message_en
    assert "Household registration of the newborn" in addition.message_en


def test_r10_prerequisites_pulled_in_transitively() -> None:
    selection = select_items(P01, ["P-01-05"])
    assert selection.codes == ("P-01-01", "P-01-03", "P-01-04", "P-01-05", "P-01-06")
    added = added_by(selection.added)
    assert set(added) == {"P-01-01", "P-01-03", "P-01-04", "P-01-06"}
    assert (added["P-01-01"].because_of, added["P-01-01"].reason) == ("P-01-03", "prerequisite")
    assert added["P-01-03"].reason == "prerequisite"
    assert added["P-01-04"].reason == "prerequisite"
    for addition in selection.added:
        assert P01.item(addition.item_code).name_zh in addition.message_zh
        assert P01.item(addition.because_of).name_zh in addition.message_zh


@pytest.mark.parametrize(("picked", "partner"), [("P-01-04", "P-01-06"), ("P-01-06", "P-01-04")])
def test_r10_together_group_cannot_be_split(picked: str, partner: str) -> None:
    selection = select_items(P01, [picked])
    assert partner in selection.codes
    addition = added_by(selection.added)[partner]
    assert (addition.because_of, addition.reason) == (picked, "together")
    assert "一并办理" in addition.message_zh
    assert P01.item(partner).name_zh in addition.message_zh
    assert P01.item(picked).name_zh in addition.message_zh


def test_r10_picked_items_are_not_reported_as_added() -> None:
    selection = select_items(P01, ["P-01-04", "P-01-06", "P-01-03", "P-01-01"])
    assert selection.codes == ("P-01-01", "P-01-03", "P-01-04", "P-01-06")
    assert selection.added == ()


def test_r10_unknown_item_is_a_problem_at_its_list_position() -> None:
    selection = select_items(P01, ["P-01-02", "P-02-01", "P-01-01", "nope"])
    assert [(p.path, p.type) for p in selection.problems] == [("items.1", "unknown_item"),
                                                               ("items.3", "unknown_item")]
    assert "P-02-01" in selection.problems[0].message_zh
    assert P01.name_zh in selection.problems[0].message_zh
    assert selection.codes == ("P-01-01", "P-01-02")


def test_r10_catalogue_order_kept_whatever_the_order_picked() -> None:
    assert select_items(P01, ["P-01-02", "P-01-01"]).codes == ("P-01-01", "P-01-02")
    assert select_items(P01, ["P-01-06", "P-01-02"]).codes == ("P-01-01", "P-01-02", "P-01-03", "P-01-04", "P-01-06")


def test_r10_overlapping_together_groups_are_not_split() -> None:
    bundle = P01.model_copy(update={
        "items": (small_item("X-01-01"), small_item("X-01-02"), small_item("X-01-03")),
        "together": (("X-01-01", "X-01-02"), ("X-01-02", "X-01-03")),
    })
    assert select_items(bundle, ["X-01-01"]).codes == ("X-01-01", "X-01-02", "X-01-03")


@given(st.lists(st.sampled_from(P01_CODES), min_size=1, max_size=6))
def test_r10_any_selection_is_closed_and_in_catalogue_order(wanted: list[str]) -> None:
    selection = select_items(P01, wanted)
    chosen = set(selection.codes)
    assert set(wanted) <= chosen
    assert selection.codes == tuple(c for c in P01_CODES if c in chosen)
    for code in selection.codes:
        assert set(P01.item(code).requires) <= chosen
        assert set(P01.group_of(code)) <= chosen
    assert {a.item_code for a in selection.added} == chosen - set(wanted)
    assert selection.problems == ()
