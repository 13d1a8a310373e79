"""Encodings under the credentials: known answers from the specifications, and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credentials.canonical import canonical_json, check_signable
from credentials.multibase import (
    b45decode,
    b45encode,
    base58btc_decode,
    base58btc_encode,
    multikey_decode,
    multikey_encode,
)


def test_known_answers() -> None:
    assert base58btc_encode(b"Hello World!") == "z2NEpo7TZRRrLZSi2U"  # multibase spec example
    assert b45encode(b"AB") == "BB8" and b45encode(b"Hello!!") == "%69 VD92EX0"  # RFC 9285 §4.3
    assert b45decode("QED8WEX0") == b"ietf!"
    assert multikey_encode(bytes(32)).startswith("z6Mk")


@given(st.binary(max_size=80))
def test_base58_and_base45_round_trip(data: bytes) -> None:
    assert base58btc_decode(base58btc_encode(data)) == data
    assert b45decode(b45encode(data)) == data


@given(st.binary(min_size=32, max_size=32))
def test_multikeys_round_trip(key: bytes) -> None:
    assert multikey_decode(multikey_encode(key)) == key


@pytest.mark.parametrize("text", ["GGW", "A", "0", ":::"])
def test_base45_refuses_what_rfc_9285_forbids(text: str) -> None:
    with pytest.raises(ValueError):
        b45decode(text)


def test_canonical_json_is_jcs_for_the_signed_subset() -> None:
    assert canonical_json({"b": [1, True, None], "a": "出生医学证明\n"}) == '{"a":"出生医学证明\\n","b":[1,true,null]}'.encode()
    with pytest.raises(ValueError, match="floats"):
        check_signable({"fee": 1.5})
    with pytest.raises(ValueError, match="ASCII"):
        check_signable({"名称": "x"})


@given(st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), max_size=8),
                       st.recursive(st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
                                    | st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
                                    lambda inner: st.lists(inner, max_size=4)
                                    | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), max_size=5),
                                                      inner, max_size=4),
                                    max_leaves=12)))
def test_canonical_json_matches_sorted_compact_json_dumps(value: dict[str, object]) -> None:
    import json

    expected = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    assert canonical_json(value) == expected
