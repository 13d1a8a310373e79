"""An electronic licence (电子证照): one aggregate per licence issued, its credential and its status.

A licence is issued once per approved, licence-yielding item (:func:`~licence.domain.licences.licence_id_for`),
with the credential its department sealed; afterwards only its status changes, by its issuing department, for a
reason (:func:`~licence.domain.licences.next_state`). Each is recorded as an event (:class:`LicenceEvent`);
``adapters.messages`` turns them into what goes out, ``adapters.repositories`` keeps the licence and the ledger of
its status changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from contracts.canonical import canonical_json
from contracts.licence.v1 import LicenceState, StatusAction
from exchange.aggregates import Aggregate
from licence.domain.errors import NotTheIssuer
from licence.domain.licences import may_change_status, next_state

__all__ = ["Issued", "Licence", "LicenceEvent", "StatusChanged"]


@dataclass(frozen=True, slots=True)
class Issued:
    """办结即发证: the credential is sealed and the licence exists; the holder's archive gets the credential, the case
    stream that it was issued."""

    credential: dict[str, Any]
    issuer_id: str


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """Revoked (撤销), suspended (暂停) or reinstated (恢复), by whom and why."""

    action: StatusAction
    state: LicenceState
    reason_zh: str
    actor: str
    changed_at: datetime


LicenceEvent = Issued | StatusChanged


@dataclass
class Licence(Aggregate[LicenceEvent]):
    licence_id: str
    case_id: str
    item_code: str
    licence_type: str
    number: str
    holder_id: str
    holder_name: str
    issuer_department: str
    issued_at: datetime
    valid_from: date
    valid_until: date | None  # None: long-term (长期有效)
    credential: str  # canonical JSON, exactly as signed
    record_digest: str  # sha256 of ``credential``
    signer: str  # the proof's verification method
    status_index: int  # its place in the department's status lists
    state: LicenceState = LicenceState.ACTIVE
    state_reason: str | None = None
    state_changed_at: datetime | None = None

    @classmethod
    def issued(cls, *, credential: dict[str, Any], issuer_id: str, licence_id: str, case_id: str, item_code: str,
               licence_type: str, number: str, holder_id: str, holder_name: str, issuer_department: str,
               issued_at: datetime, valid_from: date, valid_until: date | None, signer: str,
               status_index: int) -> Licence:
        """The licence a sealed ``credential`` makes; kept as its canonical JSON, the bytes its proof signs."""
        data = canonical_json(credential)
        licence = cls(licence_id=licence_id, case_id=case_id, item_code=item_code, licence_type=licence_type,
                      number=number, holder_id=holder_id, holder_name=holder_name,
                      issuer_department=issuer_department, issued_at=issued_at, valid_from=valid_from,
                      valid_until=valid_until, credential=data.decode(), record_digest=hashlib.sha256(data).hexdigest(),
                      signer=signer, status_index=status_index)
        licence.record(Issued(credential, issuer_id))
        return licence

    def change_status(self, action: StatusAction, *, reason_zh: str, actor: str, now: datetime) -> None:
        """Only the issuing department changes a licence's status, and only as its present state allows."""
        if not may_change_status(actor, self.issuer_department):
            raise NotTheIssuer(actor)
        state = next_state(self.state, action)
        self.state, self.state_reason, self.state_changed_at = state, reason_zh, now
        self.record(StatusChanged(action, state, reason_zh, actor, now))

    def valid_on(self, day: date) -> bool:
        """Active, and inside its validity period on ``day`` (China time)."""
        return self.state is LicenceState.ACTIVE and (self.valid_until is None or self.valid_until >= day)
