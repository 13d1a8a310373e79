"""The audit trail (全程留痕、过往可溯, SUP-06): every case-stream fact recorded once with its time, its
actor (the signing producer) and the sha256 of the signed envelope as evidence, in the same transaction
as whatever else supervision does with it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlmodel import col, select

from contracts.envelope import Envelope, EventPayload, canonical_bytes
from exchange.db.database import Database
from exchange.db.unit_of_work import UnitOfWork
from exchange.kafka.consumer import Handler
from supervision.adapters.tables import SupervisionAudit

__all__ = ["audited", "case_audit"]


def audited(event_types: tuple[str, ...], handlers: Mapping[str, Handler]) -> dict[str, Handler]:
    """A handler for every event type of the case stream: record it, then do what supervision does with it."""

    def wrap(event_type: str) -> Handler:
        inner = handlers.get(event_type)

        async def handle(uow: UnitOfWork, envelope: Envelope, payload: EventPayload) -> None:
            if await uow.session.get(SupervisionAudit, str(envelope.id)) is None:
                wire = envelope.to_wire()  # as the producer serialised and signed it
                uow.session.add(SupervisionAudit(
                    event_id=str(envelope.id), case_id=envelope.subject, at=envelope.time, event_type=envelope.type,
                    actor=envelope.source, item_code=getattr(payload, "item_code", None),
                    evidence_sha256=hashlib.sha256(canonical_bytes(wire)).hexdigest()))
            if inner is not None:
                await inner(uow, envelope, payload)

        return handle

    return {t: wrap(t) for t in event_types}


async def case_audit(database: Database, case_id: str) -> list[dict[str, Any]]:
    async with database.sessions() as session:
        rows = (await session.exec(select(SupervisionAudit).where(col(SupervisionAudit.case_id) == case_id)
                                   .order_by(col(SupervisionAudit.at), col(SupervisionAudit.event_id)))).all()
    return [{"at": r.at, "event_type": r.event_type, "actor": r.actor, "item_code": r.item_code,
             "event_id": r.event_id, "evidence_sha256": r.evidence_sha256} for r in rows]
