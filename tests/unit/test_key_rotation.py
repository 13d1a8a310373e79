"""密钥轮换与吊销: a rotated key's old signatures (envelopes, e-licences) still verify, a revoked key's do not,
and a verifier that cached the old key learns the new one without a restart."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from contracts.departments import seal_principal
from contracts.envelope import Envelope
from contracts.examples import example
from contracts.intake.v1 import CaseDelivered
from credentials.licence import LicenceClaims, licence_credential
from credentials.platform import local_trust_list
from credentials.proof import IssuerKey
from credentials.status import status_entries
from credentials.trust import issuer_id_for
from credentials.verify import verify_credential
from exchange.errors import SignatureInvalid
from exchange.key_list import KeyList
from exchange.signing import KeyRing, revoke_key, rotate_key
from onething.cli import main


@pytest.fixture
def keys(tmp_path: Path, keys_dir: Path) -> Path:
    own = tmp_path / "keys"
    shutil.copytree(keys_dir, own)
    return own


def signed_delivery(keys: Path) -> dict[str, Any]:
    wire = Envelope.wrap(example(CaseDelivered), source="intake", subject="C-1").to_wire()
    return KeyRing(keys).signer("intake").sign_envelope(wire)


def test_old_signatures_verify_after_a_rotation_and_not_after_a_revocation(
        keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = signed_delivery(keys)
    cached = KeyRing(keys)
    cached.verify_envelope(before)  # caches the key list of the time
    reads: list[bytes] = []
    real_verified = KeyList.verified

    def counted(raw: bytes, anchor: Ed25519PublicKey) -> KeyList:
        reads.append(raw)
        return real_verified(raw, anchor)

    monkeypatch.setattr(KeyList, "verified", counted)
    forged = {**before, "subject": "C-2"}
    for _ in range(50):  # a flood of bad signatures: never a read of an unchanged list
        with pytest.raises(SignatureInvalid):
            cached.verify_envelope(forged)
    assert reads == []
    stamp = rotate_key(keys, "intake")
    after = signed_delivery(keys)
    assert before["signature"]["value"] != after["signature"]["value"]
    for ring in (KeyRing(keys), cached):  # a fresh verifier, and one that knew only the old key (it reads once)
        ring.verify_envelope(before)
        ring.verify_envelope(after)
    revoke_key(keys, "intake", stamp)
    fresh = KeyRing(keys)
    fresh.verify_envelope(after)
    with pytest.raises(SignatureInvalid):
        fresh.verify_envelope(before)
    with pytest.raises(FileNotFoundError, match="retired keys of intake: none"):
        revoke_key(keys, "intake", stamp)  # already revoked


def test_a_licence_sealed_before_a_rotation_stays_verifiable_until_the_old_seal_is_revoked(keys: Path) -> None:
    now = datetime.now(UTC)
    seal = IssuerKey(issuer_id_for("430100", "health"), KeyRing(keys).private_key(seal_principal("health")))
    claims = LicenceClaims(licence_id="L-1", licence_type="birth-medical-certificate", licence_name_zh="出生医学证明",
                           number="Q1", holder_id="430102202611210011", holder_name="张小明", case_id="C-1",
                           item_code="P-01-01", valid_from=now - timedelta(hours=1))
    credential = licence_credential(claims, key=seal, issuer_name_zh="长沙市卫生健康委员会",
                                    credential_status=status_entries("https://l.example", "health", 1), issued_at=now)

    def verified() -> bool:
        trust = local_trust_list(KeyRing(keys), region="430100", region_name_zh="长沙市")
        return verify_credential(credential, trust=trust, now=now, status=None).valid

    assert verified()
    stamp = rotate_key(keys, seal_principal("health"))
    assert verified(), "the old seal is still listed, as retired"
    revoke_key(keys, seal_principal("health"), stamp)
    assert not verified()


def test_the_command_rotates_and_revokes_and_says_how(keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def run(*argv: str) -> tuple[int, str]:
        with pytest.raises(SystemExit) as exited:
            main(["keys", *argv, "--dir", str(keys)])
        out = capsys.readouterr()
        return int(exited.value.code or 0), out.out + out.err

    code, out = run("rotate", "dept.police")
    assert code == 0 and "onething keys revoke dept.police" in out, out
    stamp = out.split("onething keys revoke dept.police ")[1].split("`")[0]
    assert (keys / "public" / f"dept.police.retired-{stamp}.pub").exists()
    assert run("revoke", "dept.police", stamp)[0] == 0
    assert (keys / "public" / f"dept.police.revoked-{stamp}.pub").exists()
    assert run("revoke", "dept.police")[0] == 2  # no stamp: usage
    code, out = run("rotate", "../etc")
    assert code == 1 and "malformed key id" in out
    code, out = run("rotate", "nobody")
    assert code == 1 and "onething keys" in out
