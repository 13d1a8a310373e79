"""The gateway's unit of work in memory, for fast tests of its use cases: the same aggregate (``QueuedRequest``), the
same messages (``adapters.messages`` through ``unit_of_work.publish_recorded``), no database. A transaction works on
copies of what it loads and keeps them, with the queue positions it took, the notices it kept and what it emitted,
only if the use case returns: one that raises leaves nothing, as a rollback would.

Most of the gateway's use cases open their own transaction on the database (``gateway_work(database)``: an answer,
an acknowledgement, a re-drive, a callback attempt) and read a view after (``views.one``, ``views.due_for_callback``):
:meth:`FakeGateway.stand_in` has them open this fake's and read its dicts instead, and :data:`NO_DATABASE` is the
database they are handed (anything that reached for a real one would fail).

The PostgreSQL (and SQLite) tests cover the repositories, the outbox, the views and the HTTP edge
(``test_gateway_api.py``, ``test_gateway_callbacks.py``, ``test_gateway_journey.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast
from uuid import UUID

import pytest

from exchange.db.database import Database
from exchange.testing.memory import Copies, Staged, StagingOutbox
from gateway.adapters import views
from gateway.adapters.tables import RequestRow
from gateway.domain.errors import UnknownRequest
from gateway.domain.model import QueuedRequest, RefusalNotice
from gateway.domain.requests import Delivery
from gateway.service_layer import answering, delivery, queue
from gateway.service_layer.unit_of_work import publish_recorded

__all__ = ["NO_DATABASE", "FakeGateway", "Staged"]

NO_DATABASE = cast(Database, object())  # what the use cases are handed: the fake's stand-ins never read it


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

    def stand_in(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The use cases that open their own transaction open this fake's, and read its dicts for the views."""
        for module in (answering, queue, delivery):
            monkeypatch.setattr(module, "gateway_work", lambda database: self.unit_of_work())
        monkeypatch.setattr(views, "one", self._one)
        monkeypatch.setattr(views, "due_for_callback", self._due_for_callback)

    async def _one(self, database: Database, department: str, request_id: UUID) -> RequestRow:
        """``views.one`` over the dicts."""
        found = self.requests.get(str(request_id))
        if found is None or found.department != department:
            raise UnknownRequest(department, str(request_id))
        return _row(found)

    async def _due_for_callback(self, database: Database, departments: Collection[str], now: datetime,
                                limit: int) -> list[RequestRow]:
        """``views.due_for_callback`` over the dicts: unanswered, pending, due by ``now``, oldest first."""
        due = sorted((r for r in self.requests.values()
                      if r.department in departments and r.answered_at is None and r.delivery is Delivery.PENDING
                      and (r.next_delivery_at is None or r.next_delivery_at <= now)), key=lambda r: r.seq)
        return [_row(r) for r in due[:limit]]


def _row(request: QueuedRequest) -> RequestRow:
    """The request as its table row (``SqlRequests.add`` and ``save``), as the views hand it out."""
    return RequestRow(
        request_id=request.request_id, department=request.department, seq=request.seq, kind=request.kind.value,
        case_id=request.case_id, item_code=request.item_code, envelope=request.envelope,
        received_at=request.received_at, receipt_event_id=request.receipt_event_id, delivery=request.delivery.value,
        delivery_attempts=request.delivery_attempts, next_delivery_at=request.next_delivery_at,
        last_delivery_error=request.last_delivery_error, delivered_at=request.delivered_at, answer=request.answer,
        answer_event_id=request.answer_event_id, answered_at=request.answered_at)


class _Requests(Copies[QueuedRequest]):
    async def get(self, key: str) -> QueuedRequest | None:
        """For update: ``SqlRequests.get`` locks the row and writes back what the use case changes."""
        return await self.get_for_update(key)


class _Cursors:
    """Queue positions taken in this transaction, beside those committed."""

    def __init__(self, committed: dict[str, int]) -> None:
        self._committed = committed
        self.taken: dict[str, int] = {}

    async def take(self, department: str) -> int:
        seq = self.taken.get(department, self._committed.get(department, 1))
        self.taken[department] = seq + 1
        return seq

    def commit(self) -> None:
        self._committed.update(self.taken)


class _Notices:
    """Refusal notices kept in this transaction."""

    def __init__(self) -> None:
        self.added: list[RefusalNotice] = []

    def add(self, notice: RefusalNotice) -> None:
        self.added.append(notice)


class _Transaction:
    def __init__(self, store: FakeGateway) -> None:
        self._store = store
        self.requests = _Requests(store.requests, lambda request: request.request_id)
        self.cursors = _Cursors(store.cursors)
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
