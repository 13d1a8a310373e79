"""Signed HTTP requests (RFC 9421 with Ed25519, RFC 9530 digests): the RFC's own example signs and verifies as
the RFC prints it, and a refusal names the header at fault, in Chinese and English, and every header needed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from http_sfv.dictionary import Dictionary

from exchange.ed25519 import SigningKey
from exchange.request_signing import (
    REQUIRED_HEADERS,
    SIGNATURE_CHALLENGE,
    ReplayGuard,
    RequestRefused,
    content_digest,
    sign_request,
    signature_base,
    signed_target,
    verify_request,
)
from exchange.signing import KeyRing, ensure_keys, publish_key_list

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
PATH = "/holders/430102202611210011/licences?kind=all"

# RFC 9421 Appendix B.1.4 (test-key-ed25519) and B.2.6 (signing a request using ed25519).
RFC_KEY = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
RFC_INPUT = ('sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");'
             'created=1618884473;keyid="test-key-ed25519"')
RFC_BASE = """"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473\
;keyid="test-key-ed25519\""""
RFC_SIGNATURE = "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    ensure_keys(tmp_path, ["dept.health", "dept.police", "ghost"], holder="tests")
    (tmp_path / "public" / "ghost.pub").unlink()  # ghost holds a key nobody trusts
    publish_key_list(tmp_path)  # the list no longer names it
    return KeyRing(tmp_path)


def signed(ring: KeyRing, principal: str = "dept.health", **overrides: str) -> dict[str, str]:
    headers = sign_request(ring.signer(principal), "GET", PATH, purpose="核验出生医学证明", at=NOW)
    return {**headers, **overrides}


def with_input(ring: KeyRing, old: str, new: str) -> dict[str, str]:
    """Signed, then its Signature-Input changed (``old`` replaced by ``new``)."""
    headers = signed(ring)
    assert old in headers["Signature-Input"]
    return {**headers, "Signature-Input": headers["Signature-Input"].replace(old, new)}


def refusal(ring: KeyRing, headers: dict[str, str], replay: ReplayGuard | None = None, target: str = PATH,
            body: bytes = b"") -> RequestRefused:
    with pytest.raises(RequestRefused) as refused:
        verify_request(ring, headers, "GET", target, body=body, now=NOW, replay=replay)
    for name in REQUIRED_HEADERS:  # every refusal lists every header a signed request carries
        assert name in refused.value.message_zh and name in refused.value.message_en
    assert "docs/signing.md" in refused.value.message_en
    return refused.value


def test_the_rfc_example_gives_the_rfcs_signature_base_and_signature() -> None:
    inputs = Dictionary()
    inputs.parse(RFC_INPUT.encode())
    headers = {"host": "example.com", "date": "Tue, 20 Apr 2021 02:07:55 GMT", "content-type": "application/json",
               "content-length": "18"}
    base = signature_base(inputs["sig-b26"], "POST", "/foo?param=Value&Pet=dog", headers)
    assert base.decode() == RFC_BASE
    assert base64.b64encode(SigningKey.from_pem(RFC_KEY).sign(base)).decode() == RFC_SIGNATURE


def test_content_digest_is_rfc_9530s() -> None:
    # RFC 9530 §2 and RFC 9421 B.2's body {"hello": "world"}
    assert content_digest(b'{"hello": "world"}') == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"


def test_a_well_signed_request_proves_its_principal_and_purpose(ring: KeyRing) -> None:
    headers = signed(ring)
    assert headers["Signature-Input"].startswith(
        'onething=("@method" "@path" "@query" "content-digest" "onething-purpose");created=1795248000;'
        'keyid="dept.health";nonce="')
    assert headers["Signature-Input"].endswith(';alg="ed25519";tag="onething"')
    identity = verify_request(ring, headers, "GET", PATH, body=b"", now=NOW)
    assert (identity.principal, identity.purpose) == ("dept.health", "核验出生医学证明")


def test_components_in_another_order_and_a_second_signature_beside_ours_still_verify(ring: KeyRing) -> None:
    """What an RFC 9421 library may send: its own order of components, and other labels (a proxy's)."""
    signer = ring.signer("dept.health")
    headers = signed(ring)
    inputs = Dictionary()
    inputs.parse(headers["Signature-Input"].encode())
    covered = inputs["onething"]
    covered.data.reverse()
    base = signature_base(covered, "GET", PATH, {k.lower(): v for k, v in headers.items()})
    ours = base64.b64encode(signer.sign_raw(base)).decode()
    headers = {**headers, "Signature-Input": f'proxy=("@method");created=1, onething={covered}',
               "Signature": f"proxy=:AAAA:, onething=:{ours}:"}
    assert verify_request(ring, headers, "GET", PATH, body=b"", now=NOW).principal == "dept.health"


def test_the_body_is_bound_by_its_digest(ring: KeyRing) -> None:
    body = '{"reason_zh": "核查中"}'.encode()
    headers = sign_request(ring.signer("dept.health"), "POST", "/licences/x/suspension", purpose="证照状态管理",
                           body=body, at=NOW)
    assert verify_request(ring, headers, "POST", "/licences/x/suspension", body=body, now=NOW).purpose == "证照状态管理"
    with pytest.raises(RequestRefused) as refused:
        verify_request(ring, headers, "POST", "/licences/x/suspension", body=body + b" ", now=NOW)
    assert (refused.value.problem, refused.value.headers) == ("bad_digest", ("Content-Digest",))
    forged = {**headers, "Content-Digest": content_digest(body + b" ")}  # a digest of the new body, unsigned
    with pytest.raises(RequestRefused) as refused:
        verify_request(ring, forged, "POST", "/licences/x/suspension", body=body + b" ", now=NOW)
    assert (refused.value.problem, refused.value.headers) == ("bad_signature", ("Signature",))


@pytest.mark.parametrize("missing", REQUIRED_HEADERS)
def test_each_missing_header_is_named(ring: KeyRing, missing: str) -> None:
    headers = {k: v for k, v in signed(ring).items() if k != missing}
    refused = refusal(ring, headers)
    assert (refused.problem, refused.headers) == ("missing_headers", (missing,))
    assert refused.message_zh.startswith(f"缺少请求头 {missing}。")
    assert refused.message_en.startswith(f"missing header {missing}. ")


def test_an_unsigned_request_is_told_all_four(ring: KeyRing) -> None:
    refused = refusal(ring, {})
    assert refused.headers == REQUIRED_HEADERS and refused.message_en.startswith("missing headers Signature-Input")
    assert refused.to_json()["required_headers"] == list(REQUIRED_HEADERS)


@pytest.mark.parametrize(("old", "new", "problem", "header"), [
    ("created=1795248000", f"created={int((NOW - timedelta(minutes=6)).timestamp())}", "stale_date",
     "Signature-Input"),
    ("created=1795248000", "created=1795248000;expires=1795247999", "stale_date", "Signature-Input"),
    ("created=1795248000", 'created="yesterday"', "bad_signature_input", "Signature-Input"),
    ('keyid="dept.health"', 'keyid="dept.police"', "bad_signature", "Signature"),
    ('keyid="dept.health"', 'keyid="dept.nobody"', "unknown_principal", "Signature-Input"),
    (';tag="onething"', "", "bad_signature_input", "Signature-Input"),
    ('alg="ed25519"', 'alg="rsa-pss-sha512"', "bad_signature_input", "Signature-Input"),
    (' "onething-purpose"', "", "bad_signature_input", "Signature-Input"),  # the purpose not covered
    ('"@query"', '"@query" "x-unsent"', "bad_signature_input", "Signature-Input"),  # a field not sent
    ('"@query"', '"@query";req', "bad_signature_input", "Signature-Input"),  # component parameters
    ("onething=", "other=", "bad_signature_input", "Signature-Input"),  # no signature of ours
    ("(", "((", "bad_signature_input", "Signature-Input"),  # not a structured field
])
def test_a_wrong_signature_input_is_named(ring: KeyRing, old: str, new: str, problem: str, header: str) -> None:
    refused = refusal(ring, with_input(ring, old, new))
    assert (refused.problem, refused.headers[0]) == (problem, header)
    assert header in refused.message_zh.split("。")[0] and header in refused.message_en.split(". ")[0]


@pytest.mark.parametrize(("overrides", "target", "problem", "header"), [
    ({"OneThing-Purpose": "%E5%88%AB%E7%9A%84"}, PATH, "bad_signature", "Signature"),  # purpose altered
    ({}, PATH.replace("kind=all", "kind=any"), "bad_signature", "Signature"),  # query altered
    ({}, PATH.replace("holders", "Holders"), "bad_signature", "Signature"),  # path altered
    ({"Content-Digest": "sha-512=:AAAA:"}, PATH, "bad_digest", "Content-Digest"),  # no sha-256
    ({"Content-Digest": "sha-256"}, PATH, "bad_digest", "Content-Digest"),
])
def test_a_wrong_header_or_target_is_named(ring: KeyRing, overrides: dict[str, str], target: str, problem: str,
                                           header: str) -> None:
    refused = refusal(ring, signed(ring, **overrides), target=target)
    assert (refused.problem, refused.headers) == (problem, (header,))


def test_an_untrusted_signer_and_a_replay_are_named(ring: KeyRing) -> None:
    assert refusal(ring, signed(ring, "ghost")).problem == "unknown_principal"
    guard, headers = ReplayGuard(), signed(ring)
    verify_request(ring, headers, "GET", PATH, body=b"", now=NOW, replay=guard)
    replayed = refusal(ring, headers, guard)
    assert (replayed.problem, replayed.headers) == ("replayed", ("Signature-Input",))


def test_the_challenge_asks_for_this_signature() -> None:
    assert SIGNATURE_CHALLENGE["Accept-Signature"] == (
        'onething=("@method" "@path" "@query" "content-digest" "onething-purpose");keyid;created;nonce;'
        'alg="ed25519";tag="onething"')


def test_the_signed_target_is_the_path_as_sent() -> None:
    scope = {"path": "/cases/办件", "raw_path": b"/cases/%E5%8A%9E%E4%BB%B6", "query_string": b"a=1&b=%20"}
    assert signed_target(scope) == "/cases/%E5%8A%9E%E4%BB%B6?a=1&b=%20"
    assert signed_target({"path": "/cases/办件", "query_string": b""}) == "/cases/%E5%8A%9E%E4%BB%B6"
