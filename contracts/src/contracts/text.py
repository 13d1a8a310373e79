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

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["INT64_MAX", "INT64_MIN", "InputProblem", "json_problems", "text_problem"]

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


# In a JSON text none of whose characters matches this, no decoded string, key or number can be refused: strict JSON
# parsing admits no raw control character inside a string, strict UTF-8 decoding yields no surrogate, an escape
# starts with a backslash, and a number beyond 64 bits or beyond a float needs 19 digits or a 3-digit exponent.
_MAY_HOLD_REFUSED = re.compile(r"\\|NaN|Infinity|\d{19}|[eE][+-]?\d{3}|" + _FREE_TEXT_BAD.pattern)


def json_problems(value: Any, path: str, *, text: str | None = None) -> Iterator[InputProblem]:
    """Every refused string, key or number in a decoded JSON value, depth first, in document order. ``text``: the
    JSON text (strictly decoded UTF-8) ``value`` was parsed from; when nothing in it can decode to a refused value
    the walk is skipped (the common case, and a walk of every event costs: ``docs/performance.md``, step 9)."""
    if text is not None and _MAY_HOLD_REFUSED.search(text) is None:
        return
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
