"""Dispatch's unit of work (工作单元): its repositories and outbox in one transaction.

Use cases take a :class:`DispatchUnitOfWork`: ``uow.cases`` and ``uow.requests`` hand out aggregates, whose methods
decide. When the use case returns, :meth:`SqlDispatchUnitOfWork.publish` (run by ``exchange.db.service_work``)
writes every aggregate it touched back and turns the events they recorded into outbox messages
(``adapters.messages``), in the library's transaction with the inbox record. A use case that raises leaves
nothing: the transaction rolls back. Handler tests drive the same use cases on an
in-memory unit of work (``tests/fakes.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from contracts.envelope import Envelope, EventPayload
from dispatch.adapters.messages import case_messages, request_messages
from dispatch.adapters.repositories import SqlCases, SqlRequests
from dispatch.domain.model import Case
from dispatch.domain.requests import DepartmentRequest
from exchange.db.database import Database
from exchange.db.service_work import Emit, in_work, service_work, stage
from exchange.db.unit_of_work import UnitOfWork

__all__ = [
    "CaseRepository", "DispatchUnitOfWork", "RequestRepository", "dispatch_work", "in_dispatch_work",
    "publish_recorded",
]


class CaseRepository(Protocol):
    async def exists(self, case_id: str) -> bool: ...

    async def get_for_update(self, case_id: str) -> Case | None: ...

    def add(self, case: Case) -> None: ...


class RequestRepository(Protocol):
    async def get_for_update(self, request_id: str) -> DepartmentRequest | None: ...

    async def open_sent_before(self, before: datetime) -> list[str]:
        """Ids of the requests still waiting for a receipt whose last send was at or before ``before``."""
        ...

    async def receipted_unanswered(self) -> list[str]:
        """Ids of the requests a department receipted and has not answered yet."""
        ...

    def add(self, request: DepartmentRequest) -> None: ...


class DispatchUnitOfWork(Protocol):
    @property
    def cases(self) -> CaseRepository: ...

    @property
    def requests(self) -> RequestRepository: ...

    async def send_again(self, event_id: UUID) -> bool:
        """Mark a message dispatch published for publication once more, the very same envelope (a re-send); False
        when there is nothing to repeat (not published yet, or gone)."""
        ...

    async def unsent(self, event_id: UUID) -> bool:
        """Whether a message dispatch emitted still waits in its outbox."""
        ...


class SqlDispatchUnitOfWork:
    """:class:`DispatchUnitOfWork` over the library's unit of work (the transaction, inbox and outbox)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.cases = SqlCases(uow)
        self.requests = SqlRequests(uow)

    async def send_again(self, event_id: UUID) -> bool:
        return await self._uow.republish(event_id) > 0

    async def unsent(self, event_id: UUID) -> bool:
        return await self._uow.waiting(event_id)

    async def publish(self) -> None:
        """Write back what changed and stage what happened."""
        await self.cases.save()
        await self.requests.save()
        publish_recorded(self.cases.seen, self.requests.seen, self._uow.emit)


def publish_recorded(cases: Iterable[Case], requests: Iterable[DepartmentRequest], emit: Emit) -> None:
    """Every event the aggregates recorded, as the messages it makes (``adapters.messages``), in the order it
    happened per aggregate; each about its case."""
    for case in cases:
        for event in case.collect():
            stage(case_messages(case, event), subject=case.case_id, emit=emit)
    for request in requests:
        for parked in request.collect():
            stage(request_messages(request, parked), subject=request.case_id, emit=emit)


def dispatch_work(database: Database) -> AbstractAsyncContextManager[SqlDispatchUnitOfWork]:
    """One transaction of dispatch's own (an operator's re-drive, a deadline round)."""
    return service_work(database, SqlDispatchUnitOfWork)


P = TypeVar("P", bound=EventPayload)


def in_dispatch_work(use_case: Callable[[DispatchUnitOfWork, Envelope, P], Awaitable[None]]
                     ) -> Callable[[UnitOfWork, Envelope, P], Awaitable[None]]:
    """A consumer handler running ``use_case`` in the transaction the consumer runner opened for the event."""
    return in_work(SqlDispatchUnitOfWork, use_case)
