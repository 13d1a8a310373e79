"""Yellow and red cards (红黄牌) and supervision orders (督办). Pure.

* Yellow: an unfinished, running clock with ``threshold`` working days or fewer left (default one).
* Red, with a supervision order: an unfinished clock past its due date.
* A suspended clock earns no card: the time is the applicant's, not the department's.
Each (clock, colour) is issued once; the caller keeps the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts.workdays import WorkingCalendar
from supervision.domain.clocks import Clock

__all__ = ["CardDue", "cards_due"]


@dataclass(frozen=True, slots=True)
class CardDue:
    colour: str  # yellow | red
    reason: str  # near_deadline | overdue
    due_on: date
    working_days_left: int


def cards_due(clock: Clock, today: date, calendar: WorkingCalendar, *, threshold: int = 1,
              issued: frozenset[str] = frozenset()) -> list[CardDue]:
    """The cards ``clock`` has earned by ``today`` and not yet received (``issued`` colours)."""
    if clock.finished_on is not None or clock.suspended:
        return []
    due, left = clock.due_on(calendar, today), clock.working_days_left(calendar, today)
    out = []
    if left <= threshold and "yellow" not in issued:
        out.append(CardDue("yellow", "near_deadline", due, left))
    if today > due and "red" not in issued:
        out.append(CardDue("red", "overdue", due, left))
    return out
