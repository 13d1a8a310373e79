"""Ed25519 signing of envelopes (电子签名) with per-service and per-department keys.

A principal is a service name (``intake``), a department (``dept.police``), a seal (``seal.health``), a registry
or the operators. An envelope is only accepted when it is signed by the key of its own ``source``: nobody can
speak for someone else. The keys folder has two halves (最小持有, each process holds only its own keys)::

    keys/public/<principal>.pub                 SubjectPublicKeyInfo PEM: the trust list every verifier reads
    keys/private/<holder>/<principal>.key       PKCS#8 PEM, 0600 in a 0700 folder: only the holder's

A holder is a process (``intake``, ``licence``, ``simulators``…) or a person's tool (``operator``). A process's
:class:`KeyRing` reads private keys from its own folder only, and a deployment mounts only that folder into its
container; ``licence`` holds the seals it affixes for departments, ``gateway`` the keys of the departments it
answers for over HTTP. Keys are made by :func:`ensure_keys` (``onething keys``, the deployment), never by a
service starting up: a new key would be a new identity.

密钥轮换 (rotation): :func:`rotate_key` gives a principal a new key pair and keeps its old public key as
``<principal>.retired-<stamp>.pub``, so what it signed before (envelopes, e-licences) still verifies;
:func:`revoke_key` renames a retired key ``.revoked-<stamp>.pub``, and nothing it signed verifies any more.
A verifier that does not know a new key yet reads the directory again before it refuses a signature.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contracts.envelope import canonical_bytes
from exchange.errors import SignatureInvalid

__all__ = ["PRIVATE", "PUBLIC", "KeyRing", "Signer", "b64", "ensure_holdings", "ensure_keys", "revoke_key", "rotate_key", "unb64"]

PUBLIC = "public"  # the trust list: every principal's public keys, current, retired and revoked
PRIVATE = "private"  # one folder per holder
UNASSIGNED = "unassigned"  # private keys of a folder from before the split, until their holders take them

_REREAD_AFTER_S = 2.0  # at most one re-read of a principal's keys per this many seconds


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ensure_keys(keys_dir: Path, principals: Iterable[str], *, holder: str) -> None:
    """Give ``holder`` a private key for every one of ``principals`` (idempotent).

    A principal with no key anywhere gets a new pair. One that another holder keeps already is copied (the
    deployment grants custody: the gateway answers on the bus for the departments it serves). One whose public
    key is trusted but whose private key is nowhere here is refused: it lives with its owner, and making a new
    one would replace its identity.
    """
    _check_name(holder)
    _adopt_flat_layout(keys_dir)
    own = _private_folder(keys_dir, holder)
    for principal in principals:
        _check_name(principal)
        if (own / f"{principal}.key").exists():
            continue
        held = _held_elsewhere(keys_dir, principal)
        if held is not None:
            _write_private(own / f"{principal}.key", held.read_bytes())
        elif (_public_folder(keys_dir) / f"{principal}.pub").exists():
            raise FileNotFoundError(
                f"{principal!r} is trusted (public key in {_public_folder(keys_dir)}) but no one here holds its private "
                "key: it lives with its owner; a new one would be a new identity (rotate it with `onething keys rotate`)")
        else:
            _new_pair(keys_dir, principal, [own])


def ensure_holdings(keys_dir: Path, holdings: Mapping[str, Iterable[str]]) -> None:
    """The deployment's whole key plan: every holder gets its principals' keys (:func:`ensure_keys`), and a holder
    named here keeps nothing else (custody withdrawn, e.g. a department no longer served by the gateway); keys left
    from a flat folder go once their holders have them."""
    wanted = {holder: set(principals) for holder, principals in holdings.items()}
    for holder, principals in wanted.items():
        ensure_keys(keys_dir, sorted(principals), holder=holder)
    for holder, principals in wanted.items():
        for path in (keys_dir / PRIVATE / holder).glob("*.key"):
            if path.stem not in principals:
                path.unlink()
    unassigned = keys_dir / PRIVATE / UNASSIGNED
    for path in unassigned.glob("*.key"):
        if any(folder != unassigned for folder in _holders(keys_dir, path.stem)):
            path.unlink()
    if unassigned.is_dir() and not any(unassigned.iterdir()):
        unassigned.rmdir()


def _public_folder(keys_dir: Path) -> Path:
    public = keys_dir / PUBLIC
    public.mkdir(parents=True, exist_ok=True)
    return public


def _private_folder(keys_dir: Path, holder: str) -> Path:
    folder = keys_dir / PRIVATE / holder
    for path in (keys_dir, keys_dir / PRIVATE, folder):
        path.mkdir(exist_ok=True, mode=0o700)
        path.chmod(0o700)  # also when made before under another umask
    return folder


def _holders(keys_dir: Path, principal: str) -> list[Path]:
    """Each holder folder that keeps ``principal``'s private key."""
    return sorted(folder for folder in (keys_dir / PRIVATE).glob("*") if (folder / f"{principal}.key").exists())


