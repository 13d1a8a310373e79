"""Intake's unit of work (工作单元): ``uow.cases`` hands out case aggregates, whose methods decide; ``uow.drafts`` and
``uow.blacklist`` are what an acceptance consults and claims, ``uow.delegations`` the applicants' 委托授权. When the use case returns,
:meth:`SqlIntakeUnitOfWork.publish` (run by ``exchange.db.service_work``) writes the cases back with their timelines
and turns what they recorded into outbox messages (``adapters.messages``, through :func:`publish_recorded`). A use
case that raises leaves nothing. A use case takes the unit of work its caller opened (a route: ``intake_work``, the
consumer: :func:`in_intake_work`), or, when it needs transactions of its own (an acceptance, a listing), an opener of
them (``exchange.db.service_work.Opener``: ``partial(intake_work, database)``); it reads through the repositories,
never a Database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from contracts.envelope import Envelope, EventPayload
from exchange.db.database import Database
from exchange.db.service_work import Emit, in_work, service_work, stage
from exchange.db.unit_of_work import UnitOfWork
from intake.adapters.messages import case_messages, draft_messages
from intake.adapters.repositories import SqlBlacklist, SqlCases, SqlDelegations, SqlDrafts
from intake.domain.blacklist import Listing
from intake.domain.delegation import Delegation
from intake.domain.draft import Draft
from intake.domain.model import Case, KeyedCase

__all__ = [
    "Blacklist", "CaseRepository", "Delegations", "Drafts", "IntakeUnitOfWork", "in_intake_work", "intake_work",
    "publish_recorded",
]


class CaseRepository(Protocol):
    async def get_for_update(self, case_id: str) -> Case | None: ...

    async def noted(self, case_id: str, kind: str) -> bool:
        """Whether the case's committed timeline has an entry of ``kind`` (read after the case is locked)."""
        ...

    async def by_idempotency_key(self, key: str) -> KeyedCase | None:
        """The case a request with this key (as stored) already made, if any."""
        ...

    def add(self, case: Case) -> None: ...


class Drafts(Protocol):
    async def get_for_update(self, draft_id: str) -> Draft | None: ...

    async def get(self, draft_id: str) -> Draft | None:
        """The draft as it stands, read only: what changes on it is not saved."""
        ...

    def add(self, draft: Draft) -> None: ...


class Delegations(Protocol):
    async def get_for_update(self, delegation_id: str) -> Delegation | None: ...

    async def between(self, *, principal_id: str, proxy_id: str) -> list[Delegation]:
        """Every authorisation ``principal_id`` gave ``proxy_id``, read only."""
        ...

    def add(self, delegation: Delegation) -> None: ...


class Blacklist(Protocol):
    async def get(self, id_number: str) -> Listing | None: ...

    def add(self, listing: Listing) -> None: ...


class IntakeUnitOfWork(Protocol):
    @property
    def cases(self) -> CaseRepository: ...

    @property
    def drafts(self) -> Drafts: ...

    @property
    def delegations(self) -> Delegations: ...

    @property
    def blacklist(self) -> Blacklist: ...


class SqlIntakeUnitOfWork:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.cases = SqlCases(uow)
        self.drafts = SqlDrafts(uow)
        self.delegations = SqlDelegations(uow)
        self.blacklist = SqlBlacklist(uow)

    async def publish(self) -> None:
        await self.cases.save()
        await self.drafts.save()
        await self.delegations.save()
        await self.blacklist.save()
        publish_recorded(self.cases.seen, self.drafts.seen, self._uow.emit)


def publish_recorded(cases: Iterable[Case], drafts: Iterable[Draft], emit: Emit) -> None:
    """Every event the cases and drafts recorded, as the messages it makes (``adapters.messages``), in the order it
    happened per aggregate: the cases' first, each about its case, then the drafts', each about its draft."""
    for case in cases:
        for event in case.collect():
            stage(case_messages(case, event), subject=case.case_id, emit=emit)
    for draft in drafts:
        for draft_event in draft.collect():
            stage(draft_messages(draft, draft_event), subject=draft.draft_id, emit=emit)


def intake_work(database: Database) -> AbstractAsyncContextManager[SqlIntakeUnitOfWork]:
    """One transaction of intake's own (an acceptance, a correction, a supplement)."""
    return service_work(database, SqlIntakeUnitOfWork)


P = TypeVar("P", bound=EventPayload)


def in_intake_work(use_case: Callable[[IntakeUnitOfWork, Envelope, P], Awaitable[None]]
                   ) -> Callable[[UnitOfWork, Envelope, P], Awaitable[None]]:
    """A consumer handler running ``use_case`` in the transaction the consumer runner opened for the event."""
    return in_work(SqlIntakeUnitOfWork, use_case)
