"""The published key list (公钥清单): every principal's public keys, with key ids and validity periods, signed.

``keys/public/keys.json`` is what every verifier trusts; the ``.pub`` files beside it are the operators' material
(what a department hands over, what ``onething keys`` makes) and are trusted only as far as the list names them.
``onething keys`` (create, rotate, revoke) writes the list and signs it with the key of :data:`KEY_LIST_PRINCIPAL`,
held by no process; its public key ``key-list.pub`` is the anchor a verifier pins (compose mounts ``public/``
read-only; outside the platform, a department pins it once and fetches the list from the gateway's
``GET /key-list``).

An entry:

* ``key_id`` — ``<principal>#<first 16 hex digits of the SHA-256 of the raw key>``; an envelope's signature
  names the principal, and a verifier tries that principal's valid keys;
* ``status`` — ``current`` (one per principal), ``retired`` (rotated: it signed until ``valid_until``) or
  ``revoked`` (it verifies nothing);
* ``valid_from`` / ``valid_until`` — when the key was in service (``valid_from`` null: since before the list).

A retired key still verifies envelopes for the list's ``overlap_s`` after its ``valid_until`` (the overlap
window: envelopes in flight at a rotation), and e-licences it sealed while in service for good (the e-licence
trust list carries the same validity).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from contracts.envelope import canonical_bytes
from exchange.base64url import b64, unb64
from exchange.ed25519 import VerifyKey
from exchange.errors import SignatureInvalid

if TYPE_CHECKING:
    from exchange.signing import Signer

__all__ = ["DEFAULT_OVERLAP", "KEY_LIST_FILE", "KEY_LIST_PRINCIPAL", "KeyEntry", "KeyList", "key_id_of"]

KEY_LIST_FILE = "keys.json"
KEY_LIST_PRINCIPAL = "key-list"  # signs the list; held by `onething keys` alone (its own holder folder)
DEFAULT_OVERLAP = timedelta(days=7)
_TYPE = "onething.key-list"

Status = Literal["current", "retired", "revoked"]


def key_id_of(principal: str, public: bytes) -> str:
    return f"{principal}#{hashlib.sha256(public).hexdigest()[:16]}"


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class KeyEntry:
    key_id: str
    principal: str
    public_key: bytes  # raw Ed25519, 32 bytes
    status: Status
    valid_from: datetime | None
    valid_until: datetime | None

    def accepts_at(self, now: datetime, overlap: timedelta) -> bool:
        """Whether an envelope signed with this key is accepted at ``now``."""
        if self.status == "revoked":
            return False
        return self.status == "current" or self.valid_until is None or now <= self.valid_until + overlap

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "public_key": b64(self.public_key),
                "valid_from": None if self.valid_from is None else self.valid_from.isoformat(),
                "valid_until": None if self.valid_until is None else self.valid_until.isoformat()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> KeyEntry:
        status = raw["status"]
        if status not in ("current", "retired", "revoked"):
            raise ValueError(f"unknown key status {status!r}")
        public = unb64(str(raw["public_key"]))
        entry = cls(str(raw["key_id"]), str(raw["principal"]), public, status,
                    _instant(raw.get("valid_from")), _instant(raw.get("valid_until")))
        if len(public) != 32 or entry.key_id != key_id_of(entry.principal, public):
            raise ValueError(f"entry {entry.key_id!r} does not match its key")
        return entry


@dataclass(frozen=True, slots=True)
class KeyList:
    issued_at: datetime
    overlap: timedelta
    entries: tuple[KeyEntry, ...]
    _by_principal: dict[str, list[KeyEntry]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Sorted once per list, not once per verified envelope (verification is the consumers' hot path).
        order = {"current": 0, "retired": 1, "revoked": 2}
        by_principal: dict[str, list[KeyEntry]] = {}
        for entry in sorted(self.entries, key=lambda e: (order[e.status],
                                                         -(e.valid_until.timestamp() if e.valid_until else 0.0))):
            by_principal.setdefault(entry.principal, []).append(entry)
        object.__setattr__(self, "_by_principal", by_principal)

    def of(self, principal: str) -> list[KeyEntry]:
        """The principal's entries: current first, then retired and revoked, each newest first."""
        return list(self._by_principal.get(principal, ()))

    def unsigned(self) -> dict[str, Any]:
        return {"type": _TYPE, "version": 1, "issued_at": self.issued_at.isoformat(),
                "overlap_s": int(self.overlap.total_seconds()), "keys": [e.to_json() for e in self.entries]}

    def signed_by(self, signer: Signer) -> bytes:
        """The document as published, signed by :data:`KEY_LIST_PRINCIPAL`."""
        document = self.unsigned()
        document["signature"] = {"alg": "Ed25519", "key_id": signer.principal,
                                 "value": signer.sign_bytes(canonical_bytes(document))}
        return json.dumps(document, ensure_ascii=False, indent=1).encode()

    @classmethod
    def verified(cls, raw: bytes, anchor: VerifyKey) -> KeyList:
        """The list in ``raw``, if the anchor signed it (:class:`SignatureInvalid` otherwise)."""
        try:
            document = json.loads(raw)
            signature = document.pop("signature")
            if document.get("type") != _TYPE or signature.get("key_id") != KEY_LIST_PRINCIPAL:
                raise ValueError("not a key list")
            if not anchor.verifies(unb64(str(signature["value"])), canonical_bytes(document)):
                raise SignatureInvalid("the key list's signature does not verify (公钥清单签名无效)")
            return cls(datetime.fromisoformat(document["issued_at"]), timedelta(seconds=int(document["overlap_s"])),
                       tuple(KeyEntry.from_json(e) for e in document["keys"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SignatureInvalid(f"the key list is malformed: {exc}") from None
