"""Intake's read side, for the routes: a case with its timeline (for the API and ``onething case``), a pre-fill draft
as it stands, and the 委托授权 a caller granted or was given. The use cases read through the unit of work instead."""

from __future__ import annotations

from sqlalchemy import select as sa_select
from sqlmodel import col, select

from exchange.db.database import Database
from intake.adapters.repositories import delegation_of, draft_of
from intake.adapters.tables import IntakeCase, IntakeDelegation, IntakeDraft, IntakeTimeline
from intake.domain.delegation import Delegation
from intake.domain.draft import Draft

__all__ = ["case_with_timeline", "delegations_visible_to", "draft"]


async def case_with_timeline(db: Database, case_id: str) -> tuple[IntakeCase, list[IntakeTimeline]] | None:
    async with db.sessions() as session:
        case = await session.get(IntakeCase, case_id)
        if case is None:
            return None
        query = select(IntakeTimeline).where(col(IntakeTimeline.case_id) == case_id)
        entries = (await session.exec(query.order_by(col(IntakeTimeline.id)))).all()
    return case, list(entries)


async def draft(db: Database, draft_id: str) -> Draft | None:
    table = IntakeDraft.__table__  # type: ignore[attr-defined]
    async with db.sessions() as session:
        connection = await session.connection()
        row = (await connection.execute(sa_select(table).where(table.c.draft_id == draft_id))).mappings().first()
    return None if row is None else draft_of(dict(row))


async def delegations_visible_to(db: Database, ids: set[str]) -> list[Delegation]:
    """The authorisations the caller granted or was given (``ids``: whom the caller speaks for), newest first."""
    table = IntakeDelegation.__table__  # type: ignore[attr-defined]
    async with db.sessions() as session:
        connection = await session.connection()
        rows = (await connection.execute(
            sa_select(table).where(table.c.principal_id.in_(ids) | table.c.proxy_id.in_(ids))
            .order_by(table.c.granted_at.desc()).limit(200))).mappings().all()
    return [delegation_of(dict(row)) for row in rows]

