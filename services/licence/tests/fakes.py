"""Licence's unit of work in memory, for fast tests of its use cases: the same aggregates, the same messages
(``adapters.messages`` through ``unit_of_work.publish_recorded``, and ``send`` staging a lookup's answer as the SQL
unit of work does), no database. A transaction works on copies of what it loads, takes status-list places from a
copy of the counters, and keeps them, with what it emitted, only if the use case returns: one that raises leaves
nothing, as a rollback would. The PostgreSQL tests cover the repositories, the ledger of status changes, the
counters under concurrency and the outbox (``test_licence_issuing.py``, ``test_licence_sharing.py``,
``test_licence_api.py``)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from contracts.licence.v1 import LicenceState
from exchange.db.service_work import Message, stage
from exchange.testing.memory import Copies, Counters, Staged, StagingOutbox
from licence.domain.model import Licence
from licence.service_layer.unit_of_work import publish_recorded

__all__ = ["FakeLicence", "Staged"]


@dataclass
class FakeLicence:
    """Licence's state and outbox, committed."""

    licences: dict[str, Licence] = field(default_factory=dict)
    next_index: dict[str, int] = field(default_factory=dict)  # department -> its next place in its status lists
    outbox: list[Staged] = field(default_factory=list)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[_Transaction]:
        work = _Transaction(self)
        yield work
        work.commit()

    def staged(self, event_type: str | None = None) -> list[Staged]:
        return [s for s in self.outbox if event_type is None or s.envelope["type"] == event_type]


class _Licences(Copies[Licence]):
    async def active_held_by(self, holder_id: str) -> list[Licence]:
        # Committed licences only, as the SQL read sees them (this transaction's rows are written at its end), oldest
        # first; copies, never written back.
        held = [lic for lic in self._committed.values()
                if lic.holder_id == holder_id and lic.state is LicenceState.ACTIVE]
        return [copy.deepcopy(lic) for lic in sorted(held, key=lambda lic: (lic.issued_at, lic.licence_id))]


class _Transaction:
    def __init__(self, store: FakeLicence) -> None:
        self._store = store
        self.licences = _Licences(store.licences, lambda licence: licence.licence_id)
        self.status_indexes = Counters(store.next_index, first=0)
        self._outbox = StagingOutbox("licence")

    def send(self, message: Message, *, subject: str) -> None:
        stage([message], subject=subject, emit=self._outbox.emit)

    def commit(self) -> None:
        publish_recorded(self.licences.seen.values(), self._outbox.emit)
        self.licences.commit()
        self.status_indexes.commit()
        self._store.outbox.extend(self._outbox.staged)
