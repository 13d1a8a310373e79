"""Licence's repositories (仓储): licences (with the ledger of their status changes) and each department's status
list counter. The only SQL of the licence service's write side; rows never leave this module."""

from __future__ import annotations

from sqlmodel import col, select

from contracts.licence.v1 import LicenceState
from exchange.db.identity import Loaded
from exchange.db.unit_of_work import UnitOfWork
from licence.adapters.tables import LicenceRow, StatusChangeRow, StatusCounterRow
from licence.domain.model import Licence, StatusChanged

__all__ = ["SqlLicences", "SqlStatusIndexes"]


class SqlLicences:
    """Licences, one transaction's worth."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._loaded: Loaded[Licence, LicenceRow] = Loaded()

    async def exists(self, licence_id: str) -> bool:
        return licence_id in self._loaded or await self._uow.session.get(LicenceRow, licence_id) is not None

    async def get_for_update(self, licence_id: str) -> Licence | None:
        """The licence, locked: two status changes of one licence take turns."""
        return await self._loaded.get_or_load(licence_id, lambda: self._uow.get_for_update(LicenceRow, licence_id),
                                              _licence)

    async def active_held_by(self, holder_id: str) -> list[Licence]:
        """The holder's active licences, oldest first (read only: not written back)."""
        rows = (await self._uow.session.exec(
            select(LicenceRow)
            .where(col(LicenceRow.holder_id) == holder_id, col(LicenceRow.state) == LicenceState.ACTIVE.value)
            .order_by(col(LicenceRow.issued_at), col(LicenceRow.licence_id)))).all()
        return [_licence(row) for row in rows]

    def add(self, licence: Licence) -> None:
        row = LicenceRow(licence_id=licence.licence_id, case_id=licence.case_id, item_code=licence.item_code,
                         licence_type=licence.licence_type, number=licence.number, holder_id=licence.holder_id,
                         holder_name=licence.holder_name, issuer_department=licence.issuer_department,
                         issued_at=licence.issued_at, valid_from=licence.valid_from, valid_until=licence.valid_until,
                         credential=licence.credential, record_digest=licence.record_digest, signer=licence.signer,
                         status_index=licence.status_index)
        self._loaded.keep(licence.licence_id, licence, row)

    @property
    def seen(self) -> list[Licence]:
        return self._loaded.aggregates

    def save(self) -> None:
        """Write every licence back, and each status change it recorded to the ledger (证照状态变更记录)."""
        for licence, row in self._loaded:
            row.state, row.state_reason, row.state_changed_at = (
                licence.state.value, licence.state_reason, licence.state_changed_at)
            self._uow.session.add(row)
            for event in licence.recorded:
                if isinstance(event, StatusChanged):
                    self._uow.session.add(StatusChangeRow(
                        licence_id=licence.licence_id, action=event.action.value, state=event.state.value,
                        reason_zh=event.reason_zh, actor=event.actor, changed_at=event.changed_at))


def _licence(row: LicenceRow) -> Licence:
    return Licence(
        licence_id=row.licence_id, case_id=row.case_id, item_code=row.item_code, licence_type=row.licence_type,
        number=row.number, holder_id=row.holder_id, holder_name=row.holder_name,
        issuer_department=row.issuer_department, issued_at=row.issued_at, valid_from=row.valid_from,
        valid_until=row.valid_until, credential=row.credential, record_digest=row.record_digest, signer=row.signer,
        status_index=row.status_index, state=LicenceState(row.state), state_reason=row.state_reason,
        state_changed_at=row.state_changed_at,
    )


class SqlStatusIndexes:
    """Each department's next free place in its status lists."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def take(self, department: str) -> int:
        # Deliveries of two partitions run side by side: the department's first two licences may race to create
        # the counter, and must take indexes in turn rather than fail on the unique status index.
        counter = await self._uow.get_or_create_for_update(
            StatusCounterRow, {"issuer_department": department}, next_index=0)
        index = counter.next_index
        counter.next_index = index + 1
        self._uow.session.add(counter)
        return index
