"""The identity map of a repository (标识映射): what one transaction's repository handed out, each aggregate with
the rows it was loaded from or will be written to.

A second load of the same id in the transaction returns the same aggregate (what one use case changed, the next
step sees), and when the use case returns the repository writes back exactly what it handed out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["Aggregates"]

A = TypeVar("A")  # the aggregate
R = TypeVar("R")  # the row it is built from


class Aggregates(Generic[A]):
    """The aggregates alone, for a repository whose rows ``exchange.db.rows.TableRows`` remembers."""

    def __init__(self) -> None:
        self._by_id: dict[str, A] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._by_id

    def get(self, key: str) -> A | None:
        return self._by_id.get(key)

    def add(self, key: str, aggregate: A) -> A:
        self._by_id[key] = aggregate
        return aggregate

    async def get_or_load(self, key: str, fetch: Callable[[], Awaitable[R | None]], build: Callable[[R], A]
                          ) -> A | None:
        """The aggregate handed out under ``key``; else the one ``build`` makes of what ``fetch`` finds (kept);
        else None."""
        if (found := self._by_id.get(key)) is not None:
            return found
        row = await fetch()
        return None if row is None else self.add(key, build(row))

    @property
    def all(self) -> list[A]:
        return list(self._by_id.values())
