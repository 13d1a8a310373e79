"""Verification of an electronic licence (证照验真, LIC-02), with one plain reason for every failure.

The checks run in this order and stop at the first failure: well-formed → issuer on the trust list
(可信签发机关) → the proof's key is one of that issuer's keys, in service when it signed → the signature
verifies (else the credential was altered) → inside its validity period → neither revoked nor suspended.
Status needs the issuer's status lists; an offline verifier without them says so instead of guessing, and
the one message of the verdict names what was checked and what was not (a missing list by its address).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from contracts.days import china_date
from credentials.licence import LICENCE_VC_TYPE, VC_CONTEXT
from credentials.proof import ProofError, proof_of, proof_signature_valid
from credentials.status import StatusEntry, StatusList, StatusPurpose, parse_status_entries
from credentials.trust import TrustedIssuer, TrustList

__all__ = ["Reason", "StatusSource", "Verification", "issuer_id_of", "status_list_of", "verify_credential"]

class Reason(StrEnum):
    VALID = "valid"
    MALFORMED = "malformed"
    UNTRUSTED_ISSUER = "untrusted_issuer"
    WRONG_KEY = "wrong_key"
    TAMPERED = "tampered"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    STATUS_UNAVAILABLE = "status_unavailable"


_MESSAGES: dict[Reason, tuple[str, str]] = {
    Reason.VALID: ("证照有效：签名、签发机关、有效期与状态均核验通过", "valid: signature, issuer, validity period and status all check out"),
    Reason.MALFORMED: ("证照格式无效，无法核验", "the licence is malformed and cannot be verified"),
    Reason.UNTRUSTED_ISSUER: ("签发机关不在可信名录中", "the issuer is not on the trust list"),
    Reason.WRONG_KEY: ("签名密钥不属于签发机关（或当时未启用）", "the signing key is not one of the issuer's keys in service"),
    Reason.TAMPERED: ("电子签名验证失败：证照内容已被改动", "the signature does not verify: the licence was altered"),
    Reason.NOT_YET_VALID: ("证照尚未生效", "the licence is not valid yet"),
    Reason.EXPIRED: ("证照已过有效期", "the licence has expired"),
    Reason.REVOKED: ("证照已被签发机关撤销", "the issuer has revoked the licence"),
    Reason.SUSPENDED: ("证照已被签发机关暂停使用", "the issuer has suspended the licence"),
    Reason.STATUS_UNAVAILABLE: ("证照未列明状态列表，不能确认未被撤销", "the licence names no status list: revocation cannot be ruled out"),
}
_STATUS_NOT_CHECKED = ("签名、签发机关与有效期核验通过；未核验撤销与暂停状态（无状态列表）",
                       "signature, issuer and validity period check out; revocation and suspension were not checked "
                       "(no status list)")
_PURPOSE_WORDS = {StatusPurpose.REVOCATION: ("撤销", "revocation", "revoked"),
                  StatusPurpose.SUSPENSION: ("暂停", "suspension", "suspended")}


class StatusSource(Protocol):
    def status_list(self, url: str, issuer: TrustedIssuer, purpose: StatusPurpose) -> StatusList | None:
        """The current bits of the list at ``url``, published by ``issuer``; ``None`` when unavailable."""


@dataclass(frozen=True, slots=True)
class Verification:
    valid: bool
    reason: Reason
    message_zh: str
    message_en: str
    credential_id: str | None = None
    issuer_id: str | None = None
    issuer_name_zh: str | None = None
    recognised: bool = False  # issued in another region and recognised here (互认)
    status_checked: bool = False
    missing_status_lists: tuple[str, ...] = ()  # the status lists that could not be had (STATUS_UNAVAILABLE)

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid, "reason": self.reason.value, "message_zh": self.message_zh,
            "message_en": self.message_en, "credential_id": self.credential_id, "issuer_id": self.issuer_id,
            "issuer_name_zh": self.issuer_name_zh, "recognised": self.recognised,
            "status_checked": self.status_checked, "missing_status_lists": list(self.missing_status_lists),
        }


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a date-time")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("date-times must carry a time zone")
    return moment


def issuer_id_of(document: Any) -> str | None:
    """The credential's issuer id (``issuer`` as a string or as an object with ``id``), if it has one."""
    if not isinstance(document, Mapping):
        return None
    issuer = document.get("issuer")
    value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return value if isinstance(value, str) else None


def _issuer_id(document: Mapping[str, Any]) -> str:
    issuer_id = issuer_id_of(document)
    if issuer_id is None:
        raise ValueError("no issuer")
    return issuer_id


