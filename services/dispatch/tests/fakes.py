"""Dispatch's unit of work in memory, for fast tests of its use cases: the same aggregates, the same messages
(``adapters.messages`` through ``unit_of_work.publish_recorded``), no database. A transaction works on copies of what it
loads and keeps them, with what it emitted, only if the use case returns: one that raises leaves nothing, as a
rollback would. The PostgreSQL tests cover the repositories and the outbox (``test_dispatch_repositories.py``,
``test_dispatch_answer_deadlines.py``)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

from contracts.envelope import Envelope, EventPayload
from contracts.topics import TopicSpec, default_topics
from dispatch.domain.model import Case
from dispatch.domain.requests import DepartmentRequest
from dispatch.service_layer.unit_of_work import publish_recorded

__all__ = ["FakeDispatch", "Staged"]

A = TypeVar("A")


@dataclass
class Staged:
    """A message as the outbox would hold it."""

    topic: str
    key: str
    event_id: str
    envelope: dict[str, Any]
    published: bool = False


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


class _Copies(Generic[A]):
    """One transaction's aggregates of one kind: a copy of each committed one it loads, and each it adds."""

    def __init__(self, committed: dict[str, A], key: Callable[[A], str]) -> None:
        self._committed = committed
        self._key = key
        self.seen: dict[str, A] = {}

    async def exists(self, key: str) -> bool:
        return key in self._committed or key in self.seen

    async def get_for_update(self, key: str) -> A | None:
        if key not in self.seen and key in self._committed:
            self.seen[key] = copy.deepcopy(self._committed[key])
        return self.seen.get(key)

    def add(self, aggregate: A) -> None:
        self.seen[self._key(aggregate)] = aggregate


class _Transaction:
    def __init__(self, store: FakeDispatch) -> None:
        self._store = store
        self.cases = _Copies(store.cases, lambda case: case.case_id)
        self.requests = _Copies(store.requests, lambda request: request.request_id)
        self._emitted: list[Staged] = []
        self._send_again: set[str] = set()

    async def send_again(self, event_id: UUID) -> bool:
        found = [s for s in self._store.outbox if s.event_id == str(event_id) and s.published]
        self._send_again.update(s.event_id for s in found)
        return bool(found)

    async def unsent(self, event_id: UUID) -> bool:
        return any(s.event_id == str(event_id) and not s.published for s in self._store.outbox + self._emitted)

    def _emit(self, payload: EventPayload, *, subject: str, topics: Sequence[TopicSpec] | None = None,
              key: str | None = None, key_by_topic: Mapping[str, str] | None = None,
              event_id: UUID | None = None, source: str | None = None, cause: Envelope | None = None) -> object:
        envelope = Envelope.wrap(payload, source=source or "dispatch", subject=subject, event_id=event_id)
        for spec in topics or default_topics(payload.event_type):
            key_here = (key_by_topic or {}).get(spec.name) or key or subject
            self._emitted.append(Staged(spec.name, key_here, str(envelope.id), envelope.to_wire()))
        return envelope

    def commit(self) -> None:
        publish_recorded(self.cases.seen.values(), self.requests.seen.values(), self._emit)
        self._store.cases.update(self.cases.seen)
        self._store.requests.update(self.requests.seen)
        for staged in self._store.outbox:
            if staged.event_id in self._send_again:
                staged.published = False
        self._store.outbox.extend(self._emitted)
