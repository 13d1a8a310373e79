"""A department's queue, the changes it makes: acknowledge a request, re-drive a parked delivery (reads are in
``adapters.views``)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from exchange.db.database import Database
from gateway.adapters import views
from gateway.adapters.tables import RequestRow
from gateway.domain.errors import UnknownRequest
from gateway.service_layer.unit_of_work import gateway_work

__all__ = ["acknowledge", "redrive"]


async def acknowledge(database: Database, department: str, request_id: UUID) -> RequestRow:
    """签收确认: the department has the request in its own system; it leaves ``state=pending`` (idempotent)."""
    async with gateway_work(database) as uow:
        request = await uow.requests.get(str(request_id))
        if request is None or request.department != department:
            raise UnknownRequest(department, str(request_id))
        request.acknowledge(datetime.now(UTC))
    return await views.one(database, department, request_id)


async def redrive(database: Database, department: str, request_id: UUID) -> RequestRow:
    """重投: a parked callback delivery is tried again from the start (attempts counted afresh)."""
    async with gateway_work(database) as uow:
        request = await uow.requests.get(str(request_id))
        if request is None or request.department != department:
            raise UnknownRequest(department, str(request_id))
        request.redrive(datetime.now(UTC))
    return await views.one(database, department, request_id)


