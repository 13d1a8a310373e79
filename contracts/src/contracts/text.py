"""What text and numbers may cross an edge (边界输入规则), shared by the HTTP edge and the event decoder.

A value that passes JSON parsing can still break later: PostgreSQL refuses U+0000 in text and JSON, lone
surrogates cannot be encoded to UTF-8, an integer beyond 64 bits overflows a ``BIGINT``, and Python's JSON
reader accepts ``NaN`` and ``Infinity``, which JSON and PostgreSQL do not. Such a value is refused where it
enters, naming where it sits (``body.applicant.name``), instead of failing a database write afterwards.

Per kind of text:

* **free text** (string values of a JSON body or event): TAB, LF and CR are allowed (reasons, comments and
  addresses may span lines); every other C0 control (U+0000–U+001F), DEL (U+007F) and the C1 controls
  (U+0080–U+009F) are refused;
* **names** (path and query parameters, JSON object keys): no control character at all, TAB/LF/CR included;
* both: lone surrogates (U+D800–U+DFFF) and Unicode non-characters (U+FDD0–U+FDEF, U+xxFFFE, U+xxFFFF).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["INT64_MAX", "INT64_MIN", "InputProblem", "json_problems", "loads_checked", "text_problem"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
_FREE_TEXT_BAD = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")
_NAME_BAD = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")


@dataclass(frozen=True, slots=True)
class InputProblem:
    """Why one value is refused; ``path`` says where it sits (``body.applicant.name``, ``path.case_id``)."""

    path: str
    type: str  # control_character | number_out_of_range
    message_zh: str
    message_en: str


def text_problem(value: str, path: str, *, multiline: bool = False) -> InputProblem | None:
    """The problem of one text value, or None; ``multiline`` allows TAB, LF and CR (free text)."""
    found = (_FREE_TEXT_BAD if multiline else _NAME_BAD).search(value)
    if found is None:
        return None
    char = f"U+{ord(found.group()):04X}"
    return InputProblem(
        path, "control_character",
        f"含有不允许的字符 {char}（控制字符、代理项或非字符），请删除后重新提交",
        f"contains the character {char} (a control character, surrogate or non-character), which is not allowed",
    )


def _number_problem(value: int | float, path: str) -> InputProblem | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and INT64_MIN <= value <= INT64_MAX:
        return None
    if isinstance(value, float) and math.isfinite(value):
        return None
    return InputProblem(path, "number_out_of_range", "数值超出允许范围（须为有限数，整数不超过 64 位）",
                       f"the number is out of range: {str(value)[:40]} (finite numbers only, integers within 64 bits)")


def _escaped(name: str) -> str:
    """A name fit to show in a message: refused characters as ``\\uXXXX``."""
    return _NAME_BAD.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


def json_problems(value: Any, path: str) -> Iterator[InputProblem]:
    """Every refused string, key or number in a decoded JSON value, depth first, in document order."""
    if isinstance(value, str):
        if (problem := text_problem(value, path, multiline=True)) is not None:
            yield problem
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{_escaped(str(key))}"
            if (problem := text_problem(str(key), name)) is not None:
                yield problem
            yield from json_problems(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_problems(item, f"{path}.{index}")
    elif isinstance(value, int | float) and (problem := _number_problem(value, path)) is not None:
        yield problem


# In UTF-8 bytes that hold none of these, no string decoded from JSON can be refused: strict JSON admits no raw
# C0 control inside a string, every escape starts with a backslash, and strict UTF-8 decoding yields no surrogate.
# What is left shows as bytes: DEL (7F), the C1 controls (C2 80–9F), U+FDD0–U+FDEF (EF B7 …), U+FFFE and U+FFFF
# (EF BF …) and the other planes' non-characters (four-byte sequences, F0–F4). A false alarm (a "·" is C2 B7, a
# fullwidth "￥" EF BF A5, an emoji F0 …) only costs the walk.
_STRINGS_MAY_BE_REFUSED = re.compile(rb"[\\\x7f\xc2\xf0-\xf4]")
_STRINGS_MAY_BE_REFUSED_EF = (b"\xef\xb7", b"\xef\xbf")


class _NumberMayBeRefused(Exception):
    """Raised by the watching decoder's number hooks to fall back to the walk."""


def _integer(literal: str) -> int:
    if len(literal) > 18:  # 64 bits hold every integer of 18 digits
        raise _NumberMayBeRefused
    return int(literal)


def _real(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise _NumberMayBeRefused
    return number


def _constant(literal: str) -> float:  # NaN, Infinity, -Infinity: never JSON
    raise _NumberMayBeRefused


_WATCHING_NUMBERS = json.JSONDecoder(parse_int=_integer, parse_float=_real, parse_constant=_constant)


def loads_checked(raw: bytes, path: str) -> tuple[Any, InputProblem | None]:
    """Parse UTF-8 JSON (``UnicodeDecodeError`` and ``json.JSONDecodeError`` as for ``json.loads``) and find its
    first refused value. The decoded value is walked (:func:`json_problems`) only when a byte or a number says a
    refused value may be there: most event envelopes need no walk, and a walk of every event cost 7–11% of a
    consumer (``docs/performance.md``, step 9)."""
    text = raw.decode()
    if _STRINGS_MAY_BE_REFUSED.search(raw) is None and not any(ef in raw for ef in _STRINGS_MAY_BE_REFUSED_EF):
        try:
            return _WATCHING_NUMBERS.decode(text), None
        except _NumberMayBeRefused:
            pass
    value = json.loads(text)
    return value, next(json_problems(value, path), None)
