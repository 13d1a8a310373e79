"""Revoke (撤销), suspend (暂停) and reinstate (恢复): the issuing department's signed request changes the
licence's state, records why, and tells the case stream and the holder's archive. Status lists are built
from these states on every request, so a revoked licence fails verification at once."""

from __future__ import annotations

from datetime import datetime

from contracts.licence.v1 import LicenceState, StatusAction
from credentials.status import LIST_SIZE, StatusList, StatusPurpose
from exchange.db.database import Database
from licence.adapters import views
from licence.domain.errors import LicenceNotFound
from licence.domain.model import Licence
from licence.service_layer.unit_of_work import LicenceUnitOfWork

__all__ = ["change_status", "status_bits"]


async def change_status(uow: LicenceUnitOfWork, licence_id: str, action: StatusAction, *, reason_zh: str,
                        actor: str, now: datetime) -> Licence:
    """Apply ``action`` for ``actor`` (a principal); ``LicenceNotFound``, ``NotTheIssuer`` or
    ``StatusChangeRefused`` otherwise."""
    licence = await uow.licences.get_for_update(licence_id)
    if licence is None:
        raise LicenceNotFound(licence_id)
    licence.change_status(action, reason_zh=reason_zh, actor=actor, now=now)
    return licence


_STATE_OF_PURPOSE = {StatusPurpose.REVOCATION: LicenceState.REVOKED, StatusPurpose.SUSPENSION: LicenceState.SUSPENDED}


async def status_bits(database: Database, department: str, purpose: StatusPurpose, number: int) -> StatusList:
    """The current bits of one of a department's lists: the indices of its licences in that state."""
    low = number * LIST_SIZE
    indices = await views.status_indices(database, department, _STATE_OF_PURPOSE[purpose].value, low, low + LIST_SIZE)
    return StatusList.with_set(index - low for index in indices)
