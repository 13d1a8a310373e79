"""Revocation (撤销) and suspension (暂停) in the style of the W3C Bitstring Status List v1.0.

Each licence gets one index in its issuer's lists; the same index is used in the revocation list and in
the suspension list. A list holds ``LIST_SIZE`` bits (131,072, the specification's minimum, so one
licence's status cannot be singled out by who fetches which list); bit 0 is the most significant bit of
the first byte. ``encodedList`` is multibase base64url of the GZIP-compressed bits. A list is itself a
credential, signed by its issuer, so a verifier can trust a copy it fetched from anywhere.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from credentials.licence import VC_CONTEXT
from credentials.multibase import b64url_decode, b64url_encode
from credentials.proof import IssuerKey, xsd_datetime

__all__ = [
    "LIST_SIZE",
    "StatusEntry",
    "StatusList",
    "StatusPurpose",
    "parse_status_entries",
    "status_entries",
    "status_list_credential",
    "status_list_id",
]

LIST_SIZE = 131_072


class StatusPurpose(StrEnum):
    REVOCATION = "revocation"  # 撤销: final
    SUSPENSION = "suspension"  # 暂停: may be lifted (恢复)


def status_list_id(base_url: str, issuer_slug: str, purpose: StatusPurpose, number: int) -> str:
    """Where a list is published, e.g. ``<base>/status-lists/health/revocation/0``."""
    return f"{base_url.rstrip('/')}/status-lists/{issuer_slug}/{purpose.value}/{number}"


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """A credential's pointer into one list (``BitstringStatusListEntry``)."""

    purpose: StatusPurpose
    list_url: str
    index: int


def status_entries(base_url: str, issuer_slug: str, index: int) -> list[dict[str, Any]]:
    """The ``credentialStatus`` of a licence with status index ``index``: one revocation and one suspension entry."""
    number, position = divmod(index, LIST_SIZE)
    entries = []
    for purpose in StatusPurpose:
        url = status_list_id(base_url, issuer_slug, purpose, number)
        entries.append({
            "id": f"{url}#{position}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": purpose.value,
            "statusListIndex": str(position),
            "statusListCredential": url,
        })
    return entries


def parse_status_entries(credential: Mapping[str, Any]) -> list[StatusEntry]:
    """The credential's status entries; ``ValueError`` when one is malformed."""
    raw = credential.get("credentialStatus", [])
    items = raw if isinstance(raw, list) else [raw]
    entries = []
    for item in items:
        if not isinstance(item, Mapping) or item.get("type") != "BitstringStatusListEntry":
            raise ValueError("credentialStatus entries must be BitstringStatusListEntry objects")
        try:
            purpose = StatusPurpose(str(item.get("statusPurpose")))
            index = int(item["statusListIndex"])
            url = item["statusListCredential"]
        except (KeyError, TypeError, ValueError):
            raise ValueError("a credentialStatus entry is malformed") from None
        if not isinstance(url, str) or not 0 <= index < LIST_SIZE:
            raise ValueError("a credentialStatus entry is malformed")
        entries.append(StatusEntry(purpose, url, index))
    return entries


class StatusList:
    """The bits of one list."""

    __slots__ = ("bits",)

    def __init__(self, bits: bytes | bytearray | None = None) -> None:
        self.bits = bytearray(bits) if bits is not None else bytearray(LIST_SIZE // 8)
        if len(self.bits) * 8 < LIST_SIZE:
            raise ValueError(f"a status list holds at least {LIST_SIZE} bits")

    @classmethod
    def with_set(cls, indices: Iterable[int]) -> StatusList:
        status = cls()
        for index in indices:
            status.set(index)
        return status

    def set(self, index: int) -> None:
        self.bits[index >> 3] |= 0x80 >> (index & 7)

    def is_set(self, index: int) -> bool:
        return bool(self.bits[index >> 3] & (0x80 >> (index & 7)))

    def encode(self) -> str:
        # mtime=0 keeps the encoding of the same bits the same, so the list's proof is reproducible.
        return b64url_encode(gzip.compress(bytes(self.bits), mtime=0))

    @classmethod
    def decode(cls, encoded: str) -> StatusList:
        try:
            return cls(gzip.decompress(b64url_decode(encoded)))
        except (OSError, EOFError, ValueError) as exc:
            raise ValueError(f"encodedList cannot be decoded: {exc}") from None


def status_list_credential(
    *, url: str, purpose: StatusPurpose, status: StatusList, key: IssuerKey, issued_at: datetime
) -> dict[str, Any]:
    """The signed ``BitstringStatusListCredential`` at ``url``."""
    document = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": key.issuer_id,
        "validFrom": xsd_datetime(issued_at),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose.value,
            "encodedList": status.encode(),
        },
    }
    return key.sign(document, created=issued_at)
