"""The audit trail (全程留痕、过往可溯, SUP-06): every case-stream fact recorded once with its time, its
actor (the signing producer) and the sha256 of the signed envelope as evidence, in the same transaction
as whatever else supervision does with it."""

from __future__ import annotations

from collections.abc import Mapping

from contracts.envelope import Envelope, EventPayload
from exchange.db.unit_of_work import UnitOfWork
from exchange.kafka.consumer import Handler
from supervision.service_layer.unit_of_work import SupervisionUnitOfWork, in_supervision_work

__all__ = ["audited", "record_fact"]


async def record_fact(uow: SupervisionUnitOfWork, envelope: Envelope, payload: EventPayload) -> None:
    await uow.audit.record(envelope, getattr(payload, "item_code", None))


_record = in_supervision_work(record_fact)


def audited(event_types: tuple[str, ...], handlers: Mapping[str, Handler]) -> dict[str, Handler]:
    """A handler for every event type of the case stream: record it, then do what supervision does with it."""

    def wrap(event_type: str) -> Handler:
        inner = handlers.get(event_type)

        async def handle(uow: UnitOfWork, envelope: Envelope, payload: EventPayload) -> None:
            await _record(uow, envelope, payload)
            if inner is not None:
                await inner(uow, envelope, payload)

        return handle

    return {t: wrap(t) for t in event_types}
