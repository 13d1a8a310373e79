"""Dispatch's unit of work in memory, for fast tests of its use cases: the same aggregates, the same messages
(``adapters.messages`` through ``unit_of_work.publish_recorded``), no database. A transaction works on copies of what it
loads and keeps them, with what it emitted, only if the use case returns: one that raises leaves nothing, as a
rollback would. The PostgreSQL tests cover the repositories and the outbox (``test_dispatch_repositories.py``,
``test_dispatch_answer_deadlines.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from dispatch.domain.deadlines import RequestState
from dispatch.domain.model import Case
from dispatch.domain.requests import DepartmentRequest
from dispatch.service_layer.unit_of_work import publish_recorded
from exchange.testing.memory import Copies, Staged, StagingOutbox

__all__ = ["FakeDispatch", "Staged"]


@dataclass
class FakeDispatch:
    """Dispatch's state and outbox, committed."""

    cases: dict[str, Case] = field(default_factory=dict)
    requests: dict[str, DepartmentRequest] = field(default_factory=dict)
    outbox: list[Staged] = field(default_factory=list)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[_Transaction]:
        work = _Transaction(self)
        yield work
        work.commit()

    def staged(self, event_type: str | None = None) -> list[Staged]:
        return [s for s in self.outbox if event_type is None or s.envelope["type"] == event_type]


class _Requests(Copies[DepartmentRequest]):
    async def open_sent_before(self, before: datetime) -> list[str]:
        # Committed requests only, as the SQL read sees them (this transaction's rows are written at its end).
        return [r.request_id for r in self._committed.values()
                if r.state is RequestState.OPEN and r.last_sent_at <= before]

    async def receipted_unanswered(self) -> list[str]:
        return [r.request_id for r in self._committed.values() if r.state is RequestState.RECEIVED]


class _Transaction:
    def __init__(self, store: FakeDispatch) -> None:
        self._store = store
        self.cases = Copies(store.cases, lambda case: case.case_id)
        self.requests = _Requests(store.requests, lambda request: request.request_id)
        self._outbox = StagingOutbox("dispatch")
        self._send_again: set[str] = set()

    async def send_again(self, event_id: UUID) -> bool:
        found = [s for s in self._store.outbox if s.event_id == str(event_id) and s.published]
        self._send_again.update(s.event_id for s in found)
        return bool(found)

    async def unsent(self, event_id: UUID) -> bool:
        return any(s.event_id == str(event_id) and not s.published for s in self._store.outbox + self._outbox.staged)

    def commit(self) -> None:
        publish_recorded(self.cases.seen.values(), self.requests.seen.values(), self._outbox.emit)
        self.cases.commit()
        self.requests.commit()
        for staged in self._store.outbox:
            if staged.event_id in self._send_again:
                staged.published = False
        self._store.outbox.extend(self._outbox.staged)
