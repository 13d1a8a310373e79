"""Projected completion and the department blocking a case (R-05, 关键路径). Pure.

Each item ends: on its conclusion day if concluded; on its due date if in handling (or today, if that
has passed: it is late and still open); and, if still waiting, its own limit after the latest end of
its prerequisites. The case completes when its last item does; the blocking department is the one
whose open item ends last on that critical path, unless an item is overdue: then the most overdue one. While the applicant is asked
for a correction, the applicant is what the case waits for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts.workdays import WorkingCalendar

__all__ = ["APPLICANT", "ItemPlan", "Projection", "project"]

APPLICANT = "applicant"  # 申请人（待补正）


@dataclass(frozen=True, slots=True)
class ItemPlan:
    item_code: str
    department: str
    requires: tuple[str, ...]
    limit_days: int
    status: str  # waiting | released | approved | rejected | not_processed
    due_on: date | None = None  # while released
    concluded_on: date | None = None


@dataclass(frozen=True, slots=True)
class Projection:
    completion: date
    ends: dict[str, date]
    critical_path: tuple[str, ...]
    blocking_department: str | None
    blocking_item: str | None


def project(items: list[ItemPlan], today: date, calendar: WorkingCalendar, *, waiting_for_applicant: bool = False,
            start: date | None = None) -> Projection:
    plans = {p.item_code: p for p in items}
    ends: dict[str, date] = {}

    def end(code: str) -> date:
        if code in ends:
            return ends[code]
        plan = plans[code]
        if plan.concluded_on is not None:
            result = plan.concluded_on
        elif plan.status == "released" and plan.due_on is not None:
            result = max(plan.due_on, today)
        else:
            begin = max([end(r) for r in plan.requires if r in plans] + [start or today, today])
            result = calendar.add_working_days(begin, plan.limit_days)
        ends[code] = result
        return result

    for code in plans:
        end(code)
    completion = max(ends.values(), default=today)
    last = max(plans, key=lambda c: (ends[c], c)) if plans else None
    path: list[str] = []
    while last is not None:
        path.insert(0, last)
        earlier = [r for r in plans[last].requires if r in plans]
        last = max(earlier, key=lambda c: (ends[c], c)) if earlier else None
    if waiting_for_applicant:  # the correction notice is the applicant's to answer: nobody else can move
        return Projection(completion, ends, tuple(path), APPLICANT, None)
    # An overdue item blocks first wherever it is (the most overdue one); then the critical path's open items.
    overdue = sorted((c for c, p in plans.items() if p.concluded_on is None and p.status == "released"
                      and (p.due_on or today) < today), key=lambda c: (plans[c].due_on or today, c))
    open_items = [c for c in path if plans[c].concluded_on is None and plans[c].status in ("released", "waiting")]
    released = [c for c in open_items if plans[c].status == "released"]
    candidates = overdue or released or open_items
    blocking = candidates[0] if candidates else None
    return Projection(completion, ends, tuple(path), plans[blocking].department if blocking else None, blocking)