def _verdict(reason: Reason, message: tuple[str, str] | None = None, **context: Any) -> Verification:
    zh, en = message or _MESSAGES[reason]
    return Verification(reason is Reason.VALID, reason, zh, en, **context)


def _status_unavailable(checked: list[StatusPurpose], missing: list[StatusEntry]) -> tuple[str, str]:
    """What was checked (signature, issuer, validity, the lists at hand) and which list could not be had."""
    zh = "签名、签发机关与有效期核验通过" + "".join(f"，未被{_PURPOSE_WORDS[p][0]}" for p in checked)
    en = "signature, issuer and validity period check out" + "".join(f"; not {_PURPOSE_WORDS[p][2]}" for p in checked)
    for entry in missing:
        word_zh, word_en, _ = _PURPOSE_WORDS[entry.purpose]
        zh += f"；{word_zh}状态列表不可用（{entry.list_url}），不能确认未被{word_zh}"
        en += f"; the {word_en} status list {entry.list_url} is unavailable: {word_en} cannot be ruled out"
    return zh, en


def verify_credential(
    document: Any, *, trust: TrustList, now: datetime, status: StatusSource | None
) -> Verification:
    """Verify a licence credential; ``status=None`` skips the status check (offline, said in the result)."""
    try:
        if not isinstance(document, Mapping) or document.get("@context", [None])[0] != VC_CONTEXT:
            raise ValueError("not a VC 2.0 credential")
        types = document.get("type")
        if not isinstance(types, list) or LICENCE_VC_TYPE not in types:
            raise ValueError("not an electronic licence")
        credential_id = document.get("id")
        issuer_id = _issuer_id(document)
        proof = proof_of(document)
        signed_at = _parse_time(proof["created"])
        valid_from = _parse_time(document.get("validFrom"))
        valid_until = _parse_time(document["validUntil"]) if "validUntil" in document else None
        entries = parse_status_entries(document)
    except (ValueError, TypeError, KeyError, IndexError, ProofError):
        return _verdict(Reason.MALFORMED)
    issuer = trust.issuer(issuer_id)
    context: dict[str, Any] = {"credential_id": credential_id, "issuer_id": issuer_id}
    if issuer is None:
        return _verdict(Reason.UNTRUSTED_ISSUER, **context)
    context.update(issuer_name_zh=issuer.name_zh, recognised=not issuer.local)
    key = issuer.key(proof["verificationMethod"])
    if key is None or not key.covers(china_date(signed_at)):
        return _verdict(Reason.WRONG_KEY, **context)
    if not proof_signature_valid(document, proof, key.public_key):
        return _verdict(Reason.TAMPERED, **context)
    if now < valid_from:
        return _verdict(Reason.NOT_YET_VALID, **context)
    if valid_until is not None and now > valid_until:
        return _verdict(Reason.EXPIRED, **context)
    if status is None:
        return _verdict(Reason.VALID, _STATUS_NOT_CHECKED, **context)
    if not entries:
        return _verdict(Reason.STATUS_UNAVAILABLE, **context)
    checked: list[StatusPurpose] = []
    missing: list[StatusEntry] = []
    # Revocation first: a revoked licence that is also suspended is reported as revoked, the final state.
    for entry in sorted(entries, key=lambda e: e.purpose is not StatusPurpose.REVOCATION):
        bits = status.status_list(entry.list_url, issuer, entry.purpose)
        if bits is None:
            missing.append(entry)
        elif bits.is_set(entry.index):
            return _verdict(Reason.REVOKED if entry.purpose is StatusPurpose.REVOCATION else Reason.SUSPENDED,
                            **context, status_checked=True)
        else:
            checked.append(entry.purpose)
    if missing:
        return _verdict(Reason.STATUS_UNAVAILABLE, _status_unavailable(checked, missing), **context,
                        missing_status_lists=tuple(e.list_url for e in missing))
    return _verdict(Reason.VALID, **context, status_checked=True)


def status_list_of(
    document: Any, *, url: str, issuer: TrustedIssuer, purpose: StatusPurpose
) -> StatusList | None:
    """The bits of a fetched status-list credential, if it is the list at ``url`` for ``purpose`` and
    ``issuer`` signed it; ``None`` otherwise (a verifier then reports the status as unavailable)."""
    try:
        if not isinstance(document, Mapping) or document.get("id") != url or _issuer_id(document) != issuer.id:
            return None
        subject = document["credentialSubject"]
        if subject.get("statusPurpose") != purpose.value:
            return None
        proof = proof_of(document)
        key = issuer.key(proof["verificationMethod"])
        if key is None or not proof_signature_valid(document, proof, key.public_key):
            return None
        return StatusList.decode(subject["encodedList"])
    except (ValueError, TypeError, KeyError, AttributeError, ProofError):
        return None
