"""Supervision's unit of work (工作单元): its repositories and outbox in one transaction.

Use cases take a :class:`SupervisionUnitOfWork`: ``uow.clocks`` and ``uow.cases`` hand out aggregates whose methods
decide; ``uow.cards`` and ``uow.flags`` take the cards and flags they issue; ``uow.audit`` keeps the audit trail.
When the use case returns, :meth:`SqlSupervisionUnitOfWork.publish` (run by ``exchange.db.service_work``) writes
everything back and turns what was recorded into outbox messages (``adapters.messages``): the clocks' events first,
then the flags, then the cards. A use case that raises leaves nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from contracts.envelope import Envelope, EventPayload
from exchange.db.database import Database
from exchange.db.service_work import Emit, in_work, service_work, stage
from exchange.db.unit_of_work import UnitOfWork
from supervision.adapters.messages import card_messages, clock_messages, flag_messages
from supervision.adapters.repositories import SqlAuditTrail, SqlCards, SqlCases, SqlClocks, SqlFlags
from supervision.domain.model import Card, Flag, SupervisedCase, SupervisedClock

__all__ = [
    "AuditTrail", "CardRepository", "CaseRepository", "ClockRepository", "FlagRepository", "SupervisionUnitOfWork",
    "in_supervision_work", "publish_recorded", "supervision_work",
]


class ClockRepository(Protocol):
    async def exists(self, clock_id: str) -> bool: ...

    async def open_ids(self) -> list[str]:
        """Every clock still running or suspended."""
        ...

    async def get_for_update(self, clock_id: str) -> SupervisedClock | None: ...

    def add(self, clock: SupervisedClock) -> None: ...


class CaseRepository(Protocol):
    async def exists(self, case_id: str) -> bool: ...

    async def get(self, case_id: str) -> SupervisedCase | None: ...

    async def get_for_update(self, case_id: str) -> SupervisedCase | None: ...

    async def open_of_applicant(self, applicant_ref: str) -> list[SupervisedCase]: ...

    def add(self, case: SupervisedCase) -> None: ...


class CardRepository(Protocol):
    async def exists(self, about: str, colour: str) -> bool: ...

    def add(self, card: Card) -> None: ...


class FlagRepository(Protocol):
    def add(self, flag: Flag) -> None: ...


class AuditTrail(Protocol):
    async def record(self, envelope: Envelope, item_code: str | None) -> None: ...


class SupervisionUnitOfWork(Protocol):
    @property
    def clocks(self) -> ClockRepository: ...

    @property
    def cases(self) -> CaseRepository: ...

    @property
    def cards(self) -> CardRepository: ...

    @property
    def flags(self) -> FlagRepository: ...

    @property
    def audit(self) -> AuditTrail: ...


class SqlSupervisionUnitOfWork:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.clocks = SqlClocks(uow)
        self.cases = SqlCases(uow)
        self.cards = SqlCards(uow)
        self.flags = SqlFlags(uow)
        self.audit = SqlAuditTrail(uow)

    async def publish(self) -> None:
        for repository in (self.clocks, self.cases, self.cards, self.flags):
            await repository.save()
        publish_recorded(self.clocks.seen, self.flags.added, self.cards.added, self._uow.emit)


def publish_recorded(clocks: Iterable[SupervisedClock], flags: Iterable[Flag], cards: Iterable[Card],
                     emit: Emit) -> None:
    """Every event the clocks, flags and cards recorded, as the messages it makes (``adapters.messages``): the clocks'
    first, then the flags, then the cards; each about its case."""
    for clock in clocks:
        for event in clock.collect():
            stage(clock_messages(clock, event), subject=clock.case_id, emit=emit)
    for flag in flags:
        if flag.collect():
            stage(flag_messages(flag), subject=flag.case_id, emit=emit)
    for card in cards:
        if card.collect():
            stage(card_messages(card), subject=card.case_id, emit=emit)


def supervision_work(database: Database) -> AbstractAsyncContextManager[SqlSupervisionUnitOfWork]:
    """One transaction of supervision's own (the scan of one clock, a supervisor's extension)."""
    return service_work(database, SqlSupervisionUnitOfWork)


P = TypeVar("P", bound=EventPayload)


def in_supervision_work(use_case: Callable[[SupervisionUnitOfWork, Envelope, P], Awaitable[None]]
                        ) -> Callable[[UnitOfWork, Envelope, P], Awaitable[None]]:
    """A consumer handler running ``use_case`` in the transaction the consumer runner opened for the event."""
    return in_work(SqlSupervisionUnitOfWork, use_case)
