"""Bundle time limit (一件事办结时限, R-05). Pure.

Items handled in parallel take the longest of their limits; a chain of items handled in sequence
takes at most ``compression`` (30%) of the sum of its statutory limits, rounded up to whole working
days. The bundle limit is the largest over every chain from an item without prerequisites to an item
nothing waits for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from intake.catalogue.model import Item

__all__ = ["BundleDeadline", "Chain", "bundle_deadline"]


@dataclass(frozen=True, slots=True)
class Chain:
    items: tuple[str, ...]
    statutory_days: int  # Σ of the items' statutory limits
    limit_days: int  # what the chain may take


@dataclass(frozen=True, slots=True)
class BundleDeadline:
    limit_days: int
    statutory_days: int  # what the items would take one after another without the reform
    chains: tuple[Chain, ...]

    @property
    def critical(self) -> Chain:
        return max(self.chains, key=lambda c: (c.limit_days, len(c.items)))


def bundle_deadline(items: list[Item], compression: float) -> BundleDeadline:
    selected = {i.code: i for i in items}
    requires = {c: tuple(r for r in i.requires if r in selected) for c, i in selected.items()}
    needed_by = {c for reqs in requires.values() for c in reqs}
    chains: list[Chain] = []

    def walk(code: str, path: tuple[str, ...]) -> None:
        path = (code, *path)
        if not requires[code]:
            total = sum(selected[c].time_limit_days for c in path)
            limit = total if len(path) == 1 else math.ceil(round(compression * total, 6))
            chains.append(Chain(path, total, limit))
            return
        for req in requires[code]:
            walk(req, path)

    for code in selected:
        if code not in needed_by:  # an end of a chain
            walk(code, ())
    return BundleDeadline(
        limit_days=max((c.limit_days for c in chains), default=0),
        statutory_days=sum(i.time_limit_days for i in items),
        chains=tuple(chains),
    )
