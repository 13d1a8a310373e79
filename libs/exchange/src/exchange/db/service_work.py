"""A service's own unit of work over the library's (服务工作单元).

Each service that keeps aggregates (dispatch first; ``docs/architecture.md``) has a typed unit of work with its
repositories (``uow.cases``, ``uow.licences``, …). It runs inside the library's :class:`UnitOfWork` (one
transaction with the inbox and outbox) and, when the use case returns, ``publish()``-es: writes back the
aggregates it handed out and stages the messages their recorded events make. A use case that raises publishes
nothing, and the transaction rolls back. These helpers open one, for a consumer's handler or a service's own
transaction (a route, a background job).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol, TypeVar

from contracts.envelope import Envelope, EventPayload
from exchange.db.database import Database
from exchange.db.unit_of_work import UnitOfWork

__all__ = ["ServiceWork", "in_work", "service_work", "work_over"]


class ServiceWork(Protocol):
    def publish(self) -> None:
        """Write back every aggregate handed out and stage what they recorded."""
        ...


W = TypeVar("W", bound=ServiceWork)
P = TypeVar("P", bound=EventPayload)


@asynccontextmanager
async def work_over(uow: UnitOfWork, make: Callable[[UnitOfWork], W]) -> AsyncIterator[W]:
    """The service's unit of work in the transaction ``uow`` holds."""
    work = make(uow)
    yield work
    work.publish()


@asynccontextmanager
async def service_work(database: Database, make: Callable[[UnitOfWork], W]) -> AsyncIterator[W]:
    """The service's unit of work in a transaction of its own."""
    async with database.unit_of_work() as uow, work_over(uow, make) as work:
        yield work


def in_work(make: Callable[[UnitOfWork], W], use_case: Callable[[W, Envelope, P], Awaitable[None]]
            ) -> Callable[[UnitOfWork, Envelope, P], Awaitable[None]]:
    """A consumer handler running ``use_case`` in the transaction the consumer runner opened for the event."""
    async def handle(uow: UnitOfWork, envelope: Envelope, payload: P) -> None:
        async with work_over(uow, make) as work:
            await use_case(work, envelope, payload)

    return handle
