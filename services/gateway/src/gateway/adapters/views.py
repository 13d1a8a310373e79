"""A department's queue as it reads it (查询): poll (oldest first, by cursor), one request, the counts, the refusal
notices, what is due for a callback, and a request as the department sees it. Nothing here changes state."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, or_
from sqlmodel import col, select

from exchange.db.database import Database
from gateway.adapters.tables import NoticeRow, RequestRow
from gateway.domain.errors import UnknownRequest
from gateway.domain.requests import Delivery, RequestState

__all__ = ["as_json", "counts", "due_for_callback", "notices", "one", "poll"]


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


def as_json(row: RequestRow) -> dict[str, object]:
    """A request as the department sees it, when it polls and when it is called back."""
    state = RequestState.ANSWERED if row.answered_at is not None else RequestState(row.delivery)
    return {
        "request_id": row.request_id, "seq": row.seq, "kind": row.kind, "state": state.value,
        "department": row.department, "case_id": row.case_id, "item_code": row.item_code,
        "event_type": row.envelope.get("type"), "event_id": row.envelope.get("id"),
        "received_at": row.received_at.isoformat(), "request": row.envelope.get("data", {}),
        "delivery_attempts": row.delivery_attempts, "last_delivery_error": row.last_delivery_error,
        "next_delivery_at": row.next_delivery_at.isoformat() if row.next_delivery_at else None,
        "answer": row.answer, "answer_event_id": row.answer_event_id,
        "answered_at": row.answered_at.isoformat() if row.answered_at else None,
    }


async def due_for_callback(database: Database, departments: Collection[str], now: datetime,
                           limit: int) -> Sequence[RequestRow]:
    """Unanswered requests of ``departments`` whose callback delivery is due at ``now``, oldest first."""
    query = (
        select(RequestRow)
        .where(col(RequestRow.department).in_(list(departments)), col(RequestRow.answered_at).is_(None),
               col(RequestRow.delivery) == Delivery.PENDING.value,
               or_(col(RequestRow.next_delivery_at).is_(None), col(RequestRow.next_delivery_at) <= now))
        .order_by(col(RequestRow.seq))
        .limit(limit)
    )
    async with database.sessions() as session:
        return (await session.exec(query)).all()
