"""The gateway's unit of work (工作单元): queued requests, queue cursors, refusal notices and the outbox in one
transaction.

Use cases take a :class:`GatewayUnitOfWork` (or, the callback job, an ``Opener`` of them: a transaction per
attempt), never a Database: their caller opens the transaction (a route ``gateway_work(database)``, a consumer
``in_gateway_work``); when they return, :meth:`SqlGatewayUnitOfWork.publish` (run by
``exchange.db.service_work``) writes the requests back and stages what they recorded (``adapters.messages``).
``send_again`` marks a message the gateway published for publication once more, byte for byte (a receipt or an
answer repeated when dispatch sends a request again). A use case that raises leaves nothing. Handler tests drive the
same use cases on an in-memory unit of work (``tests/fakes.py``), which stages through :func:`publish_recorded` too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from contracts.envelope import Envelope, EventPayload
from exchange.db.database import Database
from exchange.db.service_work import Emit, in_work, service_work, stage
from exchange.db.unit_of_work import UnitOfWork
from gateway.adapters.messages import request_messages
from gateway.adapters.repositories import SqlNotices, SqlQueueCursors, SqlRequests
from gateway.domain.model import QueuedRequest, RefusalNotice

__all__ = [
    "GatewayUnitOfWork", "NoticeRepository", "QueueCursors", "RequestRepository", "gateway_work", "in_gateway_work",
    "publish_recorded",
]


class RequestRepository(Protocol):
    async def get(self, request_id: str) -> QueuedRequest | None:
        """The request, locked for this transaction; what the use case changes is written back."""
        ...

    async def due_for_callback(self, departments: Collection[str], now: datetime, limit: int) -> list[QueuedRequest]:
        """Unanswered requests of ``departments`` whose callback delivery is due at ``now``, oldest first, at most
        ``limit``: as they stand, read only (not locked, not written back)."""
        ...

    def add(self, request: QueuedRequest) -> None: ...


class QueueCursors(Protocol):
    async def take(self, department: str) -> int: ...


class NoticeRepository(Protocol):
    def add(self, notice: RefusalNotice) -> None: ...


class GatewayUnitOfWork(Protocol):
    @property
    def requests(self) -> RequestRepository: ...

    @property
    def cursors(self) -> QueueCursors: ...

    @property
    def notices(self) -> NoticeRepository: ...

    async def send_again(self, event_id: UUID) -> None: ...


class SqlGatewayUnitOfWork:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.requests = SqlRequests(uow)
        self.cursors = SqlQueueCursors(uow)
        self.notices = SqlNotices(uow)

    async def send_again(self, event_id: UUID) -> None:
        await self._uow.republish(event_id)  # one whose first send is still waiting goes out anyway

    async def publish(self) -> None:
        await self.requests.save()
        await self.notices.save()
        publish_recorded(self.requests.seen, self._uow.emit)


def publish_recorded(requests: Iterable[QueuedRequest], emit: Emit) -> None:
    """Every event the requests recorded, as the messages it makes (``adapters.messages``), in the order it happened
    per request; each about its case."""
    for request in requests:
        for event in request.collect():
            stage(request_messages(request, event), subject=request.case_id, emit=emit)


def gateway_work(database: Database) -> AbstractAsyncContextManager[SqlGatewayUnitOfWork]:
    """One transaction of the gateway's own (an answer, an acknowledgement, a callback attempt, a re-drive)."""
    return service_work(database, SqlGatewayUnitOfWork)


P = TypeVar("P", bound=EventPayload)


def in_gateway_work(use_case: Callable[[GatewayUnitOfWork, Envelope, P], Awaitable[None]]
                    ) -> Callable[[UnitOfWork, Envelope, P], Awaitable[None]]:
    """A consumer handler running ``use_case`` in the transaction the consumer runner opened for the event."""
    return in_work(SqlGatewayUnitOfWork, use_case)
