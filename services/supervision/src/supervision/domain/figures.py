"""Efficiency figures (办理效能) per department, item or window. Pure.

Two units, never mixed: ``cases`` counts cases (办件); ``items_released`` and ``items_finished`` count item
clocks (事项计时), one per release of an item to its department. A case whose three items were released under one
key counts once in ``cases`` and three times in ``items_released``.

* on-time rate: finished item clocks concluded on or before their due date / finished item clocks;
* mean and p90 handling time in working days per finished item clock (suspensions left out; p90 by nearest rank);
* yellow and red cards per 100 cases.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

__all__ = ["CardFact", "ClockFact", "Figure", "figures"]


@dataclass(frozen=True, slots=True)
class ClockFact:
    case_id: str
    keys: dict[str, str]  # dimension → value, e.g. {"department": "market", "item": "E-01-01", "window": "W03"}
    on_time: bool | None  # None while running
    handling_days: int | None


@dataclass(frozen=True, slots=True)
class CardFact:
    case_id: str
    keys: dict[str, str]
    colour: str


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    cases: int  # distinct cases with an item clock or a card under the key
    items_released: int  # item clocks started under the key
    items_finished: int  # of them, finished: the base of the on-time rate, mean and p90
    on_time_rate: float | None
    mean_days: float | None
    p90_days: int | None
    yellow_per_100: float
    red_per_100: float


def _p90(values: list[int]) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def figures(by: str, clocks: list[ClockFact], cards: list[CardFact]) -> list[Figure]:
    cases: dict[str, set[str]] = defaultdict(set)
    released: dict[str, int] = defaultdict(int)
    finished: dict[str, list[ClockFact]] = defaultdict(list)
    colours: dict[str, dict[str, int]] = defaultdict(lambda: {"yellow": 0, "red": 0})
    for clock in clocks:
        key = clock.keys.get(by)
        if key is None:
            continue
        cases[key].add(clock.case_id)
        released[key] += 1
        if clock.on_time is not None:
            finished[key].append(clock)
    for card in cards:
        key = card.keys.get(by)
        if key is not None:
            cases[key].add(card.case_id)
            colours[key][card.colour] += 1
    out = []
    for key in sorted(cases):
        done = finished[key]
        days = [c.handling_days for c in done if c.handling_days is not None]
        n = len(cases[key])
        out.append(Figure(
            key=key, cases=n, items_released=released[key], items_finished=len(done),
            on_time_rate=round(sum(1 for c in done if c.on_time) / len(done), 4) if done else None,
            mean_days=round(sum(days) / len(days), 2) if days else None, p90_days=_p90(days),
            yellow_per_100=round(100 * colours[key]["yellow"] / n, 2), red_per_100=round(100 * colours[key]["red"] / n, 2),
        ))
    return out
