"""Licence use cases: issue one signed electronic licence for an approved, licence-yielding item."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from contracts.dispatch.v1 import Outcome, TaskConcluded
from contracts.envelope import Envelope, EventPayload
from contracts.licence.v1 import LicenceIssued
from contracts.topics import CASE_STREAM, LICENCE_EVENTS, TopicSpec
from exchange.db.unit_of_work import UnitOfWork
from exchange.signing import Signer
from licence.adapters.tables import LicenceRow
from licence.domain.errors import IncompleteConclusion
from licence.domain.records import canonical_record_bytes, issue_record, licence_id_for, record_digest

__all__ = ["issued_event_id", "task_concluded"]

logger = logging.getLogger(__name__)


def issued_event_id(licence_id: str, topic: TopicSpec) -> UUID:
    """Deterministic and distinct per topic: the case stream and the holder archive each get one event."""
    return uuid5(NAMESPACE_URL, f"onething:licence-issued:{licence_id}:{topic.name}")


async def task_concluded(uow: UnitOfWork, envelope: Envelope, payload: EventPayload, *, signer: Signer) -> None:
    """办结即发证: an approved item that yields a licence gets exactly one, signed by ``signer``."""
    assert isinstance(payload, TaskConcluded)
    if payload.outcome is not Outcome.APPROVED or not payload.yields_licence:
        return
    if not payload.licence_type or not payload.holder_id or not payload.holder_name:
        raise IncompleteConclusion(
            f"{payload.task_id} yields a licence but names no licence type or holder"
        )
    if await uow.session.get(LicenceRow, licence_id_for(payload.case_id, payload.item_code)) is not None:
        logger.info("licence for %s/%s already issued", payload.case_id, payload.item_code)
        return
    record = issue_record(
        case_id=payload.case_id, item_code=payload.item_code, licence_type=payload.licence_type,
        holder_id=payload.holder_id, holder_name=payload.holder_name, issuer_department=payload.department,
        issued_at=datetime.now(UTC), document_no=payload.document_no,
    )
    data = canonical_record_bytes(record)
    digest, signature = record_digest(data), signer.sign_bytes(data)
    uow.session.add(
        LicenceRow(
            **record.model_dump(), record=data.decode(), record_digest=digest, record_signature=signature,
            signer=signer.principal,
        )
    )
    issued = LicenceIssued(
        **record.model_dump(), record_digest=digest, record_signature=signature, signer=signer.principal
    )
    # The case stream is keyed by case, the licence archive by holder (一人一档): one emit per key.
    for topic, key in ((CASE_STREAM, record.case_id), (LICENCE_EVENTS, record.holder_id)):
        uow.emit(
            issued, subject=record.case_id, topics=[topic], key=key,
            event_id=issued_event_id(record.licence_id, topic),
        )
