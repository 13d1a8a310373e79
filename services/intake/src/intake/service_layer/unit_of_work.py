"""Intake's unit of work for the case stream (工作单元): ``uow.cases`` hands out case aggregates, whose methods decide.
When the use case returns, :meth:`SqlIntakeUnitOfWork.publish` (run by ``exchange.db.service_work``) writes them
back with their timelines and turns a delivery into outbox messages (``adapters.messages``). A use case that raises
leaves nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from contracts.envelope import Envelope, EventPayload
from exchange.db.service_work import in_work, stage
from exchange.db.unit_of_work import UnitOfWork
from intake.adapters.messages import case_messages
from intake.adapters.repositories import SqlCases
from intake.domain.model import Case

__all__ = ["CaseRepository", "IntakeUnitOfWork", "in_intake_work"]


class CaseRepository(Protocol):
    async def get_for_update(self, case_id: str) -> Case | None: ...


class IntakeUnitOfWork(Protocol):
    @property
    def cases(self) -> CaseRepository: ...


class SqlIntakeUnitOfWork:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.cases = SqlCases(uow)

    def publish(self) -> None:
        self.cases.save()
        for case in self.cases.seen:
            for event in case.collect():
                stage(case_messages(case, event), subject=case.case_id, emit=self._uow.emit)


P = TypeVar("P", bound=EventPayload)


def in_intake_work(use_case: Callable[[IntakeUnitOfWork, Envelope, P], Awaitable[None]]
                   ) -> Callable[[UnitOfWork, Envelope, P], Awaitable[None]]:
    """A consumer handler running ``use_case`` in the transaction the consumer runner opened for the event."""
    return in_work(SqlIntakeUnitOfWork, use_case)
