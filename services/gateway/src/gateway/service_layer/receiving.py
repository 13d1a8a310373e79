"""签收: a request addressed to a served department is stored once and receipted at once, signed as the department."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import UTC, datetime
from uuid import UUID

from contracts.department.v1 import RequestKind, receipt_event_id
from contracts.dispatch.v1 import AnswerRefused, RequestSent, ReviewRequested
from contracts.envelope import Envelope
from exchange.errors import Rejected
from gateway.domain.model import QueuedRequest, RefusalNotice
from gateway.service_layer.unit_of_work import GatewayUnitOfWork

__all__ = ["NotServed", "answer_refused", "request_arrived"]

logger = logging.getLogger(__name__)

REQUEST_SOURCE = "dispatch"  # the one service that sends departments requests and refusal notices


class NotServed(Rejected):
    """A request for a department this gateway does not serve (misaddressed): dead-lettered, never receipted."""


def _from_dispatch(envelope: Envelope) -> None:
    """Only dispatch addresses departments: anything else on a request topic, however well signed, is refused (and
    dead-lettered), never receipted in a department's name."""
    if envelope.source != REQUEST_SOURCE:
        raise Rejected(f"{envelope.type} {envelope.id} comes from {envelope.source!r}, not from {REQUEST_SOURCE}")


async def request_arrived(uow: GatewayUnitOfWork, envelope: Envelope, payload: RequestSent | ReviewRequested, *,
                          served: Collection[str]) -> None:
    """Store the request in its department's queue and receipt it; a request sent again (same ``request_id``, e.g.
    dispatch re-sending one it heard no receipt for) is not stored twice: its receipt, and its answer if it has one,
    go out again exactly as before (same envelope ids and contents)."""
    _from_dispatch(envelope)
    if payload.department not in served:
        raise NotServed(f"request {payload.request_id} is for {payload.department}, which this gateway does not serve")
    kind = RequestKind.HANDLING if isinstance(payload, RequestSent) else RequestKind.REVIEW
    stored = await uow.requests.get(str(payload.request_id))
    if stored is not None:
        if stored.department != payload.department or stored.kind is not kind:
            raise Rejected(f"request id {payload.request_id} was first sent as a {stored.kind.value} request to "
                           f"{stored.department}")
        logger.info("request %s to %s sent again: receipt repeated", payload.request_id, payload.department)
        await uow.send_again(UUID(stored.receipt_event_id))
        if stored.answer_event_id is not None:
            await uow.send_again(UUID(stored.answer_event_id))
        return
    uow.requests.add(QueuedRequest.stored(
        request_id=str(payload.request_id), department=payload.department,
        seq=await uow.cursors.take(payload.department), kind=kind, case_id=payload.case_id,
        item_code=payload.item_code, envelope=envelope.to_wire(), received_at=datetime.now(UTC),
        receipt_event_id=str(receipt_event_id(payload.request_id))))


async def answer_refused(uow: GatewayUnitOfWork, envelope: Envelope, payload: AnswerRefused, *,
                         served: Collection[str]) -> None:
    """拒收通知: kept for the department to read (``GET /departments/{code}/notices``), once per notice."""
    _from_dispatch(envelope)
    if payload.department not in served:
        raise NotServed(f"notice {envelope.id} is for {payload.department}, which this gateway does not serve")
    logger.warning("dept.%s: answer %s refused (%s)", payload.department, payload.refused_event_id,
                   payload.reason.value)
    uow.notices.add(RefusalNotice(event_id=str(envelope.id), department=payload.department, case_id=payload.case_id,
                                  notice=payload.model_dump(mode="json"), received_at=datetime.now(UTC)))
