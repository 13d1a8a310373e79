"""Issuing (办结即发证): an approved item that yields a licence gets exactly one credential, sealed by the
issuing department, with its place in the department's status lists."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from contracts.dispatch.v1 import LicenceRequested
from contracts.envelope import Envelope
from contracts.licence_types import licence_type
from credentials.licence import LicenceClaims, licence_credential
from credentials.status import status_entries
from licence.domain.errors import IncompleteConclusion, UnknownLicenceType
from licence.domain.licences import licence_id_for, licence_number, validity
from licence.domain.model import Licence
from licence.service_layer.issuers import Issuers
from licence.service_layer.unit_of_work import LicenceUnitOfWork

__all__ = ["licence_requested"]

logger = logging.getLogger(__name__)


async def licence_requested(uow: LicenceUnitOfWork, envelope: Envelope, payload: LicenceRequested, *,
                            issuers: Issuers) -> None:
    """One licence per approved, licence-yielding item, whatever the redelivery."""
    if not payload.holder_id.strip() or not payload.holder_name.strip():
        raise IncompleteConclusion(f"{payload.task_id} yields a licence but names no holder")
    try:
        kind = licence_type(payload.licence_type)
    except KeyError as exc:
        raise UnknownLicenceType(str(exc)) from None
    licence_id = licence_id_for(payload.case_id, payload.item_code)
    if await uow.licences.exists(licence_id):
        logger.info("licence for %s/%s already issued", payload.case_id, payload.item_code)
        return
    issued_at = datetime.now(UTC).replace(microsecond=0)
    period = validity(issued_at, kind.statutory_years)
    department = payload.department
    index = await uow.status_indexes.take(department)
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
    uow.licences.add(Licence.issued(
        credential=credential, issuer_id=seal.issuer_id, licence_id=licence_id, case_id=payload.case_id,
        item_code=payload.item_code, licence_type=kind.code, number=claims.number, holder_id=payload.holder_id,
        holder_name=payload.holder_name, issuer_department=department, issued_at=issued_at,
        valid_from=period.first_day, valid_until=period.last_day, signer=seal.verification_method,
        status_index=index,
    ))
