"""Issuing (办结即发证): an approved item that yields a licence gets exactly one credential, sealed by the
issuing department, with its place in the department's status lists."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from contracts.dispatch.v1 import LicenceRequested
from contracts.envelope import Envelope
from contracts.licence.v1 import CaseLicenceIssued, LicenceIssued
from contracts.licence_types import licence_type
from contracts.topics import CASE_STREAM, LICENCE_EVENTS, TopicSpec
from credentials.canonical import canonical_json
from credentials.licence import LicenceClaims, licence_credential
from credentials.status import status_entries
from exchange.db.unit_of_work import UnitOfWork
from licence.adapters.tables import LicenceRow, StatusCounterRow
from licence.domain.errors import IncompleteConclusion, UnknownLicenceType
from licence.domain.licences import licence_id_for, licence_number, validity
from licence.service_layer.issuers import Issuers

__all__ = ["issued_event_id", "licence_requested"]

logger = logging.getLogger(__name__)


def issued_event_id(licence_id: str, topic: TopicSpec) -> UUID:
    """Deterministic and distinct per topic: the case stream and the holder archive each get one event."""
    return uuid5(NAMESPACE_URL, f"onething:licence-issued:{licence_id}:{topic.name}")


async def _next_status_index(uow: UnitOfWork, department: str) -> int:
    # Deliveries of two partitions run side by side: the department's first two licences may race to create
    # the counter, and must take indexes in turn rather than fail on the unique status index.
    counter = await uow.get_or_create_for_update(StatusCounterRow, {"issuer_department": department}, next_index=0)
    index = counter.next_index
    counter.next_index = index + 1
    uow.session.add(counter)
    return index


async def licence_requested(uow: UnitOfWork, envelope: Envelope, payload: LicenceRequested, *, issuers: Issuers) -> None:
    """One licence per approved, licence-yielding item, whatever the redelivery."""
    if not payload.holder_id.strip() or not payload.holder_name.strip():
        raise IncompleteConclusion(f"{payload.task_id} yields a licence but names no holder")
    try:
        kind = licence_type(payload.licence_type)
    except KeyError as exc:
        raise UnknownLicenceType(str(exc)) from None
    licence_id = licence_id_for(payload.case_id, payload.item_code)
    if await uow.session.get(LicenceRow, licence_id) is not None:
        logger.info("licence for %s/%s already issued", payload.case_id, payload.item_code)
        return
    issued_at = datetime.now(UTC).replace(microsecond=0)
    period = validity(issued_at, kind.statutory_years)
    department = payload.department
    index = await _next_status_index(uow, department)
    seal = issuers.seal(department)
    claims = LicenceClaims(
        licence_id=licence_id, licence_type=kind.code, licence_name_zh=kind.name_zh,
        number=licence_number(kind.code, licence_id, payload.document_no), holder_id=payload.holder_id,
        holder_name=payload.holder_name, case_id=payload.case_id, item_code=payload.item_code,
        valid_from=period.valid_from, valid_until=period.valid_until,
        evidence={"id": f"urn:uuid:{envelope.id}", "taskId": payload.task_id},
    )
    credential = licence_credential(
        claims, key=seal, issuer_name_zh=issuers.name_zh(department),
        credential_status=status_entries(issuers.public_url, department, index), issued_at=issued_at,
    )
    data = canonical_json(credential)
    digest = hashlib.sha256(data).hexdigest()
    common: dict[str, Any] = {
        "licence_id": licence_id, "case_id": payload.case_id, "item_code": payload.item_code,
        "licence_type": kind.code, "number": claims.number, "holder_id": payload.holder_id,
        "holder_name": payload.holder_name, "issuer_department": department, "issued_at": issued_at,
        "valid_from": period.first_day, "valid_until": period.last_day, "record_digest": digest,
        "signer": seal.verification_method,
    }
    uow.session.add(LicenceRow(**common, credential=data.decode(), status_index=index))
    issued = LicenceIssued(
        **common, record_signature=credential["proof"]["proofValue"], issuer_id=seal.issuer_id,
        status_index=index, credential=credential,
    )
    # The holder's archive (一人一档, keyed by holder) gets the credential; the case stream, that it was issued.
    uow.emit(issued, subject=payload.case_id, topics=[LICENCE_EVENTS], key=payload.holder_id,
             event_id=issued_event_id(licence_id, LICENCE_EVENTS))
    uow.emit(CaseLicenceIssued.of(issued), subject=payload.case_id, topics=[CASE_STREAM],
             event_id=issued_event_id(licence_id, CASE_STREAM))
