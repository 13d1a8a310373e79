"""Aggregates (聚合): the one place a service's state changes, and what they record of it.

An aggregate is a plain dataclass of a service's domain: its methods check the rules and change its state, and record
what happened as domain events (领域事件). It does no I/O. The service's repositories load and save it, and its unit of
work turns the recorded events into contract payloads in the outbox, in the same transaction as the state
(``docs/architecture.md``, "Where a rule lives").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["Aggregate"]

E = TypeVar("E")


@dataclass
class Aggregate(Generic[E]):
    """Base of an aggregate root recording events of type ``E``."""

    _events: list[E] = field(default_factory=list, init=False, repr=False, compare=False)

    def record(self, event: E) -> None:
        self._events.append(event)

    @property
    def recorded(self) -> tuple[E, ...]:
        """The events recorded since the aggregate was loaded or last collected, oldest first."""
        return tuple(self._events)

    def collect(self) -> list[E]:
        """Hand over the recorded events (to be published) and forget them."""
        events, self._events = self._events, []
        return events
