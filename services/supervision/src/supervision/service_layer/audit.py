"""The audit trail (全程留痕、过往可溯, SUP-06): every case-stream fact recorded once with its time, its
actor (the signing producer) and the sha256 of the signed envelope as evidence, in the same unit of work as
whatever else supervision does with it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from contracts.envelope import Envelope, EventPayload
from supervision.service_layer.unit_of_work import SupervisionUnitOfWork

__all__ = ["audited", "record_fact"]

P = TypeVar("P", bound=EventPayload)
UseCase = Callable[[SupervisionUnitOfWork, Envelope, P], Awaitable[None]]


async def record_fact(uow: SupervisionUnitOfWork, envelope: Envelope, payload: EventPayload) -> None:
    """A fact supervision only keeps: into the audit trail."""
    await uow.audit.record(envelope, getattr(payload, "item_code", None))


def audited(use_case: UseCase[P]) -> UseCase[P]:
    """``use_case``, with the fact recorded in its unit of work (written with the transaction's other entries just
    before its commit: ``UnitOfWork.insert_later``)."""

    async def run(uow: SupervisionUnitOfWork, envelope: Envelope, payload: P) -> None:
        await record_fact(uow, envelope, payload)
        await use_case(uow, envelope, payload)

    return run
