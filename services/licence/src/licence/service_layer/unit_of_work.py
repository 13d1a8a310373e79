"""The licence service's unit of work (工作单元): its repositories and outbox in one transaction.

Use cases take a :class:`LicenceUnitOfWork`: ``uow.licences`` hands out licence aggregates, whose methods decide,
and ``uow.status_indexes`` a department's next place in its status lists. When the use case returns,
:meth:`SqlLicenceUnitOfWork.publish` (run by ``exchange.db.service_work``) writes the licences back and turns
what they recorded into outbox messages (``adapters.messages``); ``send`` stages a message no licence records
(the answer to a sharing lookup). A use case that raises leaves nothing. Handler tests drive the same use cases on
an in-memory unit of work (``tests/fakes.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from contracts.envelope import Envelope, EventPayload
from exchange.db.database import Database
from exchange.db.service_work import Emit, Message, in_work, service_work, stage
from exchange.db.unit_of_work import UnitOfWork
from licence.adapters.messages import licence_messages
from licence.adapters.repositories import SqlLicences, SqlStatusIndexes
from licence.domain.model import Licence

__all__ = [
    "LicenceRepository", "LicenceUnitOfWork", "StatusIndexes", "in_licence_work", "licence_work", "publish_recorded",
]


class LicenceRepository(Protocol):
    async def exists(self, licence_id: str) -> bool: ...

    async def get_for_update(self, licence_id: str) -> Licence | None: ...

    async def active_held_by(self, holder_id: str) -> list[Licence]: ...

    def add(self, licence: Licence) -> None: ...


class StatusIndexes(Protocol):
    async def take(self, department: str) -> int: ...


class LicenceUnitOfWork(Protocol):
    @property
    def licences(self) -> LicenceRepository: ...

    @property
    def status_indexes(self) -> StatusIndexes: ...

    def send(self, message: Message, *, subject: str) -> None:
        """Stage a message that is no licence's event (an answer to a lookup)."""
        ...


class SqlLicenceUnitOfWork:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.licences = SqlLicences(uow)
        self.status_indexes = SqlStatusIndexes(uow)

    def send(self, message: Message, *, subject: str) -> None:
        stage([message], subject=subject, emit=self._uow.emit)

    async def publish(self) -> None:
        await self.licences.save()
        publish_recorded(self.licences.seen, self._uow.emit)


def publish_recorded(licences: Iterable[Licence], emit: Emit) -> None:
    """Every event the licences recorded, as the messages it makes (``adapters.messages``), in the order it happened
    per licence; each about the licence's case."""
    for licence in licences:
        for event in licence.collect():
            stage(licence_messages(licence, event), subject=licence.case_id, emit=emit)


def licence_work(database: Database) -> AbstractAsyncContextManager[SqlLicenceUnitOfWork]:
    """One transaction of the licence service's own (a status change by the issuing department)."""
    return service_work(database, SqlLicenceUnitOfWork)


P = TypeVar("P", bound=EventPayload)


def in_licence_work(use_case: Callable[[LicenceUnitOfWork, Envelope, P], Awaitable[None]]
                    ) -> Callable[[UnitOfWork, Envelope, P], Awaitable[None]]:
    """A consumer handler running ``use_case`` in the transaction the consumer runner opened for the event."""
    return in_work(SqlLicenceUnitOfWork, use_case)
