"""A department's queue as it sees it: poll (oldest first, by cursor), one request, acknowledge, re-drive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import func
from sqlmodel import col, select

from exchange.db.database import Database
from gateway.adapters.tables import NoticeRow, RequestRow
from gateway.domain.errors import NotRedrivable, UnknownRequest
from gateway.domain.requests import Delivery, RequestState

__all__ = ["acknowledge", "as_json", "counts", "notices", "one", "poll", "redrive"]


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


async def acknowledge(database: Database, department: str, request_id: UUID) -> RequestRow:
    """签收确认: the department has the request in its own system; it leaves ``state=pending`` (idempotent)."""
    async with database.unit_of_work() as uow:
        row = await uow.get_for_update(RequestRow, str(request_id))
        if row is None or row.department != department:
            raise UnknownRequest(department, str(request_id))
        if row.delivery != Delivery.DELIVERED:
            row.delivery, row.delivered_at, row.next_delivery_at = Delivery.DELIVERED, datetime.now(UTC), None
            uow.session.add(row)
        return row


async def redrive(database: Database, department: str, request_id: UUID) -> RequestRow:
    """重投: a parked callback delivery is tried again from the start (attempts counted afresh)."""
    async with database.unit_of_work() as uow:
        row = await uow.get_for_update(RequestRow, str(request_id))
        if row is None or row.department != department:
            raise UnknownRequest(department, str(request_id))
        if row.answered_at is not None or row.delivery != Delivery.UNDELIVERABLE:
            state = "answered" if row.answered_at is not None else row.delivery
            raise NotRedrivable(f"只有投递已搁置（undeliverable）的请求可以重投；该请求状态为 {state}",
                                f"only a request whose delivery is parked (undeliverable) can be re-driven; "
                                f"this one is {state}")
        row.delivery, row.delivery_attempts, row.next_delivery_at = Delivery.PENDING, 0, datetime.now(UTC)
        uow.session.add(row)
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


async def notices(database: Database, department: str, *, after: int, limit: int) -> Sequence[NoticeRow]:
    """The department's refusal notices past ``after``, oldest first."""
    query = select(NoticeRow).where(col(NoticeRow.department) == department, col(NoticeRow.id) > after)
    async with database.sessions() as session:
        return (await session.exec(query.order_by(col(NoticeRow.id)).limit(limit))).all()
