"""A department's queue, the changes it makes: acknowledge a request, re-drive a parked delivery (the route reads the
request as it then stands from ``adapters.views``)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from gateway.domain.errors import UnknownRequest
from gateway.domain.model import QueuedRequest
from gateway.service_layer.unit_of_work import GatewayUnitOfWork

__all__ = ["acknowledge", "redrive"]


async def _addressed(uow: GatewayUnitOfWork, department: str, request_id: UUID) -> QueuedRequest:
    request = await uow.requests.get(str(request_id))
    if request is None or request.department != department:
        raise UnknownRequest(department, str(request_id))
    return request


async def acknowledge(uow: GatewayUnitOfWork, department: str, request_id: UUID) -> None:
    """签收确认: the department has the request in its own system; it leaves ``state=pending`` (idempotent)."""
    (await _addressed(uow, department, request_id)).acknowledge(datetime.now(UTC))


async def redrive(uow: GatewayUnitOfWork, department: str, request_id: UUID) -> None:
    """重投: a parked callback delivery is tried again from the start (attempts counted afresh)."""
    (await _addressed(uow, department, request_id)).redrive(datetime.now(UTC))
