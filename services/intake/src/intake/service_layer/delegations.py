"""委托授权: granting, revoking and finding an applicant's authorisation of an online proxy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import col, select

from exchange.db.database import Database
from intake.adapters.tables import IntakeDelegation
from intake.domain.delegation import Grant, covers, expiry, grant_problem
from intake.domain.errors import DelegationRefused

__all__ = ["authorised_by", "grant", "revoke", "visible_to"]


async def grant(db: Database, *, principal_id: str, proxy_id: str, bundle_code: str | None,
                valid_days: int) -> IntakeDelegation:
    problem = grant_problem(principal_id, proxy_id, valid_days)
    if problem is not None:
        raise DelegationRefused(*problem)
    now = datetime.now(UTC)
    row = IntakeDelegation(delegation_id=f"DG{uuid.uuid4().hex[:16].upper()}", principal_id=principal_id,
                           proxy_id=proxy_id, bundle_code=bundle_code, granted_at=now,
                           expires_at=expiry(now, valid_days))
    async with db.unit_of_work() as uow:
        uow.session.add(row)
    return row


async def revoke(db: Database, delegation_id: str, *, principal_ids: set[str]) -> IntakeDelegation | None:
    """Revoke one of the caller's own authorisations (``principal_ids``: whom the caller speaks for); None if
    there is no such authorisation of theirs."""
    async with db.unit_of_work() as uow:
        row = await uow.get_for_update(IntakeDelegation, delegation_id)
        if row is None or row.principal_id not in principal_ids:
            return None
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
            uow.session.add(row)
        return row


async def visible_to(db: Database, ids: set[str]) -> list[IntakeDelegation]:
    """The authorisations the caller granted or was given (``ids``: whom the caller speaks for), newest first."""
    async with db.sessions() as session:
        return list((await session.exec(
            select(IntakeDelegation)
            .where(col(IntakeDelegation.principal_id).in_(ids) | col(IntakeDelegation.proxy_id).in_(ids))
            .order_by(col(IntakeDelegation.granted_at).desc()).limit(200)
        )).all())


async def authorised_by(db: Database, *, principal_id: str, proxy_id: str, bundle_code: str) -> str | None:
    """The id of an authorisation that lets ``proxy_id`` apply for ``principal_id`` now, or None."""
    now = datetime.now(UTC)
    async with db.sessions() as session:
        rows = (await session.exec(select(IntakeDelegation).where(
            col(IntakeDelegation.principal_id) == principal_id, col(IntakeDelegation.proxy_id) == proxy_id))).all()
    for row in rows:
        if covers(Grant(row.principal_id, row.proxy_id, row.bundle_code, row.expires_at, row.revoked_at),
                  principal_id=principal_id, proxy_id=proxy_id, bundle_code=bundle_code, now=now):
            return row.delegation_id
    return None
