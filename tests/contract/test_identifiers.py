"""R-17 unified identity: resident ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.days import china_today
from contracts.identifiers import make_resident_id, make_uscc, resident_id_problem, uscc_problem

# Examples printed in the standards themselves.
GB11643_EXAMPLES = ("11010519491231002X", "440524188001010014")
GB32100_EXAMPLE = "91350100M000100Y43"

DIGITS = "0123456789"
ID_CHECK_CHARS = DIGITS + "X"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: 31 characters, no I, O, S, V, Z
FORBIDDEN_LETTERS = "IOSVZ"


def uscc_allowed_at(position: int) -> str:
    """What GB 32100 allows at a body position: authority and category 1-9 or a letter, region digits."""
    if position < 2:
        return USCC_CHARS[1:]
    if position < 8:
        return DIGITS
    return USCC_CHARS


def resident_allowed_at(position: int) -> str:
    return DIGITS[1:] if position == 0 else DIGITS


regions = st.integers(100000, 999999).map(str)
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))  # all before today in China
sequences = st.integers(0, 999)
resident_ids = st.builds(make_resident_id, regions, births, sequences)
usccs = st.builds(
    lambda region, serial, authority, category: make_uscc(region, serial, authority=authority, category=category),
    st.text(DIGITS, min_size=6, max_size=6),
    st.integers(0, 31**9 - 1),
    st.sampled_from(USCC_CHARS[1:]),
    st.sampled_from(USCC_CHARS[1:]),
)


# --- known valid examples ----------------------------------------------------------------------------


@pytest.mark.parametrize("number", GB11643_EXAMPLES)
def test_r17_gb11643_examples_are_valid(number: str) -> None:
    assert resident_id_problem(number) is None


def test_r17_gb32100_example_is_valid() -> None:
    assert uscc_problem(GB32100_EXAMPLE) is None


def test_r17_make_resident_id_reproduces_the_gb11643_example() -> None:
    assert make_resident_id("110105", date(1949, 12, 31), 2) == "11010519491231002X"


def test_r17_make_uscc_reproduces_the_gb32100_body_check() -> None:
    body9 = GB32100_EXAMPLE[8:17]
    serial = 0
    for char in body9:
        serial = serial * 31 + USCC_CHARS.index(char)
    assert make_uscc("350100", serial) == GB32100_EXAMPLE


# --- resident ID: every kind of wrong input --------------------------------------------------------


def test_r17_resident_id_wrong_check_digit() -> None:
    problem = resident_id_problem("110105194912310021")
    assert problem is not None
    assert "校验码" in problem[0]
    assert "check digit" in problem[1]


@pytest.mark.parametrize(
    "number",
    ["11010519491231002", "11010519491231002X0", "", "11010519491231002x", "01010519491231002X",
     "1101051949123100XX", "11010519491231002Y", "1101051949 231002X", "11010519491231002X "],
    ids=["17-chars", "19-chars", "empty", "lower-case-x", "leading-zero", "x-inside", "letter-check", "space",
         "trailing-space"],
)
def test_r17_resident_id_wrong_shape(number: str) -> None:
    problem = resident_id_problem(number)
    assert problem is not None
    assert "18位" in problem[0]


@pytest.mark.parametrize("birth", ["19490230", "19491301", "19490000", "19491200", "19000229"])
def test_r17_resident_id_bad_birth_date(birth: str) -> None:
    number = f"110105{birth}002"
    number += "0"  # the check is not reached: the date is checked first
    problem = resident_id_problem(number)
    assert problem is not None
    assert "出生日期" in problem[0]


def test_r17_resident_id_born_after_today_is_refused() -> None:
    today = date(2026, 3, 2)
    number = make_resident_id("110105", date(2026, 3, 3), 2)
    assert resident_id_problem(number, today=today) == (
        "公民身份号码中的出生日期 2026-03-03 晚于今天", "the date of birth inside the resident ID number, 2026-03-03, is after today")
    assert resident_id_problem(make_resident_id("110105", today, 2), today=today) is None
    assert resident_id_problem(number, today=date(2026, 3, 3)) is None


def test_r17_resident_id_born_after_today_in_china_is_refused_by_default() -> None:
    """Without a given day, "today" is China's (UTC+8), whatever the machine's time zone."""
    after_tomorrow = china_today() + timedelta(days=2)  # two: the test may straddle midnight
    problem = resident_id_problem(make_resident_id("110105", after_tomorrow, 2))
    assert problem is not None and "晚于今天" in problem[0]


def test_r17_resident_id_with_trailing_newline_is_refused() -> None:
    assert resident_id_problem("11010519491231002X\n") is not None


def test_r17_resident_id_with_full_width_digits_is_refused() -> None:
    assert resident_id_problem("1１010519491231002X") is not None


# --- USCC: every kind of wrong input -------------------------------------------------------------------


def test_r17_uscc_wrong_check_character() -> None:
    problem = uscc_problem("91350100M000100Y44")
    assert problem is not None
    assert "校验码" in problem[0]


@pytest.mark.parametrize("letter", FORBIDDEN_LETTERS)
def test_r17_uscc_forbidden_letter_in_body(letter: str) -> None:
    code = GB32100_EXAMPLE[:9] + letter + GB32100_EXAMPLE[10:]
    problem = uscc_problem(code)
    assert problem is not None
    assert "I、O、S、V、Z" in problem[0]


@pytest.mark.parametrize("letter", FORBIDDEN_LETTERS)
def test_r17_uscc_forbidden_letter_as_check_character(letter: str) -> None:
    assert uscc_problem(GB32100_EXAMPLE[:17] + letter) is not None


@pytest.mark.parametrize(
    "code",
    ["91350100M000100Y4", "91350100M000100Y433", "", "91350100m000100y43", "01350100M000100Y43",
     "90350100M000100Y43", "9135010AM000100Y43", "91350100M000100Y43\n", "91350100M000-100Y4"],
    ids=["17-chars", "19-chars", "empty", "lower-case", "authority-zero", "category-zero", "letter-in-region",
         "trailing-newline", "hyphen"],
)
def test_r17_uscc_wrong_shape(code: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None
    assert "18位" in problem[0]


def test_r17_uscc_with_full_width_digit_is_a_problem_not_a_crash() -> None:
    assert uscc_problem("91３50100M000100Y43") is not None


# --- properties ------------------------------------------------------------------------------------------------


@given(resident_ids)
def test_r17_every_made_resident_id_is_valid(number: str) -> None:
    assert len(number) == 18
    assert resident_id_problem(number) is None


@given(usccs)
def test_r17_every_made_uscc_is_valid(code: str) -> None:
    assert len(code) == 18
    assert uscc_problem(code) is None


@given(resident_ids)
def test_r17_resident_id_any_other_check_digit_is_invalid(number: str) -> None:
    for other in ID_CHECK_CHARS.replace(number[17], ""):
        problem = resident_id_problem(number[:17] + other)
        assert problem is not None
        assert "校验码" in problem[0]


@given(usccs)
def test_r17_uscc_any_other_check_character_is_invalid(code: str) -> None:
    for other in USCC_CHARS.replace(code[17], ""):
        problem = uscc_problem(code[:17] + other)
        assert problem is not None
        assert "校验码" in problem[0]


@given(resident_ids, st.integers(0, 16), st.data())
def test_r17_resident_id_any_single_body_substitution_is_invalid(number: str, position: int,
                                                                 data: st.DataObject) -> None:
    allowed = resident_allowed_at(position).replace(number[position], "")
    changed = number[:position] + data.draw(st.sampled_from(allowed)) + number[position + 1:]
    problem = resident_id_problem(changed)
    assert problem is not None
    assert "18位" not in problem[0]  # still well-shaped: caught by the date or the MOD 11-2 check


@given(usccs, st.integers(0, 16), st.data())
def test_r17_uscc_any_single_body_substitution_is_invalid(code: str, position: int, data: st.DataObject) -> None:
    allowed = uscc_allowed_at(position).replace(code[position], "")
    changed = code[:position] + data.draw(st.sampled_from(allowed)) + code[position + 1:]
    problem = uscc_problem(changed)
    assert problem is not None
    assert "校验码" in problem[0]  # MOD 31 catches every single substitution
