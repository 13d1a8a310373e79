"""The gateway's unit of work in memory, for fast tests of its use cases: the same aggregate (``QueuedRequest``), the
same messages (``adapters.messages`` through ``unit_of_work.publish_recorded``), no database. A transaction works on
copies of what it loads and keeps them, with the queue positions it took, the notices it kept and what it emitted,
only if the use case returns: one that raises leaves nothing, as a rollback would.

The use cases take the transaction (``uow``) as a route or the consumer hands it to them; the callback job takes
:meth:`FakeGateway.unit_of_work` as its opener. The PostgreSQL (and SQLite) tests cover the repositories, the outbox,
the views and the HTTP edge (``test_gateway_api.py``, ``test_gateway_callbacks.py``, ``test_gateway_journey.py``)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from exchange.testing.memory import Copies, Counters, Staged, StagingOutbox
from gateway.domain.model import QueuedRequest, RefusalNotice
from gateway.domain.requests import Delivery
from gateway.service_layer.unit_of_work import publish_recorded

__all__ = ["FakeGateway", "Staged"]


@dataclass
class FakeGateway:
    """The gateway's state and outbox, committed."""

    requests: dict[str, QueuedRequest] = field(default_factory=dict)
    cursors: dict[str, int] = field(default_factory=dict)  # each department's next queue position
    notices: list[RefusalNotice] = field(default_factory=list)
    outbox: list[Staged] = field(default_factory=list)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[_Transaction]:
        work = _Transaction(self)
        yield work
        work.commit()

    def staged(self, event_type: str | None = None) -> list[Staged]:
        return [s for s in self.outbox if event_type is None or s.envelope["type"] == event_type]

    def published(self) -> None:
        """What the relay does once it sent the outbox: every message marked published."""
        for staged in self.outbox:
            staged.published = True


class _Requests(Copies[QueuedRequest]):
    def __init__(self, committed: dict[str, QueuedRequest]) -> None:
        super().__init__(committed, lambda request: request.request_id)
        self._all = committed

    async def get(self, key: str) -> QueuedRequest | None:
        """For update: ``SqlRequests.get`` locks the row and writes back what the use case changes."""
        return await self.get_for_update(key)

    async def due_for_callback(self, departments: Collection[str], now: datetime, limit: int) -> list[QueuedRequest]:
        """As ``SqlRequests.due_for_callback``: unanswered, pending, due by ``now``, oldest first; copies of the
        committed ones, read only (changing them changes nothing)."""
        due = sorted((r for r in self._all.values()
                      if r.department in departments and r.answered_at is None and r.delivery is Delivery.PENDING
                      and (r.next_delivery_at is None or r.next_delivery_at <= now)), key=lambda r: r.seq)
        return [copy.deepcopy(r) for r in due[:limit]]


class _Notices:
    """Refusal notices kept in this transaction."""

    def __init__(self) -> None:
        self.added: list[RefusalNotice] = []

    def add(self, notice: RefusalNotice) -> None:
        self.added.append(notice)


class _Transaction:
    def __init__(self, store: FakeGateway) -> None:
        self._store = store
        self.requests = _Requests(store.requests)
        self.cursors = Counters(store.cursors, first=1)
        self.notices = _Notices()
        self._outbox = StagingOutbox("gateway")
        self._send_again: set[str] = set()

    async def send_again(self, event_id: UUID) -> None:
        # As ``republish``: a message published goes out once more; one still waiting goes out anyway, once.
        self._send_again.add(str(event_id))

    def commit(self) -> None:
        publish_recorded(self.requests.seen.values(), self._outbox.emit)
        self.requests.commit()
        self.cursors.commit()
        self._store.notices.extend(self.notices.added)
        for staged in self._store.outbox:
            if staged.event_id in self._send_again:
                staged.published = False
        self._store.outbox.extend(self._outbox.staged)
