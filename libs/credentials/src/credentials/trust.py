"""The issuer trust list (可信签发机关名录): whose licences verify here, with which keys.

Local issuers are the departments of this platform's region; other regions' issuers are added by
mutual-recognition agreements (互通互认, LIC-04). The list is plain JSON, published by the licence service
(``GET /trust-list``) and read from a file by offline verifiers:

    {"issuers": [{"id": "urn:onething:issuer:cn-430100:health", "name_zh": "…", "name_en": "…",
                  "region": "430100", "status_list_base": "https://licence.example/status-lists/",
                  "keys": [{"publicKeyMultibase": "z6Mk…", "valid_from": "2026-01-01", "valid_until": null}]}]}

``status_list_base`` is where the issuer publishes its status lists: a verifier fetches a status list only from
under it (never from wherever a credential says), and only once the credential's signature checks out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from credentials.multibase import multikey_decode

__all__ = ["TrustList", "TrustListError", "TrustedIssuer", "TrustedKey", "issuer_id_for"]


class TrustListError(ValueError):
    """A trust list that cannot be read; the message names the file and the entry."""


def issuer_id_for(region: str, department: str) -> str:
    """The stable issuer id of a department of a region (行政区划代码), e.g. ``urn:onething:issuer:cn-430100:health``."""
    return f"urn:onething:issuer:cn-{region}:{department}"


@dataclass(frozen=True, slots=True)
class TrustedKey:
    public_key_multibase: str
    public_key: bytes  # raw Ed25519
    valid_from: date | None = None
    valid_until: date | None = None

    def covers(self, day: date) -> bool:
        """Whether the key was in service on ``day`` (the day its proof was made)."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    id: str
    name_zh: str
    name_en: str
    region: str
    keys: tuple[TrustedKey, ...]
    local: bool = True  # False: recognised from another region (互认)
    # Where the issuer publishes its status lists (a URL prefix): a verifier fetches a list only from under it.
    status_list_base: str | None = None

    def publishes(self, url: str) -> bool:
        """Whether ``url`` is under this issuer's published status-list address (no '..' to climb out)."""
        base = self.status_list_base
        return base is not None and url.startswith(base) and ".." not in url[len(base):] and "#" not in url \
            and "?" not in url and "@" not in url[len(base):]

    def key(self, verification_method: str) -> TrustedKey | None:
        """The issuer's key that ``verification_method`` (``<issuer id>#<Multikey>``) names, if it is one."""
        issuer, _, fragment = verification_method.partition("#")
        if issuer != self.id:
            return None
        return next((key for key in self.keys if key.public_key_multibase == fragment), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name_zh": self.name_zh, "name_en": self.name_en, "region": self.region,
            "local": self.local,
            **({"status_list_base": self.status_list_base} if self.status_list_base else {}),
            "keys": [
                {
                    "publicKeyMultibase": key.public_key_multibase,
                    "valid_from": key.valid_from.isoformat() if key.valid_from else None,
                    "valid_until": key.valid_until.isoformat() if key.valid_until else None,
                }
                for key in self.keys
            ],
        }


def _date(value: Any, where: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise TrustListError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _issuer(entry: Any, where: str, *, local: bool | None) -> TrustedIssuer:
    if not isinstance(entry, Mapping):
        raise TrustListError(f"{where}: an issuer must be an object")
    for name in ("id", "name_zh", "region"):
        if not isinstance(entry.get(name), str) or not entry[name]:
            raise TrustListError(f"{where}: '{name}' is missing")
    raw_keys = entry.get("keys")
    if not isinstance(raw_keys, list) or not raw_keys:
        raise TrustListError(f"{where} ({entry['id']}): at least one key is required")
    keys = []
    for number, raw in enumerate(raw_keys):
        key_where = f"{where} ({entry['id']}) key {number}"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("publicKeyMultibase"), str):
            raise TrustListError(f"{key_where}: 'publicKeyMultibase' is missing")
        try:
            public = multikey_decode(raw["publicKeyMultibase"])
        except ValueError as exc:
            raise TrustListError(f"{key_where}: {exc}") from None
        keys.append(
            TrustedKey(
                raw["publicKeyMultibase"], public,
                _date(raw.get("valid_from"), key_where), _date(raw.get("valid_until"), key_where),
            )
        )
    base = entry.get("status_list_base")
    if base is not None and (not isinstance(base, str) or not base.startswith(("https://", "http://"))
                             or "?" in base or "#" in base):
        raise TrustListError(f"{where} ({entry['id']}): 'status_list_base' must be an http(s) URL prefix")
    return TrustedIssuer(
        id=entry["id"], name_zh=entry["name_zh"], name_en=str(entry.get("name_en") or entry["name_zh"]),
        region=entry["region"], keys=tuple(keys),
        local=bool(entry.get("local", True)) if local is None else local,
        status_list_base=(base if base.endswith("/") else base + "/") if base else None,
    )


@dataclass(frozen=True)
class TrustList:
    """Issuers by id. Immutable; :meth:`with_issuers` makes a larger list."""

    issuers: Mapping[str, TrustedIssuer] = field(default_factory=dict)

    @classmethod
    def of(cls, issuers: Iterable[TrustedIssuer]) -> TrustList:
        return cls({issuer.id: issuer for issuer in issuers})

    def with_issuers(self, issuers: Iterable[TrustedIssuer]) -> TrustList:
        return TrustList({**self.issuers, **{issuer.id: issuer for issuer in issuers}})

    def issuer(self, issuer_id: str) -> TrustedIssuer | None:
        return self.issuers.get(issuer_id)

    def to_json(self) -> dict[str, Any]:
        return {"issuers": [self.issuers[name].to_json() for name in sorted(self.issuers)]}

    @classmethod
    def from_json(cls, data: Any, *, source: str = "trust list", local: bool | None = None) -> TrustList:
        """Parse a published list; ``local`` overrides each entry's flag (``False`` for other regions' lists)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("issuers"), list):
            raise TrustListError(f"{source}: expected an object with an 'issuers' list")
        return cls.of(
            _issuer(entry, f"{source}: issuers[{number}]", local=local) for number, entry in enumerate(data["issuers"])
        )

    @classmethod
    def load(cls, path: Path, *, local: bool | None = None) -> TrustList:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TrustListError(f"{path}: no such trust list") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TrustListError(f"{path}: not JSON ({exc})") from None
        return cls.from_json(data, source=str(path), local=local)
