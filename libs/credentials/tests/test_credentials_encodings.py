"""Encodings under the credentials: known answers from the specifications, and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
