"""Signed HTTP requests: a refusal names the header at fault, in Chinese and English, and every header needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from exchange.request_signing import REQUIRED_HEADERS, ReplayGuard, RequestRefused, sign_request, verify_request
from exchange.signing import KeyRing, ensure_keys, publish_key_list

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
PATH = "/holders/430102202611210011/licences?kind=all"


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    ensure_keys(tmp_path, ["dept.health", "dept.police", "ghost"], holder="tests")
    (tmp_path / "public" / "ghost.pub").unlink()  # ghost holds a key nobody trusts
    publish_key_list(tmp_path)  # the list no longer names it
    return KeyRing(tmp_path)


def signed(ring: KeyRing, principal: str = "dept.health", **overrides: str) -> dict[str, str]:
    headers = sign_request(ring.signer(principal), "GET", PATH, purpose="核验出生医学证明", at=NOW)
    return {**headers, **overrides}


def refusal(ring: KeyRing, headers: dict[str, str], replay: ReplayGuard | None = None) -> RequestRefused:
    with pytest.raises(RequestRefused) as refused:
        verify_request(ring, headers, "GET", PATH, body=b"", now=NOW, replay=replay)
    for name in REQUIRED_HEADERS:  # every refusal lists every header a signed request carries
        assert name in refused.value.message_zh and name in refused.value.message_en
    assert "docs/signing.md" in refused.value.message_en
    return refused.value


def test_a_well_signed_request_proves_its_principal_and_purpose(ring: KeyRing) -> None:
    identity = verify_request(ring, signed(ring), "GET", PATH, body=b"", now=NOW)
    assert (identity.principal, identity.purpose) == ("dept.health", "核验出生医学证明")


@pytest.mark.parametrize("missing", REQUIRED_HEADERS)
def test_each_missing_header_is_named(ring: KeyRing, missing: str) -> None:
    headers = {k: v for k, v in signed(ring).items() if k != missing}
    refused = refusal(ring, headers)
    assert (refused.problem, refused.headers) == ("missing_headers", (missing,))
    assert refused.message_zh.startswith(f"缺少请求头 {missing}。")
    assert refused.message_en.startswith(f"missing header {missing}. ")


def test_an_unsigned_request_is_told_all_five(ring: KeyRing) -> None:
    refused = refusal(ring, {})
    assert refused.headers == REQUIRED_HEADERS and refused.message_en.startswith("missing headers X-OneThing-Principal")
    assert refused.to_json()["required_headers"] == list(REQUIRED_HEADERS)


@pytest.mark.parametrize(("overrides", "problem", "header"), [
    ({"X-OneThing-Date": "yesterday"}, "bad_date", "X-OneThing-Date"),
    ({"X-OneThing-Date": "2026-11-21T08:00:00"}, "bad_date", "X-OneThing-Date"),  # no offset
    ({"X-OneThing-Date": (NOW - timedelta(minutes=6)).isoformat()}, "stale_date", "X-OneThing-Date"),
    ({"X-OneThing-Purpose": "%E5%88%AB%E7%9A%84"}, "bad_signature", "X-OneThing-Signature"),  # purpose altered
    ({"X-OneThing-Principal": "dept.police"}, "bad_signature", "X-OneThing-Signature"),
    ({"X-OneThing-Principal": "dept.nobody"}, "unknown_principal", "X-OneThing-Principal"),
])
def test_a_wrong_header_is_named(ring: KeyRing, overrides: dict[str, str], problem: str, header: str) -> None:
    refused = refusal(ring, signed(ring, **overrides))
    assert (refused.problem, refused.headers) == (problem, (header,))
    assert header in refused.message_zh.split("。")[0] and header in refused.message_en.split(". ")[0]


def test_an_untrusted_signer_and_a_replay_are_named(ring: KeyRing) -> None:
    assert refusal(ring, signed(ring, "ghost")).headers == ("X-OneThing-Principal",)
    guard, headers = ReplayGuard(), signed(ring)
    verify_request(ring, headers, "GET", PATH, body=b"", now=NOW, replay=guard)
    assert refusal(ring, headers, guard).headers == ("X-OneThing-Request-Id",)
