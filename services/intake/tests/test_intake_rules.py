"""Intake's pure rules: the one form (field checks) and the case fold with its one delivery."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta

import pytest
from onething_catalogue.loader import load_catalogue
from onething_catalogue.model import Bundle, Catalogue, CatalogueError, FieldType, FormField

from intake.domain.case import CaseState, CaseStatus, ItemState, ItemStatus, notice_texts
from intake.domain.errors import FieldProblem
from intake.domain.form import check_form

TODAY = date(2026, 3, 2)  # the day in China the form is checked on (injected: check_form is pure)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def check_digit(body17: str) -> str:
    """GB 11643-1999 ISO 7064 MOD 11-2, written out independently of the code under test."""
    return CHECK[sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True)) % 11]


def resident_id(region: str = "110105", born: date = date(1990, 3, 7), seq: str = "123") -> str:
    body = f"{region}{born:%Y%m%d}{seq}"
    return body + check_digit(body)


def wrong_check(number: str) -> str:
    return number[:17] + next(c for c in CHECK if c != number[17])


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def p01(catalogue: Catalogue) -> Bundle:
    bundle = catalogue.bundle("P-01")
    assert bundle is not None
    return bundle


def paths(problems: list[FieldProblem]) -> list[str]:
    return [p.path for p in problems]


# --- the one form (一表申请, R-11) ----------------------------------------------------------------


def good_form(**changes: str | None) -> dict[str, str]:
    form = {
        "newborn_name": "李小明",
        "newborn_sex": "男",
        "birth_date": (TODAY - timedelta(days=3)).isoformat(),
        "birth_hospital": "市妇幼保健院",
        "mother_name": "王芳",
        "mother_id_number": resident_id("110105", date(1992, 5, 17), "024"),
        "father_name": "李强",
        "father_id_number": resident_id("110105", date(1990, 8, 1), "017"),
        "household_address": "北京市东城区某街道1号",
        "bank_account": "6222020200112233445",
    }
    for key, value in changes.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    return form


def all_fields(bundle: Bundle) -> list[FormField]:
    return load_catalogue().fields_for(bundle, {i.code for i in bundle.items})


def one(problems: list[FieldProblem]) -> FieldProblem:
    assert len(problems) == 1, problems
    return problems[0]


def test_complete_form_has_no_problem(p01: Bundle) -> None:
    assert check_form(all_fields(p01), good_form(), TODAY) == []


def test_optional_fields_may_be_left_out(p01: Bundle) -> None:
    assert check_form(all_fields(p01), good_form(father_name=None, father_id_number=None), TODAY) == []
    assert check_form(all_fields(p01), good_form(father_name="", father_id_number="  "), TODAY) == []


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_required_field(p01: Bundle, value: str | None) -> None:
    problem = one(check_form(all_fields(p01), good_form(newborn_name=value), TODAY))
    assert problem.path == "form.newborn_name"
    assert problem.type == "missing"
    assert "新生儿姓名" in problem.message_zh
    assert "Newborn's name" in problem.message_en


def test_every_missing_field_is_reported_at_once(p01: Bundle) -> None:
    problems = check_form(all_fields(p01), {}, TODAY)
    required = [f"form.{f.name}" for f in all_fields(p01) if f.required]
    assert paths(problems) == required
    assert all(p.type == "missing" and p.message_zh and p.message_en for p in problems)


def test_enum_value_must_be_an_option(p01: Bundle) -> None:
    problem = one(check_form(all_fields(p01), good_form(newborn_sex="M"), TODAY))
    assert (problem.path, problem.type) == ("form.newborn_sex", "not_an_option")
    assert "男" in problem.message_zh and "女" in problem.message_zh
    assert "男" in problem.message_en


@pytest.mark.parametrize("value", ["2024/01/01", "2024-02-30", "01-02-2024", "yesterday", "2024-1-1"])
def test_date_must_be_a_calendar_date(p01: Bundle, value: str) -> None:
    problem = one(check_form(all_fields(p01), good_form(birth_date=value), TODAY))
    assert (problem.path, problem.type) == ("form.birth_date", "date_invalid")
    assert "YYYY-MM-DD" in problem.message_zh and "YYYY-MM-DD" in problem.message_en


@pytest.mark.parametrize("value", ["20240101", "2024-W01-1"])
def test_date_in_other_iso_formats_is_refused(p01: Bundle, value: str) -> None:
    problem = one(check_form(all_fields(p01), good_form(birth_date=value), TODAY))
    assert (problem.path, problem.type) == ("form.birth_date", "date_invalid")


def test_date_in_the_future_is_refused(p01: Bundle) -> None:
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    problem = one(check_form(all_fields(p01), good_form(birth_date=tomorrow), TODAY))
    assert (problem.path, problem.type) == ("form.birth_date", "date_in_future")
    assert "出生日期" in problem.message_zh and "future" in problem.message_en
    assert check_form(all_fields(p01), good_form(birth_date=TODAY.isoformat()), TODAY) == []


def test_resident_id_field(p01: Bundle) -> None:
    bad = wrong_check(resident_id("110105", date(1992, 5, 17), "024"))
    problem = one(check_form(all_fields(p01), good_form(mother_id_number=bad), TODAY))
    assert (problem.path, problem.type) == ("form.mother_id_number", "resident_id_invalid")
    assert problem.message_zh.startswith("母亲公民身份号码") and "校验码" in problem.message_zh
    assert problem.message_en.startswith("Mother's resident ID number") and "check digit" in problem.message_en
    # An optional resident-ID field is still checked when given.
    problem = one(check_form(all_fields(p01), good_form(father_id_number="123"), TODAY))
    assert problem.path == "form.father_id_number"


def test_resident_id_field_born_after_today_is_refused(p01: Bundle) -> None:
    unborn = resident_id("110105", TODAY + timedelta(days=1), "024")
    problem = one(check_form(all_fields(p01), good_form(mother_id_number=unborn), TODAY))
    assert (problem.path, problem.type) == ("form.mother_id_number", "resident_id_invalid")
    assert problem.message_zh == "母亲公民身份号码：公民身份号码中的出生日期 2026-03-03 晚于今天"
    assert problem.message_en.startswith("Mother's resident ID number") and "2026-03-03, is after today" in problem.message_en
    # Born on the day itself is a valid number; "today" is the injected day, not the machine's.
    assert check_form(all_fields(p01), good_form(mother_id_number=resident_id("110105", TODAY, "024")), TODAY) == []
    assert check_form(all_fields(p01), good_form(mother_id_number=unborn), TODAY + timedelta(days=1)) == []


def test_values_are_checked_after_stripping(p01: Bundle) -> None:
    assert check_form(all_fields(p01), good_form(newborn_sex=" 女 "), TODAY) == []


def test_unexpected_field(p01: Bundle) -> None:
    problem = one(check_form(all_fields(p01), good_form(favourite_colour="blue"), TODAY))
    assert (problem.path, problem.type) == ("form.favourite_colour", "unexpected_field")
    assert problem.message_zh and problem.message_en


def test_field_of_an_unselected_item_is_unexpected(p01: Bundle) -> None:
    # P-01-02 alone (vaccination) does not need the hospital or the ID numbers.
    fields = load_catalogue().fields_for(p01, {"P-01-02"})
    assert [f.name for f in fields] == ["newborn_name", "newborn_sex", "birth_date", "mother_name", "household_address"]
    problems = check_form(fields, good_form(), TODAY)
    assert sorted(paths(problems)) == [
        "form.bank_account",
        "form.birth_hospital",
        "form.father_id_number",
        "form.father_name",
        "form.mother_id_number",
    ]
    assert {p.type for p in problems} == {"unexpected_field"}


def test_several_problems_are_reported_together(p01: Bundle) -> None:
    problems = check_form(all_fields(p01), good_form(newborn_name="", newborn_sex="?", extra="x"), TODAY)
    assert paths(problems) == ["form.newborn_name", "form.newborn_sex", "form.extra"]


def test_one_form_asks_each_shared_field_once(p01: Bundle) -> None:
    # newborn_name is needed by all six items, birth_date by five: each appears once.
    names = [f.name for f in all_fields(p01)]
    assert set(names) == {n for i in p01.items for n in i.fields}
    assert len(names) == len(set(names))
    for codes in ({"P-01-01", "P-01-03"}, {"P-01-04", "P-01-05"}, {"P-01-02", "P-01-05"}):
        names = [f.name for f in load_catalogue().fields_for(p01, codes)]
        assert len(names) == len(set(names))
        assert set(names) == {n for c in codes for n in p01.item(c).fields}


def test_field_types_of_the_catalogue(p01: Bundle) -> None:
    types = {f.name: f.type for f in p01.form_fields}
    assert types["mother_id_number"] is FieldType.RESIDENT_ID
    assert types["birth_date"] is FieldType.DATE
    assert types["newborn_sex"] is FieldType.ENUM


# --- the case fold (办件视图) and the one delivery --------------------------------------------------


def new_state(bundle: Bundle, codes: list[str] | None = None) -> CaseState:
    items = [i for i in bundle.items if codes is None or i.code in codes]
    return CaseState(
        "OT1", {i.code: ItemState(i.code, i.name_zh, i.name_en, i.department, i.yields_licence) for i in items}
    )


LICENSED = ("P-01-01", "P-01-02", "P-01-05")


def conclude_all(state: CaseState, outcome: str = "approved") -> None:
    for code in state.items:
        assert state.released(code, 1)
        assert state.concluded(code, 1, outcome, f"DOC-{code}", None)


def test_new_case_is_accepted_with_every_item_waiting(p01: Bundle) -> None:
    state = new_state(p01)
    assert state.status is CaseStatus.ACCEPTED
    assert {i.status for i in state.items.values()} == {ItemStatus.WAITING}
    assert not state.ready_for_delivery()


def test_release_and_conclusion_are_folded(p01: Bundle) -> None:
    state = new_state(p01)
    assert state.released("P-01-01", 1)
    assert state.status is CaseStatus.IN_PROGRESS
    assert (state.items["P-01-01"].status, state.items["P-01-01"].attempt) == (ItemStatus.RELEASED, 1)
    assert state.concluded("P-01-01", 1, "approved", "BMC-1", None)
    item = state.items["P-01-01"]
    assert (item.status, item.document_no, item.reason_zh) == (ItemStatus.APPROVED, "BMC-1", None)
    assert not state.released("P-01-01", 1)  # final: a repeat changes nothing
    assert not state.concluded("P-01-01", 1, "rejected", None, "重复")
    assert item.status is ItemStatus.APPROVED


def test_licence_and_clock_are_folded(p01: Bundle) -> None:
    state = new_state(p01)
    state.clock_started("P-01-03", "2026-01-09", "clock-P-01-03")
    assert state.items["P-01-03"].due_on == "2026-01-09"
    assert state.licence_issued("P-01-01", "LIC-1")
    assert not state.licence_issued("P-01-01", "LIC-1")  # the same licence again
    assert state.items["P-01-01"].licence_id == "LIC-1"


def test_stale_attempt_is_ignored(p01: Bundle) -> None:
    state = new_state(p01)
    state.released("P-01-01", 1)
    assert state.released("P-01-01", 2)  # re-sent
    # Late facts of attempt 1 do not undo attempt 2.
    assert not state.concluded("P-01-01", 1, "rejected", None, "旧结果")
    assert not state.released("P-01-01", 1)
    assert (state.items["P-01-01"].status, state.items["P-01-01"].attempt) == (ItemStatus.RELEASED, 2)
    assert state.concluded("P-01-01", 2, "approved", "BMC-2", None)
    assert state.items["P-01-01"].document_no == "BMC-2"


def test_ready_for_delivery_when_everything_is_final_and_licensed(p01: Bundle) -> None:
    state = new_state(p01)
    conclude_all(state)
    assert not state.ready_for_delivery()  # three licences missing
    for code in LICENSED[:-1]:
        state.licence_issued(code, f"LIC-{code}")
        assert not state.ready_for_delivery()
    state.licence_issued(LICENSED[-1], "LIC-last")
    assert state.ready_for_delivery()
    state.delivered = True
    assert state.status is CaseStatus.DELIVERED
    assert not state.ready_for_delivery()  # once (一次送达)


def test_rejected_or_unprocessed_items_need_no_licence(p01: Bundle) -> None:
    state = new_state(p01)
    state.released("P-01-01", 1)
    state.concluded("P-01-01", 1, "rejected", None, "材料不符")
    for code in ("P-01-03", "P-01-04", "P-01-05", "P-01-06"):
        state.concluded(code, 1, "not_processed", None, "前置事项未通过")
    state.released("P-01-02", 1)
    state.concluded("P-01-02", 1, "approved", "VAC-1", None)
    assert not state.ready_for_delivery()  # the approved vaccination certificate has no licence yet
    state.licence_issued("P-01-02", "LIC-VAC")
    assert state.ready_for_delivery()


def test_items_still_open_hold_delivery(p01: Bundle) -> None:
    state = new_state(p01, ["P-01-02"])
    assert not state.ready_for_delivery()
    state.released("P-01-02", 1)
    assert not state.ready_for_delivery()


def test_an_open_correction_notice_shows_in_the_status(p01: Bundle) -> None:
    state = new_state(p01)
    state.correction_open = True
    assert state.status is CaseStatus.AWAITING_CORRECTION
    again = CaseState.from_rows("OT1", state.item_rows(), delivered=False, correction_open=True)
    assert again.status is CaseStatus.AWAITING_CORRECTION


def test_rows_round_trip(p01: Bundle) -> None:
    state = new_state(p01)
    state.released("P-01-01", 1)
    state.licence_issued("P-01-01", "L")
    again = CaseState.from_rows("OT1", state.item_rows(), delivered=False)
    assert again.items == state.items
    assert again.item_rows()[0]["status"] == "released"
    assert list(again.item_rows()[0]) == [f.name for f in fields(ItemState)]  # every field, in order


def test_notice_lists_what_was_not_approved_and_mentions_free_mail(p01: Bundle) -> None:
    state = new_state(p01)
    state.concluded("P-01-01", 1, "approved", "BMC", None)
    state.concluded("P-01-02", 1, "rejected", None, "不符合条件")
    state.concluded("P-01-03", 1, "approved", "HH", None)
    state.concluded("P-01-04", 1, "not_processed", None, None)
    state.concluded("P-01-05", 1, "approved", "SSC", None)
    state.concluded("P-01-06", 1, "approved", "TAX", None)
    zh, en = notice_texts(state, p01.name_zh, p01.name_en, "mail")
    assert "新生儿出生一件事" in zh and "OT1" in zh and "准予 4 项" in zh
    assert "预防接种证办理（已办结（不予））" in zh
    assert "城乡居民基本医疗保险参保登记（未办理（前置事项未通过））" in zh
    assert "出生医学证明签发" not in zh  # approved items are not listed as not approved
    assert "免费寄递" in zh
    assert "Newborn birth" in en and "4 item(s) approved" in en
    assert "Vaccination certificate (rejected)" in en
    assert "Urban-rural resident medical insurance enrolment (not_processed)" in en
    assert "free mail" in en


def test_notice_for_window_pick_up_with_everything_approved(p01: Bundle) -> None:
    state = new_state(p01)
    conclude_all(state)
    zh, en = notice_texts(state, p01.name_zh, p01.name_en, "window")
    assert "准予 6 项" in zh and "未准予" not in zh and "免费寄递" not in zh and "综合窗口" in zh
    assert "not approved" not in en and "collection at the comprehensive window" in en


def test_catalogue_refuses_repeated_item_codes_and_form_fields(catalogue: Catalogue, p01: Bundle) -> None:
    bundle = p01
    twice_item = bundle.model_copy(update={"items": (*bundle.items, bundle.items[0])})
    with pytest.raises(CatalogueError, match="P-01-01") as err:
        catalogue.model_copy(update={"bundles": (twice_item,)}).check("cat.json")
    assert "重复" in str(err.value)
    twice_field = bundle.model_copy(update={"form_fields": (*bundle.form_fields, bundle.form_fields[0])})
    with pytest.raises(CatalogueError, match="newborn_name"):
        catalogue.model_copy(update={"bundles": (twice_field,)}).check("cat.json")


@pytest.mark.parametrize(("kind", "value"), [(FieldType.NUMBER, "１２"), (FieldType.PHONE, "１３８００１３８０００"),
                                             (FieldType.DATE, "２０２６-０１-０２"), (FieldType.NUMBER, "1.2.3")])
def test_only_ascii_digits_make_a_number_phone_or_date(kind: FieldType, value: str) -> None:
    spec = FormField(name="x", label_zh="字段", label_en="Field", type=kind)
    assert [p.path for p in check_form([spec], {"x": value}, TODAY)] == ["form.x"]
