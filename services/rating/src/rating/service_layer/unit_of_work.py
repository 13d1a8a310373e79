"""Rating's unit of work (工作单元): rated cases and rectification orders, and the outbox, in one transaction.

Use cases take a :class:`RatingUnitOfWork`; when they return, :meth:`SqlRatingUnitOfWork.publish` (run by
``exchange.db.service_work``) writes the aggregates back and stages what they recorded (``adapters.messages``,
through :func:`publish_recorded`). A use case that raises leaves nothing. Handler tests drive the same use cases on
an in-memory unit of work (``tests/fakes.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from contracts.envelope import Envelope, EventPayload
from contracts.rating.v1 import RatingFigures
from exchange.db.database import Database
from exchange.db.service_work import Emit, in_work, service_work, stage
from exchange.db.unit_of_work import UnitOfWork
from rating.adapters.messages import case_messages, order_messages
from rating.adapters.repositories import SqlFigures, SqlOrders, SqlRatedCases
from rating.domain.model import Order, RatedCase

__all__ = [
    "OrderRepository", "RatedCaseRepository", "RatingUnitOfWork", "in_rating_work", "publish_recorded", "rating_work",
]


class RatedCaseRepository(Protocol):
    async def get(self, case_id: str, *, for_update: bool = False) -> RatedCase | None: ...

    async def exists(self, case_id: str) -> bool: ...

    def add(self, case: RatedCase) -> None: ...


class OrderRepository(Protocol):
    async def get(self, rectification_id: str) -> Order | None: ...

    async def with_appeal(self, appeal_id: str) -> Order | None: ...

    async def on_clock(self, clock_id: str) -> Order | None: ...

    async def with_red_card(self, card_id: str) -> Order | None: ...

    def add(self, order: Order) -> None: ...


class FigureStore(Protocol):
    async def keep_latest(self, figures: RatingFigures) -> None: ...


class RatingUnitOfWork(Protocol):
    @property
    def cases(self) -> RatedCaseRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def figures(self) -> FigureStore: ...


class SqlRatingUnitOfWork:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.cases = SqlRatedCases(uow)
        self.orders = SqlOrders(uow)
        self.figures = SqlFigures(uow)

    async def publish(self) -> None:
        await self.cases.save()
        await self.orders.save()
        publish_recorded(self.cases.seen, self.orders.seen, self._uow.emit)


def publish_recorded(cases: Iterable[RatedCase], orders: Iterable[Order], emit: Emit) -> None:
    """Every event the rated cases and orders recorded, as the messages it makes (``adapters.messages``): the cases'
    first, then the orders'; in the order it happened per aggregate, each about its case."""
    for case in cases:
        for event in case.collect():
            stage(case_messages(case, event), subject=case.case_id, emit=emit)
    for order in orders:
        for step in order.collect():
            stage(order_messages(order, step), subject=order.case_id, emit=emit)


def rating_work(database: Database) -> AbstractAsyncContextManager[SqlRatingUnitOfWork]:
    """One transaction of rating's own (a rating, a report, a call-back, an appeal)."""
    return service_work(database, SqlRatingUnitOfWork)


P = TypeVar("P", bound=EventPayload)


def in_rating_work(use_case: Callable[[RatingUnitOfWork, Envelope, P], Awaitable[None]]
                   ) -> Callable[[UnitOfWork, Envelope, P], Awaitable[None]]:
    """A consumer handler running ``use_case`` in the transaction the consumer runner opened for the event."""
    return in_work(SqlRatingUnitOfWork, use_case)
