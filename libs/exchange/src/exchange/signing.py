"""Ed25519 signing of envelopes (电子签名) with per-service and per-department keys.

A principal is a service name (``intake``), a department (``dept.police``), a seal (``seal.health``), a registry
or the operators. An envelope is only accepted when it is signed by the key of its own ``source``: nobody can
speak for someone else. The keys folder has two halves (最小持有, each process holds only its own keys)::

    keys/public/keys.json                       the signed key list (公钥清单, exchange.key_list): what verifiers trust
    keys/public/<principal>.pub                 SubjectPublicKeyInfo PEM: the material the list is made from
    keys/private/<holder>/<principal>.key       PKCS#8 PEM, 0600 in a 0700 folder: only the holder's

A holder is a process (``intake``, ``licence``, ``simulators``…) or a person's tool (``operator``). A process's
:class:`KeyRing` reads private keys from its own folder only, and a deployment mounts only that folder into its
container; ``licence`` holds the seals it affixes for departments, ``gateway`` the keys of the departments it
answers for over HTTP. Keys are made by :func:`ensure_keys` (``onething keys``, the deployment), never by a
service starting up: a new key would be a new identity.

密钥轮换 (rotation): :func:`rotate_key` gives a principal a new key pair and keeps its old public key as
``<principal>.retired-<stamp>.pub``, so what it signed before still verifies (envelopes through the list's overlap
window, e-licences sealed while it was in service for good); :func:`revoke_key` renames a retired key
``.revoked-<stamp>.pub``, and nothing it signed verifies any more. Each of them re-signs the list
(:func:`publish_key_list`). A verifier that does not know a key yet reads the list again, if it was rewritten,
before it refuses a signature.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from contracts.envelope import canonical_bytes
from exchange.base64url import b64, unb64
from exchange.ed25519 import KeyFormatError, SigningKey, VerifyKey
from exchange.errors import SignatureInvalid
from exchange.key_list import DEFAULT_OVERLAP, KEY_LIST_FILE, KEY_LIST_PRINCIPAL, KeyEntry, KeyList, Status, key_id_of

__all__ = ["PRIVATE", "PUBLIC", "KeyRing", "Signer", "b64", "ensure_holdings", "ensure_keys", "publish_key_list", "revoke_key", "rotate_key", "unb64"]

_STAMP = "%Y%m%dT%H%M%S%fZ"  # when a key was retired, in its file name
PUBLIC = "public"  # every principal's public keys (current, retired, revoked) and the signed key list
PRIVATE = "private"  # one folder per holder
UNASSIGNED = "unassigned"  # private keys of a folder from before the split, until their holders take them


def ensure_keys(keys_dir: Path, principals: Iterable[str], *, holder: str) -> None:
    """Give ``holder`` a private key for every one of ``principals`` (idempotent).

    A principal with no key anywhere gets a new pair. One that another holder keeps already is copied (the
    deployment grants custody: the gateway answers on the bus for the departments it serves). One whose public
    key is trusted but whose private key is nowhere here is refused: it lives with its owner, and making a new
    one would replace its identity.
    """
    publish_key_list(keys_dir, fresh=_give(keys_dir, principals, holder))


def _give(keys_dir: Path, principals: Iterable[str], holder: str) -> set[str]:
    """:func:`ensure_keys` without publishing the list; returns the principals that got a new pair."""
    _check_name(holder)
    _adopt_flat_layout(keys_dir)
    own = _private_folder(keys_dir, holder)
    fresh: set[str] = set()
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
            fresh.add(principal)
    return fresh


def publish_key_list(keys_dir: Path, *, fresh: Iterable[str] = (), now: datetime | None = None,
                     overlap: timedelta | None = None) -> KeyList:
    """Write ``public/keys.json`` anew from the ``.pub`` files, signed by :data:`KEY_LIST_PRINCIPAL` (made on first
    use, in a holder folder of its own). What the previous list said of a key (when it came into service, when it
    was retired or revoked) is kept; a key of ``fresh`` principals comes into service ``now``."""
    now = now or datetime.now(UTC)
    public = _public_folder(keys_dir)
    signer_folder = _private_folder(keys_dir, KEY_LIST_PRINCIPAL)
    if not (signer_folder / f"{KEY_LIST_PRINCIPAL}.key").exists():
        if (public / f"{KEY_LIST_PRINCIPAL}.pub").exists():
            raise FileNotFoundError(f"the key list's signing key is not in {signer_folder}: the list is kept by whoever "
                                    "holds it (a new one would be a new trust anchor)")
        _new_pair(keys_dir, KEY_LIST_PRINCIPAL, [signer_folder])
    anchor = _load_public(public / f"{KEY_LIST_PRINCIPAL}.pub")
    listed = public / KEY_LIST_FILE
    before = KeyList.verified(listed.read_bytes(), anchor) if listed.exists() else None
    known = {e.key_id: e for e in before.entries} if before else {}
    fresh = set(fresh)
    entries = []
    for path in sorted(public.glob("*.pub")):
        principal, status, stamp = _pub_name(path.name)
        raw = _load_public(path).raw
        key_id = key_id_of(principal, raw)
        previous = known.get(key_id)
        valid_from = previous.valid_from if previous else (now if principal in fresh and status == "current" else None)
        if status == "current":
            valid_until = None
        else:
            valid_until = previous.valid_until if previous and previous.valid_until else stamp
        entries.append(KeyEntry(key_id, principal, raw, status, valid_from, valid_until))
    if overlap is None:
        overlap = before.overlap if before else DEFAULT_OVERLAP
    key_list = KeyList(now, overlap, tuple(entries))
    tmp = listed.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(key_list.signed_by(Signer(KEY_LIST_PRINCIPAL, _load_private(signer_folder / f"{KEY_LIST_PRINCIPAL}.key"))))
    os.replace(tmp, listed)
    return key_list


def _pub_name(name: str) -> tuple[str, Status, datetime | None]:
    """``intake.pub`` → current; ``intake.retired-<stamp>.pub`` → retired then (and ``revoked-`` alike)."""
    stem = name.removesuffix(".pub")
    for status in ("retired", "revoked"):
        principal, marker, stamp = stem.partition(f".{status}-")
        if marker:
            return principal, status, datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
    return stem, "current", None


def _file_stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns  # the list is replaced whole (a new inode) each time it is written


def _load_public(path: Path) -> VerifyKey:
    try:
        return VerifyKey.from_pem(path.read_bytes())
    except KeyFormatError as exc:
        raise SignatureInvalid(f"{path.name}: {exc}") from None


def _load_private(path: Path) -> SigningKey:
    try:
        return SigningKey.from_pem(path.read_bytes())
    except KeyFormatError as exc:
        raise ValueError(f"{path}: {exc}") from None


def ensure_holdings(keys_dir: Path, holdings: Mapping[str, Iterable[str]]) -> None:
    """The deployment's whole key plan: every holder gets its principals' keys (:func:`ensure_keys`), and a holder
    named here keeps nothing else (custody withdrawn, e.g. a department no longer served by the gateway); keys left
    from a flat folder go once their holders have them."""
    wanted = {holder: set(principals) for holder, principals in holdings.items()}
    fresh = set().union(*(_give(keys_dir, sorted(principals), holder) for holder, principals in wanted.items()))
    publish_key_list(keys_dir, fresh=fresh)  # once, for the whole plan
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
    key = SigningKey.generate()
    pem = key.to_pem()
    (_public_folder(keys_dir) / f"{principal}.pub").write_bytes(key.public_key.to_pem())
    for folder in holders:
        _write_private(folder / f"{principal}.key", pem)


def _check_name(principal: str) -> None:
    # Principals are names, never paths: refuse anything that could escape the directory.
    if not principal or "/" in principal or principal.startswith(".") or ".retired-" in principal \
            or ".revoked-" in principal:
        raise SignatureInvalid(f"malformed key id {principal!r}")


def rotate_key(keys_dir: Path, principal: str, *, now: datetime | None = None,
               overlap: timedelta | None = None) -> str:
    """A new key pair for ``principal``, given to every holder of the old one; the old key is retired: it signed until
    now, and envelopes it signed are still accepted for ``overlap`` (the key list's, default 7 days). Returns the
    old key's stamp (what :func:`revoke_key` takes)."""
    _check_name(principal)
    _adopt_flat_layout(keys_dir)
    public = keys_dir / PUBLIC
    current = public / f"{principal}.pub"
    holders = _holders(keys_dir, principal)
    if not current.exists() or not holders:
        raise FileNotFoundError(f"no key pair for {principal!r} in {keys_dir} (run `onething keys` first)")
    now = now or datetime.now(UTC)
    stamp = now.strftime(_STAMP)
    os.replace(current, public / f"{principal}.retired-{stamp}.pub")
    _new_pair(keys_dir, principal, holders)
    publish_key_list(keys_dir, fresh=[principal], now=now, overlap=overlap)
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
    publish_key_list(keys_dir)


class Signer:
    """Signs envelopes (as wire dicts) and other records for one principal."""

    def __init__(self, principal: str, key: SigningKey) -> None:
        self.principal = principal
        self._key = key

    def sign_bytes(self, data: bytes) -> str:
        return b64(self._key.sign(data))

    def sign_raw(self, data: bytes) -> bytes:
        """The 64 signature bytes themselves (for formats that encode them their own way, such as RFC 9421)."""
        return self._key.sign(data)

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

    def __init__(self, keys_dir: Path, *, holder: str | None = None, anchor: bytes | None = None) -> None:
        self.keys_dir = keys_dir
        self.holder = holder
        self._anchor = None if anchor is None else VerifyKey(anchor)  # pinned: not the folder's
        self._public_dir = keys_dir / PUBLIC
        self._list: KeyList | None = None
        self._list_file: tuple[int, int] | None = None  # (inode, mtime) of the list as read
        self._public: dict[str, VerifyKey] = {}  # by key id

    def signer(self, principal: str) -> Signer:
        return Signer(principal, self.private_key(principal))

    def private_key(self, principal: str) -> SigningKey:
        """The principal's private key, for signers of other formats (e-licence seals)."""
        _check_name(principal)
        if self.holder is not None:
            path: Path | None = self.keys_dir / PRIVATE / self.holder / f"{principal}.key"
        else:
            path = _held_elsewhere(self.keys_dir, principal)
        try:
            if path is None:
                raise FileNotFoundError
            return _load_private(path)
        except FileNotFoundError:
            where = self.keys_dir / PRIVATE / (self.holder or "*")
            raise FileNotFoundError(
                f"no private key for {principal!r} in {where} (run `onething keys` to create keys)"
            ) from None

    def public_key(self, principal: str) -> VerifyKey:
        """The principal's current public key."""
        return self.public_keys(principal)[0]

    def key_list(self) -> KeyList:
        """The published key list, verified against its anchor (``public/key-list.pub``)."""
        if self._list is None:
            path = self._public_dir / KEY_LIST_FILE
            try:
                self._list_file = _file_stamp(path)
                self._list = KeyList.verified(path.read_bytes(), self.key_list_anchor())
            except FileNotFoundError:
                raise SignatureInvalid(f"no key list in {self._public_dir} (run `onething keys`)") from None
        return self._list

    def _list_changed(self) -> bool:
        """Whether the list was rewritten since it was read (a stat, however many bad signatures arrive)."""
        try:
            return _file_stamp(self._public_dir / KEY_LIST_FILE) != self._list_file
        except FileNotFoundError:
            return False

    def key_list_anchor(self) -> VerifyKey:
        """The key the key list is signed with: the pinned one (``ONETHING_KEY_LIST_ANCHOR``), else
        ``public/key-list.pub``."""
        if self._anchor is not None:
            return self._anchor
        try:
            return _load_public(self._public_dir / f"{KEY_LIST_PRINCIPAL}.pub")
        except FileNotFoundError:
            raise SignatureInvalid(f"no key list in {self._public_dir} (run `onething keys`)") from None

    def published_key_list(self) -> bytes:
        """The signed key list as published, byte for byte (what a department fetches and checks itself)."""
        raw = (self._public_dir / KEY_LIST_FILE).read_bytes()
        KeyList.verified(raw, self.key_list_anchor())  # never hand out a list that does not verify
        return raw

    def key_entries(self, principal: str) -> list[KeyEntry]:
        """The principal's current and retired keys with their periods of service (for the e-licence trust list);
        :class:`SignatureInvalid` if it has no current key."""
        _check_name(principal)
        entries = [e for e in self.key_list().of(principal) if e.status != "revoked"]
        if (not entries or entries[0].status != "current") and self._list_changed():  # a principal added since
            self._list = None
            entries = [e for e in self.key_list().of(principal) if e.status != "revoked"]
        if not entries or entries[0].status != "current":
            raise SignatureInvalid(f"untrusted signer {principal!r}: no public key")
        return entries

    def public_keys(self, principal: str) -> list[VerifyKey]:
        """The keys that verify the principal's envelopes now: its current one, then the retired ones still in
        their overlap window (newest first); never a revoked one."""
        now = datetime.now(UTC)
        overlap = self.key_list().overlap
        return [self._loaded(e) for e in self.key_entries(principal) if e.accepts_at(now, overlap)]

    def _loaded(self, entry: KeyEntry) -> VerifyKey:
        key = self._public.get(entry.key_id)
        if key is None:
            key = self._public[entry.key_id] = VerifyKey(entry.public_key)
        return key

    def public_key_bytes(self, principal: str) -> bytes:
        """The raw 32 bytes of a principal's current public key (for Multikey publication)."""
        return self.key_entries(principal)[0].public_key

    def verify_bytes(self, principal: str, data: bytes, signature: str) -> None:
        """Raise :class:`SignatureInvalid` unless ``signature`` (base64url) is ``principal``'s over ``data``."""
        try:
            raw = unb64(signature)
        except ValueError:
            raw = b""
        self.verify_raw(principal, data, raw)

    def verify_raw(self, principal: str, data: bytes, signature: bytes) -> None:
        """The same for the signature's bytes themselves."""
        refusal = SignatureInvalid(f"signature by {principal!r} does not verify")
        for fresh in (False, True):  # on a miss, read the list again if it was rewritten: a key rotated or added
            if fresh:
                if not self._list_changed():
                    break  # a flood of bad signatures costs a stat each, never a read
                self._list = None
            try:
                keys = self.public_keys(principal)
            except SignatureInvalid as untrusted:
                refusal = untrusted
                continue
            refusal = SignatureInvalid(f"signature by {principal!r} does not verify")
            if not signature:
                break
            if any(key.verifies(signature, data) for key in keys):
                return
        raise refusal

    def verify_envelope(self, wire: dict[str, Any]) -> bytes:
        """Raise :class:`SignatureInvalid` unless ``wire`` is signed by the key of its source; the bytes verified."""
        sig = wire.get("signature")
        if not isinstance(sig, dict):
            raise SignatureInvalid("envelope is not signed")
        key_id, value = sig.get("key_id"), sig.get("value")
        if sig.get("alg") != "Ed25519" or not isinstance(key_id, str) or not isinstance(value, str):
            raise SignatureInvalid("signature block is malformed")
        if key_id != wire.get("source"):
            raise SignatureInvalid(f"signed by {key_id!r} but claims source {wire.get('source')!r}")
        signed = canonical_bytes(wire)
        self.verify_bytes(key_id, signed, value)
        return signed
