"""Intake's read side: a case with its timeline (for the API and ``onething case``), the case a retried
``Idempotency-Key`` already made, a pre-fill draft as it stands, and 委托授权 by who is in them."""

from __future__ import annotations

from sqlmodel import col, select

from exchange.db.database import Database
from intake.adapters.repositories import delegation_of, draft_of
from intake.adapters.tables import IntakeCase, IntakeDelegation, IntakeDraft, IntakeTimeline
from intake.domain.delegation import Delegation
from intake.domain.draft import Draft

__all__ = ["case_by_idempotency_key", "case_with_timeline", "delegations_between", "delegations_visible_to", "draft"]


async def case_with_timeline(db: Database, case_id: str) -> tuple[IntakeCase, list[IntakeTimeline]] | None:
    async with db.sessions() as session:
        case = await session.get(IntakeCase, case_id)
        if case is None:
            return None
        query = select(IntakeTimeline).where(col(IntakeTimeline.case_id) == case_id)
        entries = (await session.exec(query.order_by(col(IntakeTimeline.id)))).all()
    return case, list(entries)


async def case_by_idempotency_key(db: Database, key: str) -> IntakeCase | None:
    async with db.sessions() as session:
        return (await session.exec(select(IntakeCase).where(col(IntakeCase.idempotency_key) == key))).first()


async def draft(db: Database, draft_id: str) -> Draft | None:
    async with db.sessions() as session:
        row = await session.get(IntakeDraft, draft_id)
    return None if row is None else draft_of(row)


async def delegations_visible_to(db: Database, ids: set[str]) -> list[Delegation]:
    """The authorisations the caller granted or was given (``ids``: whom the caller speaks for), newest first."""
    async with db.sessions() as session:
        rows = (await session.exec(
            select(IntakeDelegation)
            .where(col(IntakeDelegation.principal_id).in_(ids) | col(IntakeDelegation.proxy_id).in_(ids))
            .order_by(col(IntakeDelegation.granted_at).desc()).limit(200))).all()
    return [delegation_of(row) for row in rows]


async def delegations_between(db: Database, *, principal_id: str, proxy_id: str) -> list[Delegation]:
    async with db.sessions() as session:
        rows = (await session.exec(select(IntakeDelegation).where(
            col(IntakeDelegation.principal_id) == principal_id, col(IntakeDelegation.proxy_id) == proxy_id))).all()
    return [delegation_of(row) for row in rows]
