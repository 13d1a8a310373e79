"""Ed25519 envelope signatures: only the source's own key makes an envelope acceptable."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts.envelope import Envelope, canonical_bytes
from contracts.supervision.v1 import ClockStarted
from exchange.errors import SignatureInvalid
from exchange.signing import KeyRing, b64, ensure_keys, publish_key_list


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    ensure_keys(tmp_path, ["tests", "rating", "ghost"], holder="tests")
    (tmp_path / "public" / "ghost.pub").unlink()  # ghost can sign, but nobody trusts it
    publish_key_list(tmp_path)  # the list no longer names it
    return KeyRing(tmp_path)


def unsigned(source: str = "tests") -> dict[str, Any]:
    payload = ClockStarted(
        case_id="case-7",
        task_id="task-7",
        item_code="ITEM-1",
        department="police",
        limit_working_days=5,
        started_on=datetime.now(UTC).date(),
        due_on=datetime.now(UTC).date(),
    )
    return Envelope.wrap(payload, source=source, subject="case-7").to_wire()


def test_sign_verify_roundtrip(ring: KeyRing) -> None:
    signed = ring.signer("tests").sign_envelope(unsigned())
    assert signed["signature"]["key_id"] == "tests"
    assert signed["signature"]["alg"] == "Ed25519"
    ring.verify_envelope(signed)
    # A fresh keyring (another process) reading only the .pub files agrees.
    KeyRing(ring.keys_dir).verify_envelope(copy.deepcopy(signed))
    # and the verified dict is still a valid envelope
    Envelope.model_validate(signed)


def test_signing_for_someone_else_is_refused(ring: KeyRing) -> None:
    with pytest.raises(ValueError, match="cannot sign"):
        ring.signer("rating").sign_envelope(unsigned("tests"))


def _flip_first(value: str) -> str:
    """Another first character: always a different signature (the last ones can already be the replacement)."""
    return ("B" if value[0] == "A" else "A") + value[1:]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda w: w["data"].__setitem__("limit_working_days", 50), id="payload"),
        pytest.param(lambda w: w.__setitem__("subject", "case-8"), id="subject"),
        pytest.param(lambda w: w.__setitem__("chain", {"seq": 1, "prev": "0" * 64}), id="added-field"),
        pytest.param(lambda w: w["signature"].__setitem__("value", _flip_first(w["signature"]["value"])), id="sig"),
        pytest.param(lambda w: w["signature"].__setitem__("value", "%%%not-base64"), id="sig-garbage"),
    ],
)
def test_tampered_envelope_fails(ring: KeyRing, tamper: Any) -> None:
    signed = ring.signer("tests").sign_envelope(unsigned())
    tampered = copy.deepcopy(signed)
    tamper(tampered)
    assert tampered != signed
    with pytest.raises(SignatureInvalid):
        ring.verify_envelope(tampered)


def test_signature_by_another_principals_key_fails(ring: KeyRing) -> None:
    wire = unsigned("tests")
    # rating signs the bytes of an envelope claiming to be from tests, and claims key "tests"
    wire["signature"] = {
        "alg": "Ed25519",
        "key_id": "tests",
        "value": ring.signer("rating").sign_bytes(canonical_bytes(wire)),
    }
    with pytest.raises(SignatureInvalid, match="does not verify"):
        ring.verify_envelope(wire)


def test_key_id_other_than_source_fails(ring: KeyRing) -> None:
    # A perfectly valid rating signature, on an envelope whose source is tests.
    wire = unsigned("tests")
    wire["signature"] = {
        "alg": "Ed25519",
        "key_id": "rating",
        "value": ring.signer("rating").sign_bytes(canonical_bytes(wire)),
    }
    ring.verify_bytes("rating", canonical_bytes(wire), wire["signature"]["value"])  # the bytes do verify...
    with pytest.raises(SignatureInvalid, match="claims source"):
        ring.verify_envelope(wire)  # ...but rating cannot speak for tests


def test_untrusted_signer_without_public_key_fails(ring: KeyRing) -> None:
    signed = ring.signer("ghost").sign_envelope(unsigned("ghost"))
    with pytest.raises(SignatureInvalid, match="untrusted"):
        ring.verify_envelope(signed)


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(None, id="missing"),
        pytest.param("deadbeef", id="not-a-block"),
        pytest.param({"alg": "RSA", "key_id": "tests", "value": "x"}, id="wrong-alg"),
        pytest.param({"alg": "Ed25519", "key_id": "tests"}, id="no-value"),
        pytest.param({"alg": "Ed25519", "key_id": 7, "value": "x"}, id="key-id-not-str"),
    ],
)
def test_unsigned_or_malformed_block_fails(ring: KeyRing, signature: Any) -> None:
    wire = unsigned()
    if signature is not None:
        wire["signature"] = signature
    with pytest.raises(SignatureInvalid):
        ring.verify_envelope(wire)


@pytest.mark.parametrize("key_id", ["../tests", "keys/tests", ".hidden", ""])
def test_malformed_key_id_fails(ring: KeyRing, tmp_path: Path, key_id: str) -> None:
    # Even with a real key file reachable by that path, a key id is a name and never a path.
    wire = unsigned(key_id or "x")
    wire["source"] = key_id
    sig = ring.signer("tests").sign_bytes(canonical_bytes(wire))
    wire["signature"] = {"alg": "Ed25519", "key_id": key_id, "value": sig}
    (tmp_path / "public" / "keys").mkdir(exist_ok=True)
    (tmp_path / "public" / "keys" / "tests.pub").write_bytes((tmp_path / "public" / "tests.pub").read_bytes())
    (tmp_path / "tests.pub").write_bytes((tmp_path / "public" / "tests.pub").read_bytes())  # ../tests from public/
    with pytest.raises(SignatureInvalid):
        ring.verify_envelope(wire)
    with pytest.raises(SignatureInvalid, match="malformed key id"):
        ring.public_key(key_id)


def test_b64_roundtrip() -> None:
    from exchange.signing import unb64

    for raw in (b"", b"a", b"ab", b"abc", bytes(range(64))):
        assert unb64(b64(raw)) == raw
        assert "=" not in b64(raw)
