"""Licence's read side (查询): what the HTTP API and the verifier read, straight from the tables, and the record of
each archive read (档案查阅记录), which is written with the read. No licence changes here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import col, select

from exchange.db.database import Database
from licence.adapters.tables import ArchiveReadRow, LicenceRow

__all__ = ["ArchiveRead", "holder_licences", "licence", "read_licence", "status_indices"]


@dataclass(frozen=True, slots=True)
class ArchiveRead:
    """Who reads, and why: recorded with every read of a holder's licences."""

    principal: str
    purpose: str


async def licence(database: Database, licence_id: str) -> LicenceRow | None:
    """A licence, without recording a read (public verification answers no personal data)."""
    async with database.sessions() as session:
        return await session.get(LicenceRow, licence_id)


async def read_licence(database: Database, licence_id: str, reader: ArchiveRead,
                       may_see: Callable[[str], bool]) -> LicenceRow | None:
    """A licence its reader may see (``may_see(holder_id)``), the read recorded; None otherwise, with nothing
    recorded."""
    async with database.sessions() as session:
        row = await session.get(LicenceRow, licence_id)
        if row is None or not may_see(row.holder_id):
            return None
        session.add(ArchiveReadRow(holder_id=row.holder_id, licence_id=licence_id, principal=reader.principal,
                                   purpose=reader.purpose, read_at=datetime.now(UTC)))
        await session.commit()
        await session.refresh(row)
    return row


async def holder_licences(database: Database, holder_id: str, reader: ArchiveRead) -> list[LicenceRow]:
    """A holder's archive (一人一档/一企一档), oldest first, the read recorded."""
    async with database.sessions() as session:
        query = select(LicenceRow).where(col(LicenceRow.holder_id) == holder_id)
        rows = list((await session.exec(query.order_by(col(LicenceRow.issued_at), col(LicenceRow.licence_id)))).all())
        session.add(ArchiveReadRow(holder_id=holder_id, principal=reader.principal, purpose=reader.purpose,
                                   read_at=datetime.now(UTC)))
        await session.commit()
    return rows


async def status_indices(database: Database, department: str, state: str, low: int, high: int) -> list[int]:
    """The status list places, in ``[low, high)``, of a department's licences in ``state``."""
    async with database.sessions() as session:
        return list((await session.exec(
            select(LicenceRow.status_index).where(
                col(LicenceRow.issuer_department) == department, col(LicenceRow.state) == state,
                col(LicenceRow.status_index) >= low, col(LicenceRow.status_index) < high,
            ))).all())
