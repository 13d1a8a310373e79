"""Unified identity (统一身份, R-17): the 18-digit resident ID number, GB 11643-1999."""

from __future__ import annotations

import re
from datetime import date

__all__ = ["resident_id_problem"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")


def resident_id_problem(number: str) -> tuple[str, str] | None:
    """None if ``number`` is a valid resident ID; else the problem in Chinese and English."""
    if not _SHAPE.match(number):
        return ("公民身份号码应为18位，末位可为数字或X", "a resident ID number has 18 characters, the last a digit or X")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return ("公民身份号码中的出生日期无效", "the date of birth inside the resident ID number is invalid")
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    if _CHECK[total % 11] != number[17]:
        return ("公民身份号码校验码错误", "the check digit of the resident ID number is wrong")
    return None
