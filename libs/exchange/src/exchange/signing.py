"""Ed25519 signing of envelopes (电子签名) with per-service and per-department keys.

Keys live in a directory: ``<principal>.key`` (PKCS#8 PEM, private, only on the owner's machine)
and ``<principal>.pub`` (SubjectPublicKeyInfo PEM, the trust list every verifier reads). A
principal is a service name (``intake``) or a department (``dept.police``). An envelope is only
accepted when it is signed by the key of its own ``source``: nobody can speak for someone else.

密钥轮换 (rotation): :func:`rotate_key` gives a principal a new key pair and keeps its old public key as
``<principal>.retired-<stamp>.pub``, so what it signed before (envelopes, e-licences) still verifies;
:func:`revoke_key` renames a retired key ``.revoked-<stamp>.pub``, and nothing it signed verifies any more.
A verifier that does not know a new key yet reads the directory again before it refuses a signature.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts.envelope import canonical_bytes
from exchange.errors import SignatureInvalid

__all__ = ["KeyRing", "Signer", "b64", "ensure_keys", "revoke_key", "rotate_key", "unb64"]

_REREAD_AFTER_S = 2.0  # at most one re-read of a principal's keys per this many seconds


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ensure_keys(keys_dir: Path, principals: Iterable[str]) -> None:
    """Create a key pair for every principal that has none yet (idempotent)."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    for principal in principals:
        if not (keys_dir / f"{principal}.key").exists():
            _new_pair(keys_dir, principal)


def _new_pair(keys_dir: Path, principal: str) -> None:
    """A fresh key pair for ``principal``: the public key first, then the private one in place atomically."""
    _check_name(principal)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    private_path = keys_dir / f"{principal}.key"
    tmp = private_path.with_suffix(f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (keys_dir / f"{principal}.pub").write_bytes(public)
    os.replace(tmp, private_path)


def _check_name(principal: str) -> None:
    # Principals are names, never paths: refuse anything that could escape the directory.
    if not principal or "/" in principal or principal.startswith(".") or ".retired-" in principal \
            or ".revoked-" in principal:
        raise SignatureInvalid(f"malformed key id {principal!r}")


def rotate_key(keys_dir: Path, principal: str, *, now: datetime | None = None) -> str:
    """A new key pair for ``principal``; its old public key stays trusted as retired. Returns the old key's stamp
    (what :func:`revoke_key` takes)."""
    _check_name(principal)
    current = keys_dir / f"{principal}.pub"
    if not current.exists() or not (keys_dir / f"{principal}.key").exists():
        raise FileNotFoundError(f"no key pair for {principal!r} in {keys_dir} (run `onething keys` first)")
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    os.replace(current, keys_dir / f"{principal}.retired-{stamp}.pub")
    _new_pair(keys_dir, principal)
    return stamp


def revoke_key(keys_dir: Path, principal: str, stamp: str) -> None:
    """吊销: the retired key of ``principal`` from ``stamp`` verifies nothing any more."""
    _check_name(principal)
    retired = keys_dir / f"{principal}.retired-{stamp}.pub"
    if not retired.exists():
        known = sorted(p.name for p in keys_dir.glob(f"{principal}.retired-*.pub"))
        raise FileNotFoundError(f"no retired key {retired.name} (retired keys of {principal}: {', '.join(known) or 'none'})")
    os.replace(retired, keys_dir / f"{principal}.revoked-{stamp}.pub")


class Signer:
    """Signs envelopes (as wire dicts) and other records for one principal."""

    def __init__(self, principal: str, key: Ed25519PrivateKey) -> None:
        self.principal = principal
        self._key = key

    def sign_bytes(self, data: bytes) -> str:
        return b64(self._key.sign(data))

    def sign_envelope(self, wire: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``wire`` with its signature; ``wire['source']`` must be this principal."""
        if wire.get("source") != self.principal:
            raise ValueError(f"{self.principal} cannot sign for source {wire.get('source')!r}")
        signed = dict(wire)
        signed["signature"] = {
            "alg": "Ed25519",
            "key_id": self.principal,
            "value": self.sign_bytes(canonical_bytes(wire)),
        }
        return signed


class KeyRing:
    """Private key of the local principal(s) and the public keys of everyone trusted."""

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir
        self._public: dict[str, list[Ed25519PublicKey]] = {}  # principal -> current key, then retired ones
        self._read_at: dict[str, float] = {}  # principal -> when its keys were last read from the folder

    def signer(self, principal: str) -> Signer:
        return Signer(principal, self.private_key(principal))

    def private_key(self, principal: str) -> Ed25519PrivateKey:
        """The principal's private key, for signers of other formats (e-licence seals)."""
        path = self.keys_dir / f"{principal}.key"
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no private key for {principal!r} at {path} (run `onething keys` to create keys)"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key")
        return key

    def public_key(self, principal: str) -> Ed25519PublicKey:
        """The principal's current public key."""
        return self.public_keys(principal)[0]

    def public_keys(self, principal: str) -> list[Ed25519PublicKey]:
        """The principal's current public key, then its retired ones (newest first); never a revoked one."""
        cached = self._public.get(principal)
        if cached is not None:
            return cached
        _check_name(principal)
        paths = [self.keys_dir / f"{principal}.pub",
                 *sorted(self.keys_dir.glob(f"{principal}.retired-*.pub"), reverse=True)]
        keys = []
        for path in paths:
            try:
                key = serialization.load_pem_public_key(path.read_bytes())
            except FileNotFoundError:
                if path == paths[0]:
                    raise SignatureInvalid(f"untrusted signer {principal!r}: no public key") from None
                continue  # revoked meanwhile
            if not isinstance(key, Ed25519PublicKey):
                raise SignatureInvalid(f"key of {principal!r} is not Ed25519")
            keys.append(key)
        self._public[principal] = keys
        self._read_at[principal] = time.monotonic()
        return keys

    def public_key_bytes(self, principal: str) -> bytes:
        """The raw 32 bytes of a principal's current public key (for Multikey publication)."""
        return self.public_keys_bytes(principal)[0]

    def public_keys_bytes(self, principal: str) -> list[bytes]:
        """The raw bytes of each of the principal's trusted public keys: current first, then retired."""
        return [k.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                for k in self.public_keys(principal)]

    def verify_bytes(self, principal: str, data: bytes, signature: str) -> None:
        for fresh in (False, True):  # on a miss, read the directory again: the key may have been rotated
            if fresh:
                if time.monotonic() - self._read_at.get(principal, 0.0) < _REREAD_AFTER_S:
                    break  # read moments ago: a flood of bad signatures does not become a flood of reads
                self._public.pop(principal, None)
            for key in self.public_keys(principal):
                try:
                    key.verify(unb64(signature), data)
                    return
                except (InvalidSignature, ValueError):
                    continue
        raise SignatureInvalid(f"signature by {principal!r} does not verify")

    def verify_envelope(self, wire: dict[str, Any]) -> None:
        """Raise :class:`SignatureInvalid` unless ``wire`` is signed by the key of its source."""
        sig = wire.get("signature")
        if not isinstance(sig, dict):
            raise SignatureInvalid("envelope is not signed")
        key_id, value = sig.get("key_id"), sig.get("value")
        if sig.get("alg") != "Ed25519" or not isinstance(key_id, str) or not isinstance(value, str):
            raise SignatureInvalid("signature block is malformed")
        if key_id != wire.get("source"):
            raise SignatureInvalid(f"signed by {key_id!r} but claims source {wire.get('source')!r}")
        self.verify_bytes(key_id, canonical_bytes(wire), value)
