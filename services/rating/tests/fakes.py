"""Rating's unit of work in memory, for fast tests of its use cases: the same aggregates, the same messages
(``adapters.messages`` through ``unit_of_work.publish_recorded``), no database. A transaction works on copies of what it
loads and keeps them, with what it emitted and the figures it kept, only if the use case returns: one that raises
leaves nothing, as a rollback would. The look-ups by appeal, clock and red card read what is committed, as the SQL
queries do. The PostgreSQL tests cover the repositories, the outbox and the routes (``test_rating_api.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date

from contracts.rating.v1 import RatingFigures
from exchange.testing.memory import Copies, Staged, StagingOutbox
from rating.domain.model import Order, RatedCase
from rating.service_layer.unit_of_work import publish_recorded

__all__ = ["FakeRating", "FigureKey", "Staged"]

FigureKey = tuple[str, date, str, str]  # period, period start, by, key: the figure's row in SQL


@dataclass
class FakeRating:
    """Rating's state and outbox, committed."""

    cases: dict[str, RatedCase] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    figures: dict[FigureKey, RatingFigures] = field(default_factory=dict)
    outbox: list[Staged] = field(default_factory=list)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[_Transaction]:
        work = _Transaction(self)
        yield work
        work.commit()

    def staged(self, event_type: str | None = None) -> list[Staged]:
        return [s for s in self.outbox if event_type is None or s.envelope["type"] == event_type]


class _Cases(Copies[RatedCase]):
    async def get(self, key: str, *, for_update: bool = False) -> RatedCase | None:
        """Locked or not, the SQL repository keeps every case it loads and writes it back (a rating is taken on an
        unlocked read: the database's unique rating id settles a race)."""
        return await self.get_for_update(key)


class _Orders(Copies[Order]):
    """Every order loaded is locked and kept, as :class:`rating.adapters.repositories.SqlOrders` does."""

    async def get(self, key: str) -> Order | None:
        return await self.get_for_update(key)

    async def with_appeal(self, appeal_id: str) -> Order | None:
        return await self._committed_one(lambda o: o.appeal is not None and o.appeal.appeal_id == appeal_id)

    async def on_clock(self, clock_id: str) -> Order | None:
        return await self._committed_one(lambda o: o.clock_id == clock_id)

    async def with_red_card(self, card_id: str) -> Order | None:
        return await self._committed_one(lambda o: o.red_card_id == card_id)

    async def _committed_one(self, matches: Callable[[Order], bool]) -> Order | None:
        # Committed orders only, as the SQL reads see them: this transaction's rows are written at its end.
        found = next((key for key, order in self._committed.items() if matches(order)), None)
        return None if found is None else await self.get_for_update(found)


class _Figures:
    """The latest value of each figure, kept on commit."""

    def __init__(self) -> None:
        self.kept: dict[FigureKey, RatingFigures] = {}

    async def keep_latest(self, figures: RatingFigures) -> None:
        self.kept[(figures.period.value, figures.period_start, figures.by.value, figures.key)] = figures


class _Transaction:
    def __init__(self, store: FakeRating) -> None:
        self._store = store
        self.cases = _Cases(store.cases, lambda case: case.case_id)
        self.orders = _Orders(store.orders, lambda order: order.rectification_id)
        self.figures = _Figures()
        self._outbox = StagingOutbox("rating")

    def commit(self) -> None:
        publish_recorded(self.cases.seen.values(), self.orders.seen.values(), self._outbox.emit)
        self.cases.commit()
        self.orders.commit()
        self._store.figures.update(self.figures.kept)
        self._store.outbox.extend(self._outbox.staged)
