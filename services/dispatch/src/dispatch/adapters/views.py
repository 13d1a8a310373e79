"""Dispatch's read side (查询): what its HTTP API reads, straight from the tables. Nothing here
changes state; every change goes through an aggregate (``domain.model``, ``domain.requests``)."""

from __future__ import annotations

from sqlmodel import col, select

from dispatch.adapters.tables import DispatchRequest, DispatchTask
from dispatch.domain.deadlines import RequestState
from exchange.db.database import Database

__all__ = ["case_tasks", "requests"]


async def case_tasks(database: Database, case_id: str) -> list[DispatchTask]:
    """A case's department tasks in item order; none for a case dispatch does not know."""
    async with database.sessions() as session:
        query = select(DispatchTask).where(col(DispatchTask.case_id) == case_id).order_by(col(DispatchTask.item_code))
        return list((await session.exec(query)).all())


async def requests(database: Database, *, state: RequestState | None, case_id: str | None,
                   limit: int) -> list[DispatchRequest]:
    """Department requests, oldest first, by state and case."""
    query = select(DispatchRequest)
    if state is not None:
        query = query.where(col(DispatchRequest.state) == state)
    if case_id is not None:
        query = query.where(col(DispatchRequest.case_id) == case_id)
    async with database.sessions() as session:
        return list((await session.exec(query.order_by(col(DispatchRequest.first_sent_at)).limit(limit))).all())
