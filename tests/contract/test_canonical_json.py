"""The one canonical JSON (contracts.canonical) is RFC 8785: known answers, and the reference implementation on any value."""

from __future__ import annotations

import math

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from contracts.canonical import canonical_json, ecmascript_number

_SAFE = 2**53 - 1  # JCS numbers are doubles: the reference refuses integers beyond this


@pytest.mark.parametrize(("number", "text"), [
    # RFC 8785 §3.2.2.3 and Appendix B's table of IEEE 754 values
    (0.0, "0"), (-0.0, "0"), (1.0, "1"), (-1.5, "-1.5"), (4.50, "4.5"), (2e-3, "0.002"),
    (1e-27, "1e-27"), (1e30, "1e+30"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
    (1e-6, "0.000001"), (1e-7, "1e-7"), (333333333.33333329, "333333333.3333333"),
    (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
    (9007199254740992.0, "9007199254740992"), (295147905179352830000.0, "295147905179352830000"),
    (0.000001234, "0.000001234"), (123e-20, "1.23e-18"),
])
def test_numbers_print_as_ecmascript_does(number: float, text: str) -> None:
    assert ecmascript_number(number) == text


def test_known_answers() -> None:
    assert canonical_json({"b": [1, True, None], "a": "出生医学证明\n\u001f"}) == (
        '{"a":"出生医学证明\\n\\u001f","b":[1,true,null]}'.encode())
    assert canonical_json({"rate": 1.0, "nested": [{"z": 0.5, "a": 1e-7}]}) == b'{"nested":[{"a":1e-7,"z":0.5}],"rate":1}'
    # Keys sort by UTF-16 code units: U+1F600 (surrogates D83D…) comes before U+FB01, unlike code-point order.
    assert canonical_json({"\ufb01": 1, "\U0001f600": 2, "a": {"\U0001f600": 1.0, "\ufb01": 0}}) == (
        '{"a":{"\U0001f600":1,"\ufb01":0},"\U0001f600":2,"\ufb01":1}'.encode())


@pytest.mark.parametrize("value", [math.nan, math.inf, {"x": -math.inf}, 2**64, {1: "non-string key"}, "\ud800"])
def test_refuses_what_jcs_cannot_hold(value: object) -> None:
    with pytest.raises(ValueError):
        canonical_json(value)


class _Float(float):
    """A float subclass (as numpy's float64 is): orjson writes it natively, as a float."""


@pytest.mark.parametrize("value", [
    {"a": {"b": [1, "x", {"c": [None, 0.5]}]}},  # a float deep down
    [[["x"], [1.0]]],
    {"t": ("x", 2.5)},  # in a tuple
    {"n": _Float(1.0)},  # a float subclass
    {"a": [{"\U0001f600": 1, "\ufb01": 2}]},  # a key beyond the BMP, deep down
])
def test_whatever_needs_mending_is_found_however_deep(value: object) -> None:
    """Values go straight to orjson only when nothing in them needs mending (``_as_orjson_writes``)."""
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("value", [{"a": [{"b": math.nan}]}, [[("x", -math.inf)]]])
def test_a_number_json_cannot_hold_is_refused_however_deep(value: object) -> None:
    with pytest.raises(ValueError):  # orjson alone would write null
        canonical_json(value)


_keys = st.text(max_size=6, alphabet=st.characters(blacklist_categories=("Cs",)))
_scalars = (st.none() | st.booleans() | st.integers(-_SAFE, _SAFE)
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
                       max_leaves=16)


@given(_values)
def test_matches_the_reference_implementation(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)
