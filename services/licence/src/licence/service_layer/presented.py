"""A licence as somebody presents it (出示的证照): the text of its QR code (``OT1:…``), its credential (JSON) or
its printable PDF, verified with live status (:class:`~licence.service_layer.verification.Verifier`), and its
particulars for a person to read: what it is, its number, whose it is (masked), who issued it, its validity
and its present state in words.

The particulars are read from the credential only when its issuer's signature holds (so they are what the
issuer signed): for a tampered, malformed or unknown issuer's credential there are none to show. Nothing is
stored or looked up by what was presented: the answer comes from the document and the status lists alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from contracts.days import china_date
from contracts.licence_types import licence_type
from credentials.carriers import CarrierError, credential_from_pdf, credential_from_text
from credentials.verify import Reason, Verification
from exchange.messages import Text
from licence.domain.licences import masked_holder_id, masked_holder_name
from licence.domain.messages import MESSAGES
from licence.service_layer.verification import Verifier

__all__ = ["Particulars", "PresentedCheck", "check_presented", "read_presented"]

# The verdicts reached after the signature held: the credential's content is the issuer's.
_SIGNED_AS_ISSUED = {Reason.VALID, Reason.NOT_YET_VALID, Reason.EXPIRED, Reason.REVOKED, Reason.SUSPENDED,
                     Reason.STATUS_UNAVAILABLE}


@dataclass(frozen=True, slots=True)
class Particulars:
    licence_type: str
    name_zh: str
    name_en: str
    number: str
    holder_name_masked: str
    holder_id_masked: str
    issuer_name_zh: str | None
    valid_from: date
    valid_until: date | None  # None: long-term (长期有效)
    state: str  # active, suspended, revoked, expired, not_yet_valid, unknown
    state_zh: str
    state_en: str


@dataclass(frozen=True, slots=True)
class PresentedCheck:
    verification: Verification
    particulars: Particulars | None


def read_presented(data: bytes) -> dict[str, Any]:
    """The credential in what was presented: a PDF's embedded credential, or a QR payload or JSON as UTF-8 text;
    :class:`CarrierError` saying why when there is none."""
    if data.lstrip().startswith(b"%PDF"):
        return credential_from_pdf(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CarrierError("neither a PDF nor UTF-8 text") from None
    if not text.strip():
        raise CarrierError("nothing was given")
    return credential_from_text(text)


def _state(verdict: Verification) -> tuple[str, Text]:
    """The licence's present state in words, as the verdict found it."""
    match verdict.reason:
        case Reason.VALID if verdict.status_checked:
            key = "active"
        case Reason.REVOKED | Reason.SUSPENDED | Reason.EXPIRED | Reason.NOT_YET_VALID:
            key = verdict.reason.value
        case _:
            key = "unknown"  # status not checked, or a list could not be had
    return key, MESSAGES.text(f"state_{key}")


def _day(value: Any) -> date | None:
    return china_date(datetime.fromisoformat(value)) if isinstance(value, str) else None


def _particulars(document: dict[str, Any], verdict: Verification) -> Particulars | None:
    if verdict.reason not in _SIGNED_AS_ISSUED:
        return None
    subject = document.get("credentialSubject")
    valid_from = _day(document.get("validFrom"))
    if not isinstance(subject, dict) or valid_from is None:
        return None
    code = str(subject.get("licenceType", ""))
    try:
        kind = licence_type(code)
        name_zh, name_en = kind.name_zh, kind.name_en
    except KeyError:  # another region's type: its own name, in Chinese
        name_zh = name_en = str(subject.get("licenceName") or document.get("name") or code)
    state, words = _state(verdict)
    return Particulars(
        licence_type=code, name_zh=name_zh, name_en=name_en, number=str(subject.get("number", "")),
        holder_name_masked=masked_holder_name(str(subject.get("holderName", "")), str(subject.get("holderId", ""))),
        holder_id_masked=masked_holder_id(str(subject.get("holderId", ""))),
        issuer_name_zh=verdict.issuer_name_zh, valid_from=valid_from, valid_until=_day(document.get("validUntil")),
        state=state, state_zh=words.zh, state_en=words.en,
    )


async def check_presented(verifier: Verifier, data: bytes, *, now: datetime) -> PresentedCheck:
    """Verify what was presented; :class:`CarrierError` when it carries no credential."""
    document = read_presented(data)
    verdict = await verifier.verify(document, now=now)
    return PresentedCheck(verdict, _particulars(document, verdict))
