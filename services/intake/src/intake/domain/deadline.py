"""Bundle time limit (一件事办结时限, R-05) and each item's promised limit (承诺时限). Pure.

Seed 000: 「可同步办理的事项以单个事项的最长办理时限确定为该类事项的办结时限，需按先后顺序办理的事项，
以各单个事项的法定时限相加后压缩70%以上」.

* Items handled in parallel take the longest of their limits.
* A chain of items handled in sequence takes at most ``compression`` (30%) of the sum of its statutory
  limits, rounded **down** to whole working days (35 days → 10, never 11, which is more than 30%), but
  at least one working day when any of its items takes time; a chain of 即办 items takes 0.
* The bundle limit is the largest over every chain from an item without prerequisites to an item
  nothing waits for.
* 承诺时限: a compressed chain may be shorter than one of its own items (a 20-day item in a 6-day
  chain), so each item is promised a share of its chain's limit and its clock runs on that share. The
  share is never more than the item's statutory limit, is at least one working day for an item that
  takes time whenever the chain's limit has a day for each, and the shares of a chain add up to its
  limit: shared in proportion to the statutory limits (largest remainder, ties to the earlier item),
  then an item left at 0 takes a day from the largest share (the later one on a tie). An item on several
  chains keeps its smallest share. So along every chain the promises add up to at most the
  chain's limit: while every item keeps its promise, the case keeps its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from onething_catalogue.model import Item

__all__ = ["BundleDeadline", "Chain", "bundle_deadline", "chain_limit", "promised_shares"]


@dataclass(frozen=True, slots=True)
class Chain:
    items: tuple[str, ...]
    statutory_days: int  # Σ of the items' statutory limits
    limit_days: int  # what the chain may take
    promised_days: tuple[int, ...]  # each item's share of limit_days, in the order of items


@dataclass(frozen=True, slots=True)
class BundleDeadline:
    limit_days: int
    statutory_days: int  # what the items would take one after another without the reform
    chains: tuple[Chain, ...]

    @property
    def critical(self) -> Chain:
        return max(self.chains, key=lambda c: (c.limit_days, len(c.items)))

    @property
    def promised_days(self) -> dict[str, int]:
        """Each item's promised limit (承诺时限): its smallest share over the chains it is on."""
        promised: dict[str, int] = {}
        for chain in self.chains:
            for code, days in zip(chain.items, chain.promised_days, strict=True):
                promised[code] = min(days, promised.get(code, days))
        return promised


def chain_limit(statutory: Sequence[int], compression: float) -> int:
    """R-05 for one chain: a lone item keeps its limit; a sequence ⌊compression × Σ⌋, at least 1 day."""
    total = sum(statutory)
    if len(statutory) == 1 or total == 0:
        return total
    # str(): the compression is a decimal setting (0.3), so 0.3 × 70 is 21 exactly, not 20.999…
    return max(1, int(Fraction(str(compression)) * total))


def promised_shares(limit: int, statutory: Sequence[int]) -> tuple[int, ...]:
    """``limit`` working days shared out over a chain's items (see the module docstring)."""
    total = sum(statutory)
    if total == 0:
        return tuple(0 for _ in statutory)
    quotas = [Fraction(limit * s, total) for s in statutory]
    shares = [int(q) for q in quotas]
    by_remainder = sorted(range(len(quotas)), key=lambda n: (shares[n] - quotas[n], n))
    for n in by_remainder[:limit - sum(shares)]:
        shares[n] += 1
    if limit >= sum(1 for s in statutory if s):  # a day for each item that takes time: lift the ones left at 0
        for n, s in enumerate(statutory):
            if s and not shares[n]:
                donor = max(range(len(shares)), key=lambda m: (shares[m], m))
                shares[donor] -= 1
                shares[n] = 1
    return tuple(shares)


def bundle_deadline(items: list[Item], compression: float) -> BundleDeadline:
    selected = {i.code: i for i in items}
    requires = {c: tuple(r for r in i.requires if r in selected) for c, i in selected.items()}
    needed_by = {c for reqs in requires.values() for c in reqs}
    chains: list[Chain] = []

    def walk(code: str, path: tuple[str, ...]) -> None:
        path = (code, *path)
        if not requires[code]:
            statutory = [selected[c].time_limit_days for c in path]
            limit = chain_limit(statutory, compression)
            chains.append(Chain(path, sum(statutory), limit, promised_shares(limit, statutory)))
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
