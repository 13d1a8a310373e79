"""A service's own unit of work over the library's (服务工作单元).

Each service that keeps aggregates (dispatch first; ``docs/architecture.md``) has a typed unit of work with its
repositories (``uow.cases``, ``uow.licences``, …). It runs inside the library's :class:`UnitOfWork` (one
transaction with the inbox and outbox) and, when the use case returns, ``publish()``-es: writes back the
aggregates it handed out and stages the messages their recorded events make. A use case that raises publishes
nothing, and the transaction rolls back. These helpers open one, for a consumer's handler or a service's own
transaction (a route, a background job).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol, TypeAlias, TypeVar
from uuid import UUID

from contracts.envelope import Envelope, EventPayload
from contracts.topics import TopicSpec
from exchange.db.database import Database
from exchange.db.unit_of_work import UnitOfWork

__all__ = ["Emit", "Message", "Opener", "ServiceWork", "in_work", "service_work", "stage", "work_over"]


@dataclass(frozen=True, slots=True)
class Message:
    """A contract payload a domain event makes (a service's ``adapters/messages.py``), with where it goes: its topics
    (None: the event type's default topics), its envelope id (None: a new one), its record key on a topic whose key
    field the payload does not carry (otherwise :meth:`TopicSpec.record_key`), and who signs it and which flow it
    continues when not the defaults."""

    payload: EventPayload
    topics: Sequence[TopicSpec] | None = None
    event_id: UUID | None = None
    key_by_topic: Mapping[str, str] | None = None
    source: str | None = None  # published as another principal whose key the service holds (the gateway's departments)
    cause: Envelope | None = None  # the flow it continues, when not the event being handled


class Emit(Protocol):
    def __call__(self, payload: EventPayload, *, subject: str, topics: Sequence[TopicSpec] | None = None,
                 key_by_topic: Mapping[str, str] | None = None,
                 event_id: UUID | None = None, source: str | None = None, cause: Envelope | None = None) -> object: ...


def stage(messages: Iterable[Message], *, subject: str, emit: Emit) -> None:
    """Stage each message about ``subject`` through ``emit`` (:meth:`UnitOfWork.emit`, or a test's fake)."""
    for m in messages:
        emit(m.payload, subject=subject, topics=m.topics, key_by_topic=m.key_by_topic,
             event_id=m.event_id, source=m.source, cause=m.cause)


class ServiceWork(Protocol):
    async def publish(self) -> None:
        """Write back every aggregate handed out and stage what they recorded."""
        ...


W = TypeVar("W", bound=ServiceWork)
P = TypeVar("P", bound=EventPayload)
U = TypeVar("U")

# How a use case that needs transactions of its own gets them (a route's, a background job's): ``async with
# work() as uow``. In production ``partial(<service>_work, database)``, in a test the in-memory fake's
# ``unit_of_work``; a use case takes ``work: Opener[<Service>UnitOfWork]``, never a Database.
Opener: TypeAlias = Callable[[], AbstractAsyncContextManager[U]]


@asynccontextmanager
async def work_over(uow: UnitOfWork, make: Callable[[UnitOfWork], W]) -> AsyncIterator[W]:
    """The service's unit of work in the transaction ``uow`` holds."""
    work = make(uow)
    yield work
    await work.publish()


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
