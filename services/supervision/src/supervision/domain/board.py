"""The supervision board's rules (电子监察看板): which cards are still open across cases, how far past its limit
each one's clock is, and which departments hold the most late clocks. Pure.

* A card on a clock (item, case or rectification) is open while that clock runs: the department has not answered.
  A card with no clock of its own (a forced stop, 强制停止实施; an undeliverable request) is open while its case is
  not delivered.
* On one clock a red card (红牌) supersedes its yellow one (黄牌): the board shows the clock's worst card once.
* Open cards are listed red first, then the furthest past the limit, then the oldest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

__all__ = ["BoardCard", "ClockNow", "LateCount", "late_clocks_by_department", "open_cards"]

_SEVERITY = {"red": 2, "yellow": 1}


@dataclass(frozen=True, slots=True)
class ClockNow:
    """A clock as the board judges it today."""

    clock_id: str
    department: str
    kind: str  # item | case | rectification
    finished: bool
    due_on: date  # after extensions and suspensions
    working_days_left: int  # negative once overdue: by the working days since the due date

    @property
    def late(self) -> bool:
        return not self.finished and self.working_days_left < 0


@dataclass(frozen=True, slots=True)
class BoardCard:
    card_id: str
    clock_id: str
    case_id: str
    item_code: str | None
    department: str
    colour: str  # yellow | red
    reason: str  # near_deadline | overdue | beyond_list | undeliverable …
    issued_on: date
    due_on: date
    text_zh: str
    clock_kind: str | None = None  # None: a card with no clock of its own
    working_days_past: int = 0  # past the limit as of today (0 while still within it)
    open: bool = True


@dataclass(frozen=True, slots=True)
class LateCount:
    department: str
    late_clocks: int
    worst_working_days_past: int


def judged(card: BoardCard, clocks: Mapping[str, ClockNow], delivered_cases: frozenset[str]) -> BoardCard:
    """``card`` with whether it is open and how far past its limit its clock is today."""
    clock = clocks.get(card.clock_id)
    if clock is None:
        return replace(card, open=card.case_id not in delivered_cases)
    return replace(card, clock_kind=clock.kind, due_on=clock.due_on, open=not clock.finished,
                   working_days_past=max(0, -clock.working_days_left))


def open_cards(cards: Iterable[BoardCard], clocks: Mapping[str, ClockNow], delivered_cases: frozenset[str],
               *, only_open: bool = True) -> list[BoardCard]:
    """The board's cards: each clock's worst card (open ones only unless ``only_open`` is False), red first, then
    the furthest past the limit, then the oldest."""
    worst: dict[str, BoardCard] = {}
    for card in (judged(c, clocks, delivered_cases) for c in cards):
        if only_open and not card.open:
            continue
        kept = worst.get(card.clock_id)
        if kept is None or _SEVERITY.get(card.colour, 0) > _SEVERITY.get(kept.colour, 0):
            worst[card.clock_id] = card
    return sorted(worst.values(), key=lambda c: (-_SEVERITY.get(c.colour, 0), -c.working_days_past, c.issued_on,
                                                 c.case_id, c.item_code or ""))


def late_clocks_by_department(clocks: Sequence[ClockNow]) -> list[LateCount]:
    """Departments holding late clocks (running past their due date), the most first (阻塞部门)."""
    late = [c for c in clocks if c.late]
    counts = Counter(c.department for c in late)
    worst: dict[str, int] = {}
    for clock in late:
        worst[clock.department] = max(worst.get(clock.department, 0), -clock.working_days_left)
    return sorted((LateCount(d, n, worst[d]) for d, n in counts.items()),
                  key=lambda c: (-c.late_clocks, -c.worst_working_days_past, c.department))
