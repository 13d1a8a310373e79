"""Unified identity (统一身份, R-17): the numbers every case is keyed to.

* Natural persons: the 18-digit citizen identity number (公民身份号码), GB 11643-1999, ISO 7064 MOD 11-2.
* Legal persons and other organisations: the unified social credit code (统一社会信用代码),
  GB 32100-2015, MOD 31 over its own 31-character alphabet.

Checks return ``None`` or the problem in Chinese and English; ``make_*`` build valid numbers for
simulators, demos and tests. Shared here because the window, the registries and the demo all need
exactly the same rule.
"""

from __future__ import annotations

import re
from datetime import date

from contracts.days import china_today

__all__ = ["looks_like_resident_id", "make_resident_id", "make_uscc", "resident_id_problem", "uscc_problem"]

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"[1-9][0-9]{16}[0-9X]")  # ASCII digits only: full-width ones are another key

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"[1-9A-HJ-NP-RTUWXY][1-9A-HJ-NP-RTUWXY][0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}")


def _resident_check(body17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(body17, _ID_WEIGHTS, strict=True)) % 11]


def looks_like_resident_id(number: str) -> bool:
    """Shaped like a resident ID number (18 ASCII digits, the last may be X), whether or not it is valid."""
    return _ID_SHAPE.fullmatch(number) is not None


def resident_id_problem(number: str, *, today: date | None = None) -> tuple[str, str] | None:
    """None if ``number`` is a valid resident ID number; else the problem in Chinese and English.

    Nobody is born after ``today``, the day in China unless given (tests and a case's acceptance day pass theirs).
    """
    if not looks_like_resident_id(number):
        return ("公民身份号码应为18位，末位可为数字或X", "a resident ID number has 18 characters, the last a digit or X")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return ("公民身份号码中的出生日期无效", "the date of birth inside the resident ID number is invalid")
    if born > (today or china_today()):
        return (f"公民身份号码中的出生日期 {born:%Y-%m-%d} 晚于今天",
                f"the date of birth inside the resident ID number, {born:%Y-%m-%d}, is after today")
    if _resident_check(number[:17]) != number[17]:
        return ("公民身份号码校验码错误", "the check digit of the resident ID number is wrong")
    return None


def make_resident_id(region: str, born: date, sequence: int) -> str:
    """A valid number for ``region`` (6 digits), birth date and a 3-digit sequence (odd = male)."""
    body = f"{region}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + _resident_check(body)


def _uscc_check(body17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> tuple[str, str] | None:
    """None if ``code`` is a valid unified social credit code; else the problem in Chinese and English."""
    if not _USCC_SHAPE.fullmatch(code):
        return ("统一社会信用代码应为18位数字或大写字母（不含I、O、S、V、Z），第3至8位为行政区划码",
                "a unified social credit code has 18 digits or capital letters (no I, O, S, V, Z), "
                "characters 3-8 being the region code")
    if _uscc_check(code[:17]) != code[17]:
        return ("统一社会信用代码校验码错误", "the check character of the unified social credit code is wrong")
    return None


def make_uscc(region: str, serial: int, *, authority: str = "9", category: str = "1") -> str:
    """A valid code: registration authority (9 = 市场监管), category (1 = enterprise), region, 9-char body."""
    body9 = ""
    for _ in range(9):
        serial, digit = divmod(serial, len(USCC_ALPHABET))
        body9 = USCC_ALPHABET[digit] + body9
    body = f"{authority}{category}{region}{body9}"
    return body + _uscc_check(body)