def _held_elsewhere(keys_dir: Path, principal: str) -> Path | None:
    folders = _holders(keys_dir, principal)
    return folders[0] / f"{principal}.key" if folders else None


def _adopt_flat_layout(keys_dir: Path) -> None:
    """A keys folder from before the split (every key side by side) keeps its identities: public keys move to
    ``public/``, private keys to ``private/unassigned/``, from where :func:`ensure_keys` copies them to their
    holders (no key is made anew)."""
    flat_public = [*keys_dir.glob("*.pub")]
    flat_private = [*keys_dir.glob("*.key")]
    if not flat_public and not flat_private:
        return
    public = _public_folder(keys_dir)
    for path in flat_public:
        os.replace(path, public / path.name)
    unassigned = _private_folder(keys_dir, UNASSIGNED)
    for path in flat_private:
        path.chmod(0o600)
        os.replace(path, unassigned / path.name)


def _write_private(path: Path, pem: bytes) -> None:
    """A private key file that is 0600 from its first byte, put in place atomically."""
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    os.replace(tmp, path)


def _new_pair(keys_dir: Path, principal: str, holders: list[Path]) -> None:
    """A fresh key pair for ``principal``: the public key first, then the private one in each holder's folder."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (_public_folder(keys_dir) / f"{principal}.pub").write_bytes(public)
    for folder in holders:
        _write_private(folder / f"{principal}.key", pem)


def _check_name(principal: str) -> None:
    # Principals are names, never paths: refuse anything that could escape the directory.
    if not principal or "/" in principal or principal.startswith(".") or ".retired-" in principal \
            or ".revoked-" in principal:
        raise SignatureInvalid(f"malformed key id {principal!r}")


def rotate_key(keys_dir: Path, principal: str, *, now: datetime | None = None) -> str:
    """A new key pair for ``principal``, given to every holder of the old one; its old public key stays trusted as
    retired. Returns the old key's stamp (what :func:`revoke_key` takes)."""
    _check_name(principal)
    _adopt_flat_layout(keys_dir)
    public = keys_dir / PUBLIC
    current = public / f"{principal}.pub"
    holders = _holders(keys_dir, principal)
    if not current.exists() or not holders:
        raise FileNotFoundError(f"no key pair for {principal!r} in {keys_dir} (run `onething keys` first)")
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    os.replace(current, public / f"{principal}.retired-{stamp}.pub")
    _new_pair(keys_dir, principal, holders)
    return stamp


def revoke_key(keys_dir: Path, principal: str, stamp: str) -> None:
    """吊销: the retired key of ``principal`` from ``stamp`` verifies nothing any more."""
    _check_name(principal)
    _adopt_flat_layout(keys_dir)
    public = keys_dir / PUBLIC
    retired = public / f"{principal}.retired-{stamp}.pub"
    if not retired.exists():
        known = sorted(p.name for p in public.glob(f"{principal}.retired-*.pub"))
        raise FileNotFoundError(f"no retired key {retired.name} (retired keys of {principal}: {', '.join(known) or 'none'})")
    os.replace(retired, public / f"{principal}.revoked-{stamp}.pub")


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
    """The private keys of one holder and the public keys of everyone trusted.

    ``holder=None`` is the whole deployment's view (an operator's tools and tests on the machine that made the keys):
    a principal's private key is taken from whichever holder keeps it. A process always names itself.
    """

    def __init__(self, keys_dir: Path, *, holder: str | None = None) -> None:
        self.keys_dir = keys_dir
        self.holder = holder
        self._public_dir = keys_dir / PUBLIC
        self._public: dict[str, list[Ed25519PublicKey]] = {}  # principal -> current key, then retired ones
        self._read_at: dict[str, float] = {}  # principal -> when its keys were last read from the folder

    def signer(self, principal: str) -> Signer:
        return Signer(principal, self.private_key(principal))

    def private_key(self, principal: str) -> Ed25519PrivateKey:
        """The principal's private key, for signers of other formats (e-licence seals)."""
        _check_name(principal)
        if self.holder is not None:
            path: Path | None = self.keys_dir / PRIVATE / self.holder / f"{principal}.key"
        else:
            path = _held_elsewhere(self.keys_dir, principal)
        try:
            if path is None:
                raise FileNotFoundError
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError:
            where = self.keys_dir / PRIVATE / (self.holder or "*")
            raise FileNotFoundError(
                f"no private key for {principal!r} in {where} (run `onething keys` to create keys)"
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
        paths = [self._public_dir / f"{principal}.pub",
                 *sorted(self._public_dir.glob(f"{principal}.retired-*.pub"), reverse=True)]
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
