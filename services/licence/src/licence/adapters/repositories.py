"""Licence's repositories (仓储): licences (with the ledger of their status changes) and each department's status
list counter. The only SQL of the licence service's write side; rows never leave this module."""

from __future__ import annotations

from typing import Any

from contracts.licence.v1 import LicenceState
from exchange.db.identity import Aggregates
from exchange.db.rows import TableRows
from exchange.db.statements import insert_rows, run
from exchange.db.tables import table_of
from exchange.db.unit_of_work import UnitOfWork
from licence.adapters.tables import LicenceRow, StatusChangeRow, StatusCounterRow
from licence.domain.model import Licence, StatusChanged

__all__ = ["SqlLicences", "SqlStatusIndexes"]


class SqlLicences:
    """Licences, one transaction's worth (SQLAlchemy Core through ``exchange.db.rows``)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._rows = TableRows(uow, LicenceRow)
        self._loaded: Aggregates[Licence] = Aggregates()

    async def exists(self, licence_id: str) -> bool:
        return licence_id in self._loaded or await self._rows.exists(licence_id)

    async def get_for_update(self, licence_id: str) -> Licence | None:
        """The licence, locked: two status changes of one licence take turns."""
        return await self._loaded.get_or_load(licence_id, lambda: self._rows.get(licence_id, for_update=True), _licence)

    async def active_held_by(self, holder_id: str) -> list[Licence]:
        """The holder's active licences, oldest first (read only: not written back)."""
        rows = await self._rows.where(holder_id=holder_id, state=LicenceState.ACTIVE.value,
                                      order_by=("issued_at", "licence_id"))
        return [_licence(row) for row in rows]

    def add(self, licence: Licence) -> None:
        self._loaded.add(licence.licence_id, licence)

    @property
    def seen(self) -> list[Licence]:
        return self._loaded.all

    async def save(self) -> None:
        """Write every licence back (only the columns that changed), and each status change it recorded to the
        ledger (证照状态变更记录)."""
        await self._rows.save_all(_licence_values(licence) for licence in self._loaded.all)
        changes = [
            {"licence_id": licence.licence_id, "action": event.action.value, "state": event.state.value,
             "reason_zh": event.reason_zh, "actor": event.actor, "changed_at": event.changed_at}
            for licence in self._loaded.all for event in licence.recorded if isinstance(event, StatusChanged)
        ]
        if changes:  # append only, the id the database's: a plain INSERT (TableRows keeps rows by a key it knows)
            connection = await self._uow.connection()
            await run(connection, insert_rows(table_of(StatusChangeRow)), changes)


def _licence(row: dict[str, Any]) -> Licence:
    return Licence(
        licence_id=row["licence_id"], case_id=row["case_id"], item_code=row["item_code"],
        licence_type=row["licence_type"], number=row["number"], holder_id=row["holder_id"],
        holder_name=row["holder_name"], issuer_department=row["issuer_department"], issued_at=row["issued_at"],
        valid_from=row["valid_from"], valid_until=row["valid_until"], credential=row["credential"],
        record_digest=row["record_digest"], signer=row["signer"], status_index=row["status_index"],
        state=LicenceState(row["state"]), state_reason=row["state_reason"], state_changed_at=row["state_changed_at"],
    )


def _licence_values(licence: Licence) -> dict[str, Any]:
    return {
        "licence_id": licence.licence_id, "case_id": licence.case_id, "item_code": licence.item_code,
        "licence_type": licence.licence_type, "number": licence.number, "holder_id": licence.holder_id,
        "holder_name": licence.holder_name, "issuer_department": licence.issuer_department,
        "issued_at": licence.issued_at, "valid_from": licence.valid_from, "valid_until": licence.valid_until,
        "credential": licence.credential, "record_digest": licence.record_digest, "signer": licence.signer,
        "status_index": licence.status_index, "state": licence.state.value, "state_reason": licence.state_reason,
        "state_changed_at": licence.state_changed_at,
    }


class SqlStatusIndexes:
    """Each department's next free place in its status lists."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._rows = TableRows(uow, StatusCounterRow)

    async def take(self, department: str) -> int:
        # Deliveries of two partitions run side by side: the department's first two licences may race to create the
        # counter, and must take indexes in turn rather than fail on the unique status index.
        return await self._rows.take_next(department, "next_index", first=0)
