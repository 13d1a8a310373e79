"""数据最小化: the part of the one form a department is sent (pure)."""

from __future__ import annotations

from dispatch.domain.minimisation import form_for_item

ONE_FORM = {"newborn_name": "李小明", "mother_id_number": "11010519491231002X", "bank_account": "6222020200112233445"}


def test_an_item_gets_the_fields_it_takes_and_no_others() -> None:
    assert form_for_item(ONE_FORM, ("newborn_name", "mother_id_number")) == {
        "newborn_name": "李小明", "mother_id_number": "11010519491231002X"}


def test_an_item_that_takes_no_field_gets_none() -> None:
    assert form_for_item(ONE_FORM, ()) == {}


def test_a_task_from_before_the_items_said_gets_the_whole_form() -> None:
    assert form_for_item(ONE_FORM, None) == ONE_FORM
