"""Pieces of a service's unit of work in memory, for fast tests of its use cases (a service's ``tests/fakes.py``
builds its fake from them): a repository that hands out copies and keeps them only on commit, and an outbox that
stages messages as the real one would (topic, key, envelope id) without a database or a broker."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from contracts.envelope import Envelope, EventPayload
from contracts.topics import TopicSpec, default_topics

__all__ = ["Copies", "Counters", "Staged", "StagingOutbox"]

A = TypeVar("A")


@dataclass
class Staged:
    """A message as the outbox would hold it."""

    topic: str
    key: str
    event_id: str
    envelope: dict[str, Any]
    published: bool = False


class Copies(Generic[A]):
    """One transaction's aggregates of one kind: a copy of each committed one it loads, and each it adds. The
    transaction's ``commit`` writes ``seen`` back; one that raises leaves ``committed`` as it was, as a rollback
    would."""

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

    async def get(self, key: str) -> A | None:
        """As it stands, read only (a copy: changing it changes nothing)."""
        found = self.seen.get(key) or self._committed.get(key)
        return None if found is None else copy.deepcopy(found)

    def add(self, aggregate: A) -> None:
        self.seen[self._key(aggregate)] = aggregate

    def commit(self) -> None:
        self._committed.update(self.seen)


class Counters:
    """Numbers handed out per key (a department's queue positions, its places in its status lists) in one
    transaction, on top of those committed; ``commit`` keeps them, a transaction that raises gives them back."""

    def __init__(self, committed: dict[str, int], *, first: int) -> None:
        self._committed = committed
        self._first = first
        self.taken: dict[str, int] = {}

    async def take(self, key: str) -> int:
        number = self.taken.get(key, self._committed.get(key, self._first))
        self.taken[key] = number + 1
        return number

    def commit(self) -> None:
        self._committed.update(self.taken)


class StagingOutbox:
    """``emit`` as :meth:`exchange.db.unit_of_work.UnitOfWork.emit` stages it: one envelope, a row per topic, keyed
    per topic, signed as ``source`` unless the message names another, continuing ``cause``'s flow when the message
    names one (the event being handled, the real one's default, is not known here)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.staged: list[Staged] = []

    def emit(self, payload: EventPayload, *, subject: str, topics: Sequence[TopicSpec] | None = None,
             key_by_topic: Mapping[str, str] | None = None,
             event_id: UUID | None = None, source: str | None = None, cause: Envelope | None = None) -> Envelope:
        envelope = Envelope.wrap(payload, source=source or self.source, subject=subject, event_id=event_id,
                                 correlation_id=cause.correlation_id if cause else None,
                                 causation_id=cause.id if cause else None)
        for spec in topics or default_topics(payload.event_type):
            key_here = spec.record_key(payload, (key_by_topic or {}).get(spec.name) or subject)
            self.staged.append(Staged(spec.name, key_here, str(envelope.id), envelope.to_wire()))
        return envelope
