"""Each process holds only its own private keys (最小持有): ``onething keys`` lays out ``public/`` (the trust list)
and ``private/<holder>/`` per the one plan (``key_holdings``); a process's key ring reads no other holder's keys;
custody follows the configuration; a folder from before the split keeps its identities; nothing is made anew
for a principal whose private key lives with its owner."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.envelope import canonical_bytes
from exchange.signing import KeyRing, ensure_keys
from onething.cli import main
from onething.system import key_holdings


def make_keys(keys: Path, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(["keys", "--dir", str(keys)])
    out = capsys.readouterr()
    assert exited.value.code in (0, None), out.err
    return out.out


def held(keys: Path, holder: str) -> set[str]:
    return {path.stem for path in (keys / "private" / holder).glob("*.key")}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_each_holder_gets_exactly_its_keys_in_a_folder_only_it_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ONETHING_GATEWAY_DEPARTMENTS", raising=False)
    keys = tmp_path / "keys"
    make_keys(keys, capsys)
    plan = key_holdings()
    # …and the key list's signing key, which no process holds (compose mounts it nowhere).
    assert {folder.name for folder in (keys / "private").iterdir()} == {*plan, "key-list"}
    assert held(keys, "key-list") == {"key-list"} and all("key-list" not in p for p in plan.values())
    for holder, principals in plan.items():
        assert held(keys, holder) == set(principals), holder
        folder = keys / "private" / holder
        assert mode(folder) == 0o700 and all(mode(key) == 0o600 for key in folder.iterdir())
    assert mode(keys) == 0o700 and mode(keys / "private") == 0o700
    everyone = {principal for principals in plan.values() for principal in principals}
    assert {path.stem for path in (keys / "public").glob("*.pub")} == {*everyone, "key-list"}
    assert "seal.health" in held(keys, "licence") and "dept.police" in held(keys, "simulators")
    assert held(keys, "intake") == {"intake", "raters"} and "raters" in held(keys, "rating")  # the shared digest key

    intake = KeyRing(keys, holder="intake")
    for foreign in ("dispatch", "dept.police", "seal.health", "identity", "operator"):
        with pytest.raises(FileNotFoundError, match=f"no private key for '{foreign}'"):
            intake.private_key(foreign)
    # …and yet it trusts everyone: it verifies what the others sign.
    police = KeyRing(keys, holder="simulators").signer("dept.police")
    intake.verify_bytes("dept.police", canonical_bytes({"a": 1}), police.sign_bytes(canonical_bytes({"a": 1})))


def test_custody_follows_the_gateway_departments_and_the_identity_stays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys"
    monkeypatch.setenv("ONETHING_GATEWAY_DEPARTMENTS", "police")
    make_keys(keys, capsys)
    assert "dept.police" in held(keys, "gateway") and "dept.police" not in held(keys, "simulators")
    public = (keys / "public" / "dept.police.pub").read_bytes()

    monkeypatch.delenv("ONETHING_GATEWAY_DEPARTMENTS")  # police answers over Kafka again
    make_keys(keys, capsys)
    assert held(keys, "gateway") == {"gateway"} and "dept.police" in held(keys, "simulators")
    assert (keys / "public" / "dept.police.pub").read_bytes() == public, "the same identity, handed over"


def test_a_folder_from_before_the_split_keeps_every_identity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ONETHING_GATEWAY_DEPARTMENTS", raising=False)
    keys = tmp_path / "keys"
    keys.mkdir()
    before: dict[str, bytes] = {}
    for principal in ("intake", "seal.health", "dept.police"):  # the flat layout: <principal>.key and .pub side by side
        key = Ed25519PrivateKey.generate()
        (keys / f"{principal}.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        before[principal] = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        (keys / f"{principal}.pub").write_bytes(before[principal])
    (keys / "intake.retired-20261101T000000000000Z.pub").write_bytes(before["dept.police"])

    make_keys(keys, capsys)
    assert not [*keys.glob("*.key"), *keys.glob("*.pub")] and not (keys / "private" / "unassigned").exists()
    for principal, public in before.items():
        assert (keys / "public" / f"{principal}.pub").read_bytes() == public
    assert (keys / "public" / "intake.retired-20261101T000000000000Z.pub").exists()
    signed = KeyRing(keys, holder="licence").signer("seal.health").sign_bytes(b"x")
    KeyRing(keys).verify_bytes("seal.health", b"x", signed)  # the old seal, now held by the licence service


def test_a_trusted_principal_whose_private_key_lives_elsewhere_is_never_made_anew(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    ensure_keys(keys, ["dept.tax"], holder="gateway")
    public = (keys / "public" / "dept.tax.pub").read_bytes()
    (keys / "private" / "gateway" / "dept.tax.key").unlink()  # the department took its key home
    with pytest.raises(FileNotFoundError, match="lives with its owner"):
        ensure_keys(keys, ["dept.tax"], holder="simulators")
    assert (keys / "public" / "dept.tax.pub").read_bytes() == public
    assert not (keys / "private" / "simulators" / "dept.tax.key").exists()
