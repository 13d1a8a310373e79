"""Events owned by the licence service (电子证照服务), version 1."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import AwareDatetime

from contracts.envelope import EventPayload

__all__ = ["LicenceIssued"]


class LicenceIssued(EventPayload):
    """An electronic licence (电子证照) was issued for an approved item and signed."""

    event_type: ClassVar[str] = "licence.licence.issued"

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
    record_digest: str  # sha256 of the canonical licence record
    record_signature: str  # Ed25519 by the licence service over the record
    signer: str
