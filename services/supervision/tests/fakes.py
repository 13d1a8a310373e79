"""Supervision's unit of work in memory, for fast tests of its use cases: the same aggregates, the same messages
(``adapters.messages`` through ``unit_of_work.publish_recorded``), no database. A transaction works on copies of
what it loads and keeps them, with what it emitted, only if the use case returns. The PostgreSQL tests cover the
repositories, the outbox and the scan (``test_supervision_cards.py``, ``test_supervision_clocks.py``, …)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from contracts.envelope import Envelope
from exchange.testing.memory import Copies, Staged, StagingOutbox
from supervision.domain.model import Card, Flag, SupervisedCase, SupervisedClock
from supervision.service_layer.unit_of_work import publish_recorded

__all__ = ["FakeSupervision", "Staged"]


@dataclass
class FakeSupervision:
    """Supervision's state and outbox, committed."""

    clocks: dict[str, SupervisedClock] = field(default_factory=dict)
    cases: dict[str, SupervisedCase] = field(default_factory=dict)
    cards: list[Card] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    audited: list[str] = field(default_factory=list)  # event ids
    outbox: list[Staged] = field(default_factory=list)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[_Transaction]:
        work = _Transaction(self)
        yield work
        work.commit()

    def staged(self, event_type: str | None = None) -> list[Staged]:
        return [s for s in self.outbox if event_type is None or s.envelope["type"] == event_type]


class _Cases(Copies[SupervisedCase]):
    async def open_of_applicant(self, applicant_ref: str) -> list[SupervisedCase]:
        # Committed cases only, as the SQL read sees them: this transaction's rows are written at its end.
        return [c for c in self._committed.values() if c.applicant_ref == applicant_ref and c.delivered_on is None]


class _Clocks(Copies[SupervisedClock]):
    async def open_ids(self) -> list[str]:
        # Committed clocks only, as the SQL read sees them.
        return [c.clock_id for c in self._committed.values() if c.finished_on is None]


class _Issued:
    """Cards issued in this transaction, beside those committed."""

    def __init__(self, committed: list[Card]) -> None:
        self._committed = committed
        self.added: list[Card] = []

    async def exists(self, about: str, colour: str) -> bool:
        return any(c.about == about and c.colour == colour for c in self._committed + self.added)

    def add(self, card: Card) -> None:
        self.added.append(card)


class _Flags:
    def __init__(self) -> None:
        self.added: list[Flag] = []

    def add(self, flag: Flag) -> None:
        self.added.append(flag)


class _Audit:
    def __init__(self, committed: list[str]) -> None:
        self._committed = committed
        self.added: list[str] = []

    async def record(self, envelope: Envelope, item_code: str | None) -> None:
        if str(envelope.id) not in self._committed + self.added:
            self.added.append(str(envelope.id))


class _Transaction:
    def __init__(self, store: FakeSupervision) -> None:
        self._store = store
        self.clocks = _Clocks(store.clocks, lambda clock: clock.clock_id)
        self.cases = _Cases(store.cases, lambda case: case.case_id)
        self.cards = _Issued(store.cards)
        self.flags = _Flags()
        self.audit = _Audit(store.audited)
        self._outbox = StagingOutbox("supervision")

    def commit(self) -> None:
        publish_recorded(self.clocks.seen.values(), self.flags.added, self.cards.added, self._outbox.emit)
        self.clocks.commit()
        self.cases.commit()
        self._store.cards.extend(self.cards.added)
        self._store.flags.extend(self.flags.added)
        self._store.audited.extend(self.audit.added)
        self._store.outbox.extend(self._outbox.staged)
