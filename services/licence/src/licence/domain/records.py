"""Licence records (电子证照记录) and their integrity rules. Pure: no I/O, driven directly by unit tests.

* One licence per (case, item): its id is derived from both, so a replay finds the same licence.
* The number is the department's document number (文书编号) when it gave one, else derived from the id.
* The *record* is the licence as signed: exactly the fields of ``LicenceIssued`` other than the
  digest, signature and signer, so anyone holding the event can rebuild the record and check it.
* The signed bytes are the record's canonical JSON: keys sorted, no whitespace, UTF-8, no escaping
  of Chinese; ``record_digest`` is their hex sha256.
* A record is valid when its bytes are canonical, their digest is the one on file and the signer's
  published key verifies the signature over them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import NAMESPACE_URL, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from contracts.days import china_date
from exchange.errors import SignatureInvalid

__all__ = [
    "LicenceRecord",
    "Verdict",
    "canonical_record_bytes",
    "issue_record",
    "licence_id_for",
    "licence_number",
    "record_digest",
    "verify_record",
]


VerifyBytes = Callable[[str, bytes, str], None]
"""``(principal, data, signature)``; raises :class:`SignatureInvalid` unless it verifies."""


class LicenceRecord(BaseModel):
    """The electronic licence as signed (证照数据)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    licence_id: str
    case_id: str
    item_code: str
    licence_type: str
    number: str
    holder_id: str
    holder_name: str
    issuer_department: str
    issued_at: AwareDatetime
    valid_from: date
    valid_until: date | None = None


def licence_id_for(case_id: str, item_code: str) -> str:
    """Deterministic: the same approved item always names the same licence."""
    return str(uuid5(NAMESPACE_URL, f"onething:licence:{case_id}:{item_code}"))


def licence_number(licence_type: str, licence_id: str, document_no: str | None) -> str:
    """证照编号: the department's document number when given, else ``<TYPE>-<12 hex of the id>``."""
    if document_no and document_no.strip():
        return document_no.strip()
    return f"{licence_type.upper()}-{licence_id.replace('-', '')[:12].upper()}"


def issue_record(
    *,
    case_id: str,
    item_code: str,
    licence_type: str,
    holder_id: str,
    holder_name: str,
    issuer_department: str,
    issued_at: datetime,
    document_no: str | None = None,
    valid_until: date | None = None,
) -> LicenceRecord:
    """The record of a licence issued at ``issued_at`` (kept in UTC); valid from that day in China (UTC+8)."""
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    licence_id = licence_id_for(case_id, item_code)
    return LicenceRecord(
        licence_id=licence_id,
        case_id=case_id,
        item_code=item_code,
        licence_type=licence_type,
        number=licence_number(licence_type, licence_id, document_no),
        holder_id=holder_id,
        holder_name=holder_name,
        issuer_department=issuer_department,
        issued_at=issued_at.astimezone(UTC),
        valid_from=china_date(issued_at),
        valid_until=valid_until,
    )


def canonical_record_bytes(record: LicenceRecord) -> bytes:
    """The bytes that are digested and signed."""
    return json.dumps(
        record.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()


def record_digest(data: bytes) -> str:
    """Hex sha256 of canonical record bytes."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Verdict:
    valid: bool
    reason_zh: str
    reason_en: str


def verify_record(
    data: bytes, *, digest: str, signature: str, signer: str, verify_bytes: VerifyBytes
) -> Verdict:
    """Check record bytes against the digest on file and the signer's signature (证照验真)."""
    try:
        record = LicenceRecord.model_validate_json(data)
    except ValidationError:
        return Verdict(False, "证照记录格式无效", "the licence record is malformed")
    if canonical_record_bytes(record) != data:
        return Verdict(
            False, "证照记录不是规范格式，可能被改动", "the licence record is not canonical; it may have been altered"
        )
    if record_digest(data) != digest:
        return Verdict(False, "证照记录摘要不符，记录已被改动", "the record digest does not match: it was altered")
    try:
        verify_bytes(signer, data, signature)
    except SignatureInvalid:
        return Verdict(False, "电子签名验证失败", f"the signature does not verify with the key of {signer!r}")
    return Verdict(True, "证照记录完整，电子签名有效", "the record is intact and its signature is valid")
