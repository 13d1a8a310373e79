"""Revoke (撤销), suspend (暂停) and reinstate (恢复): the issuing department's signed request changes the
licence's state, records why, and tells the case stream and the holder's archive. Status lists are built
from these states on every request, so a revoked licence fails verification at once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from contracts.licence.v1 import LicenceState, StatusAction
from contracts.licence.v2 import LicenceStatusChanged
from contracts.topics import CASE_STREAM, LICENCE_EVENTS
from credentials.status import LIST_SIZE, StatusList, StatusPurpose
from exchange.db.database import Database
from exchange.request_signing import RequestIdentity
from licence.adapters.tables import LicenceRow, StatusChangeRow
from licence.domain.licences import StatusChangeRefused, may_change_status, next_state

__all__ = ["LicenceNotFound", "NotTheIssuer", "StatusChangeRefused", "change_status", "status_bits"]


class LicenceNotFound(LookupError):
    pass


class NotTheIssuer(PermissionError):
    pass


async def change_status(
    database: Database, licence_id: str, action: StatusAction, *, reason_zh: str, caller: RequestIdentity,
    now: datetime,
) -> LicenceRow:
    """Apply ``action``; :class:`LicenceNotFound`, :class:`NotTheIssuer` or ``StatusChangeRefused`` otherwise."""
    async with database.unit_of_work() as uow:
        row = await uow.get_for_update(LicenceRow, licence_id)
        if row is None:
            raise LicenceNotFound(licence_id)
        if not may_change_status(caller.principal, row.issuer_department):
            raise NotTheIssuer(caller.principal)
        state = next_state(LicenceState(row.state), action)
        row.state, row.state_reason, row.state_changed_at = state.value, reason_zh, now
        uow.session.add(row)
        uow.session.add(StatusChangeRow(licence_id=licence_id, action=action.value, state=state.value,
                                        reason_zh=reason_zh, actor=caller.principal, changed_at=now))
        changed = LicenceStatusChanged(
            licence_id=licence_id, case_id=row.case_id, item_code=row.item_code, licence_type=row.licence_type,
            issuer_department=row.issuer_department, action=action, state=state,
            reason_zh=reason_zh, actor=caller.principal, changed_at=now,
        )
        # One fact, one envelope: on the case stream by case, in the holder's archive by holder.
        uow.emit(changed, subject=row.case_id, topics=[CASE_STREAM, LICENCE_EVENTS],
                 key_by_topic={LICENCE_EVENTS.name: row.holder_id})
    return row


_STATE_OF_PURPOSE = {StatusPurpose.REVOCATION: LicenceState.REVOKED, StatusPurpose.SUSPENSION: LicenceState.SUSPENDED}


async def status_bits(database: Database, department: str, purpose: StatusPurpose, number: int) -> StatusList:
    """The current bits of one of a department's lists: the indices of its licences in that state."""
    low = number * LIST_SIZE
    async with database.sessions() as session:
        indices = (await session.exec(
            select(LicenceRow.status_index).where(
                col(LicenceRow.issuer_department) == department,
                col(LicenceRow.state) == _STATE_OF_PURPOSE[purpose].value,
                col(LicenceRow.status_index) >= low, col(LicenceRow.status_index) < low + LIST_SIZE,
            )
        )).all()
    return StatusList.with_set(index - low for index in indices)


