"""委托授权: granting, revoking and finding an applicant's authorisation of an online proxy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from intake.domain.delegation import Delegation, covers, expiry, grant_problem
from intake.domain.errors import DelegationRefused
from intake.service_layer.unit_of_work import IntakeUnitOfWork

__all__ = ["authorised_by", "grant", "revoke"]


async def grant(uow: IntakeUnitOfWork, *, principal_id: str, proxy_id: str, bundle_code: str | None,
                valid_days: int) -> Delegation:
    problem = grant_problem(principal_id, proxy_id, valid_days)
    if problem is not None:
        raise DelegationRefused(*problem)
    now = datetime.now(UTC)
    delegation = Delegation(f"DG{uuid.uuid4().hex[:16].upper()}", principal_id, proxy_id, bundle_code, now,
                            expiry(now, valid_days))
    uow.delegations.add(delegation)
    return delegation


async def revoke(uow: IntakeUnitOfWork, delegation_id: str, *, principal_ids: set[str]) -> Delegation | None:
    """Revoke one of the caller's own authorisations (``principal_ids``: whom the caller speaks for); None if
    there is no such authorisation of theirs."""
    delegation = await uow.delegations.get_for_update(delegation_id)
    if delegation is None or delegation.principal_id not in principal_ids:
        return None
    delegation.revoke(datetime.now(UTC))
    return delegation


async def authorised_by(uow: IntakeUnitOfWork, *, principal_id: str, proxy_id: str, bundle_code: str) -> str | None:
    """The id of an authorisation that lets ``proxy_id`` apply for ``principal_id`` now, or None."""
    now = datetime.now(UTC)
    for delegation in await uow.delegations.between(principal_id=principal_id, proxy_id=proxy_id):
        if covers(delegation.grant, principal_id=principal_id, proxy_id=proxy_id, bundle_code=bundle_code, now=now):
            return delegation.delegation_id
    return None
