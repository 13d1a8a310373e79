"""Ed25519 signing of envelopes (电子签名) with per-service and per-department keys.

Keys live in a directory: ``<principal>.key`` (PKCS#8 PEM, private, only on the owner's machine)
and ``<principal>.pub`` (SubjectPublicKeyInfo PEM, the trust list every verifier reads). A
principal is a service name (``intake``) or a department (``dept.police``). An envelope is only
accepted when it is signed by the key of its own ``source``: nobody can speak for someone else.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts.envelope import canonical_bytes
from exchange.errors import SignatureInvalid

__all__ = ["KeyRing", "Signer", "b64", "ensure_keys", "unb64"]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ensure_keys(keys_dir: Path, principals: Iterable[str]) -> None:
    """Create a key pair for every principal that has none yet (idempotent)."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    for principal in principals:
        private_path = keys_dir / f"{principal}.key"
        if private_path.exists():
            continue
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = private_path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(pem)
        tmp.chmod(0o600)
        (keys_dir / f"{principal}.pub").write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        os.replace(tmp, private_path)


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
        self._public: dict[str, Ed25519PublicKey] = {}

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
        cached = self._public.get(principal)
        if cached is not None:
            return cached
        # Principals are names, never paths: refuse anything that could escape the directory.
        if not principal or "/" in principal or principal.startswith("."):
            raise SignatureInvalid(f"malformed key id {principal!r}")
        path = self.keys_dir / f"{principal}.pub"
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except FileNotFoundError:
            raise SignatureInvalid(f"untrusted signer {principal!r}: no public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SignatureInvalid(f"key of {principal!r} is not Ed25519")
        self._public[principal] = key
        return key

    def public_key_bytes(self, principal: str) -> bytes:
        """The raw 32 bytes of a principal's public key (for Multikey publication)."""
        return self.public_key(principal).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def verify_bytes(self, principal: str, data: bytes, signature: str) -> None:
        try:
            self.public_key(principal).verify(unb64(signature), data)
        except (InvalidSignature, ValueError) as exc:
            raise SignatureInvalid(f"signature by {principal!r} does not verify") from exc

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
