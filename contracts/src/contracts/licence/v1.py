"""Events owned by the licence service (电子证照服务), version 1."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime, Field

from contracts.envelope import EventPayload

__all__ = ["CaseLicenceIssued", "LicenceIssued", "LicenceState", "LicenceStatusChanged", "StatusAction"]


class LicenceIssued(EventPayload):
    """An electronic licence (电子证照) was issued for an approved item, sealed by the issuing department.

    ``credential`` is the W3C Verifiable Credential itself (``eddsa-jcs-2022`` proof by the department's
    seal key); anyone holding the event can verify it with the published trust list. It names the holder, so it
    goes to the holder's archive (``licence.licence.events``, 一人一档) only; the case stream hears of it as
    :class:`CaseLicenceIssued`.
    """

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
    record_digest: str  # sha256 of the credential's canonical JSON (RFC 8785)
    record_signature: str  # the credential's proofValue
    signer: str  # the proof's verification method: <issuer id>#<public key>
    issuer_id: str | None = None  # urn:onething:issuer:cn-<region>:<department>
    status_index: int | None = Field(default=None, ge=0)
    credential: dict[str, Any] | None = None


class CaseLicenceIssued(EventPayload):
    """The case stream's word that an item's e-licence was issued: which licence, by whom, valid when; not whose
    (the holder and the credential stay in the holder's archive)."""

    event_type: ClassVar[str] = "licence.case.licence_issued"

    licence_id: str = Field(description="证照标识 The e-licence's identifier")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    item_code: str = Field(description="事项编码 The approved item the licence was issued for")
    licence_type: str = Field(description="证照类型 The licence type's code")
    number: str = Field(description="证照编号 The licence number: the department's document number when it gave one, else "
                                    "<TYPE>-<12 hex characters of licence_id>")
    issuer_department: str = Field(description="发证部门 The issuing department, whose seal signed the licence")
    issued_at: AwareDatetime = Field(description="签发时间 When the licence was issued (timestamp with offset)")
    valid_from: date = Field(description="有效期起 First day the licence is valid")
    valid_until: date | None = Field(
        default=None, description="有效期止 Last day the licence is valid; None: no end date (长期有效)")
    record_digest: str = Field(description="证照摘要 SHA-256 of the credential's canonical JSON (RFC 8785): ties this "
                                           "fact to the credential in the holder's archive")

    @classmethod
    def of(cls, issued: LicenceIssued) -> CaseLicenceIssued:
        return cls(licence_id=issued.licence_id, case_id=issued.case_id, item_code=issued.item_code,
                   licence_type=issued.licence_type, number=issued.number, issuer_department=issued.issuer_department,
                   issued_at=issued.issued_at, valid_from=issued.valid_from, valid_until=issued.valid_until,
                   record_digest=issued.record_digest)


class LicenceState(StrEnum):
    ACTIVE = "active"  # 有效
    SUSPENDED = "suspended"  # 暂停
    REVOKED = "revoked"  # 撤销 (final)


class StatusAction(StrEnum):
    REVOKE = "revoke"  # 撤销
    SUSPEND = "suspend"  # 暂停
    REINSTATE = "reinstate"  # 恢复 (lifts a suspension)


class LicenceStatusChanged(EventPayload):
    """The issuing department revoked, suspended or reinstated a licence; its status list changed with it.
    Superseded by :class:`contracts.licence.v2.LicenceStatusChanged`, which names no holder (read through the
    upcaster in :mod:`contracts.registry`)."""

    event_type: ClassVar[str] = "licence.licence.status_changed"

    licence_id: str
    case_id: str
    item_code: str
    licence_type: str
    holder_id: str
    issuer_department: str
    action: StatusAction
    state: LicenceState
    reason_zh: str = Field(min_length=1)
    actor: str  # the department principal whose signed request changed it
    changed_at: AwareDatetime
