"""密钥轮换与吊销 and the published key list (公钥清单): a rotated key's old signatures (envelopes, e-licences) still
verify, a revoked key's do not, and a verifier that cached the old key learns the new one without a restart;
verifiers trust the signed ``public/keys.json`` and nothing else; each key has an id and a period of service; a
retired key verifies envelopes only within the overlap window, and e-licences only if sealed while in service."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts.departments import seal_principal
from contracts.envelope import Envelope
from contracts.examples import example
from contracts.intake.v1 import CaseDelivered
from credentials.licence import LicenceClaims, licence_credential
from credentials.platform import local_trust_list
from credentials.proof import IssuerKey
from credentials.status import status_entries
from credentials.trust import issuer_id_for
from credentials.verify import Reason, verify_credential
from exchange.base64url import b64
from exchange.ed25519 import SigningKey, VerifyKey
from exchange.errors import SignatureInvalid
from exchange.key_list import KEY_LIST_FILE, KeyList, key_id_of
from exchange.signing import KeyRing, Signer, ensure_keys, revoke_key, rotate_key
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

    def counted(raw: bytes, anchor: VerifyKey) -> KeyList:
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


# --- the published key list (公钥清单) ---------------------------------------------------------------


def listed(keys: Path) -> dict[str, Any]:
    return dict(json.loads((keys / "public" / KEY_LIST_FILE).read_text()))


def test_every_key_is_listed_with_its_id_and_the_list_is_signed(keys: Path) -> None:
    document = listed(keys)
    assert document["type"] == "onething.key-list" and document["signature"]["key_id"] == "key-list"
    entry = next(e for e in document["keys"] if e["principal"] == "intake")
    raw = KeyRing(keys).public_key_bytes("intake")
    assert entry["key_id"] == key_id_of("intake", raw) and entry["status"] == "current" and entry["valid_until"] is None
    assert entry["key_id"].startswith("intake#") and len(entry["key_id"]) == len("intake#") + 16


def test_a_tampered_list_or_a_key_slipped_into_the_folder_is_not_trusted(keys: Path) -> None:
    signed = signed_delivery(keys)
    KeyRing(keys).verify_envelope(signed)

    impostor = SigningKey.generate()  # someone who can write the public folder swaps intake's key
    (keys / "public" / "intake.pub").write_bytes(impostor.public_key.to_pem())
    forged = Signer("intake", impostor).sign_envelope(
        Envelope.wrap(example(CaseDelivered), source="intake", subject="C-1").to_wire())
    with pytest.raises(SignatureInvalid):
        KeyRing(keys).verify_envelope(forged)  # the list still names the real key
    KeyRing(keys).verify_envelope(signed)

    document = listed(keys)  # …and edits the list to name the impostor's key
    raw = impostor.public_key.raw
    for entry in document["keys"]:
        if entry["principal"] == "intake":
            entry.update(public_key=b64(raw), key_id=key_id_of("intake", raw))
    (keys / "public" / KEY_LIST_FILE).write_text(json.dumps(document))
    with pytest.raises(SignatureInvalid, match="key list"):
        KeyRing(keys).verify_envelope(forged)


def test_a_retired_key_verifies_envelopes_within_the_overlap_window_only(keys: Path) -> None:
    before = signed_delivery(keys)
    rotate_key(keys, "intake")  # the default window: seven days
    old = next(e for e in listed(keys)["keys"] if e["principal"] == "intake" and e["status"] == "retired")
    assert old["valid_until"] is not None and listed(keys)["overlap_s"] == 7 * 24 * 3600
    KeyRing(keys).verify_envelope(before)

    rotate_key(keys, "intake", overlap=timedelta(0))  # no window: a key retired now verifies nothing from now on
    with pytest.raises(SignatureInvalid):
        KeyRing(keys).verify_envelope(before)
    KeyRing(keys).verify_envelope(signed_delivery(keys))  # the new key


def test_a_retired_seal_verifies_licences_it_sealed_in_service_and_no_later_one(keys: Path) -> None:
    now = datetime.now(UTC)
    old_seal = IssuerKey(issuer_id_for("430100", "health"), KeyRing(keys).private_key(seal_principal("health")))

    def sealed_at(when: datetime) -> dict[str, Any]:
        claims = LicenceClaims(licence_id="L-1", licence_type="birth-medical-certificate", licence_name_zh="出生医学证明",
                               number="Q1", holder_id="430102202611210011", holder_name="张小明", case_id="C-1",
                               item_code="P-01-01", valid_from=when - timedelta(hours=1))
        return licence_credential(claims, key=old_seal, issuer_name_zh="长沙市卫生健康委员会",
                                  credential_status=status_entries("https://l.example", "health", 1), issued_at=when)

    in_service, after_retirement = sealed_at(now), sealed_at(now + timedelta(days=2))
    rotate_key(keys, seal_principal("health"), now=now)
    trust = local_trust_list(KeyRing(keys), region="430100", region_name_zh="长沙市")
    later = now + timedelta(days=3)
    assert verify_credential(in_service, trust=trust, now=later, status=None).valid
    assert verify_credential(after_retirement, trust=trust, now=later, status=None).reason is Reason.WRONG_KEY


def test_a_principal_added_after_the_list_was_read_is_known_at_once(keys: Path) -> None:
    ring = KeyRing(keys)
    ring.public_key("intake")  # the list as it was
    ensure_keys(keys, ["ops.bob"], holder="operator")
    assert ring.public_key_bytes("ops.bob") == KeyRing(keys).public_key_bytes("ops.bob")


def test_a_pinned_anchor_refuses_a_list_signed_by_anyone_else(keys: Path, tmp_path: Path) -> None:
    """ONETHING_KEY_LIST_ANCHOR: someone who can write the public folder replaces the anchor and the list with their
    own; a verifier with the anchor pinned refuses it, one reading the folder's anchor would not."""
    pinned = KeyRing(keys).key_list_anchor().raw
    signed = signed_delivery(keys)
    KeyRing(keys, anchor=pinned).verify_envelope(signed)

    forged = tmp_path / "forged"  # a whole keys folder of the forger's, list and anchor included
    ensure_keys(forged, ["intake"], holder="forger")
    for name in (KEY_LIST_FILE, "key-list.pub"):
        (keys / "public" / name).write_bytes((forged / "public" / name).read_bytes())
    impostor = Signer("intake", KeyRing(forged).private_key("intake")).sign_envelope(
        Envelope.wrap(example(CaseDelivered), source="intake", subject="C-1").to_wire())
    KeyRing(keys).verify_envelope(impostor)  # the folder's anchor: fooled
    with pytest.raises(SignatureInvalid, match="key list"):
        KeyRing(keys, anchor=pinned).verify_envelope(impostor)
