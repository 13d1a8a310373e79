"""A department's queue as it reads it (查询), for the routes: poll (oldest first, by cursor), one request, the
counts, the refusal notices (a request as the department sees it: ``adapters.requests_json``). Nothing here changes
state, and no use case reads here: what they read goes through the unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func
from sqlmodel import col, select

from exchange.db.database import Database
from gateway.adapters.tables import NoticeRow, RequestRow
from gateway.domain.errors import UnknownRequest
from gateway.domain.requests import Delivery, RequestState

__all__ = ["counts", "notices", "one", "poll"]


async def poll(database: Database, department: str, *, state: RequestState, after: int,
               limit: int) -> Sequence[RequestRow]:
    """Requests of ``department`` in ``state`` with a position past ``after``, oldest first."""
    query = select(RequestRow).where(col(RequestRow.department) == department, col(RequestRow.seq) > after)
    if state is RequestState.ANSWERED:
        query = query.where(col(RequestRow.answered_at).is_not(None))
    else:
        query = query.where(col(RequestRow.answered_at).is_(None))
        if state is not RequestState.OPEN:
            query = query.where(col(RequestRow.delivery) == state.value)
    async with database.sessions() as session:
        return (await session.exec(query.order_by(col(RequestRow.seq)).limit(limit))).all()


async def one(database: Database, department: str, request_id: UUID) -> RequestRow:
    async with database.sessions() as session:
        row = await session.get(RequestRow, str(request_id))
    if row is None or row.department != department:
        raise UnknownRequest(department, str(request_id))
    return row


async def counts(database: Database, department: str) -> dict[str, int]:
    """How many of the department's requests are in each state."""
    async with database.sessions() as session:
        answered = (await session.exec(
            select(func.count()).select_from(RequestRow).where(col(RequestRow.department) == department,
                                                               col(RequestRow.answered_at).is_not(None)))).one()
        by_delivery = (await session.exec(
            select(RequestRow.delivery, func.count()).where(col(RequestRow.department) == department,
                                                            col(RequestRow.answered_at).is_(None))
            .group_by(col(RequestRow.delivery)))).all()
    found = {state.value: 0 for state in Delivery} | {str(d): int(n) for d, n in by_delivery}
    return {**found, "answered": int(answered)}


async def notices(database: Database, department: str, *, after: int, limit: int) -> Sequence[NoticeRow]:
    """The department's refusal notices past ``after``, oldest first."""
    query = select(NoticeRow).where(col(NoticeRow.department) == department, col(NoticeRow.id) > after)
    async with database.sessions() as session:
        return (await session.exec(query.order_by(col(NoticeRow.id)).limit(limit))).all()
