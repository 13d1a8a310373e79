"""Sequencing rules (并联/串联办理). Pure: no I/O, driven directly by unit tests.

* An item with no prerequisite in the case is released at once (同步分发).
* An item whose prerequisites are all approved is released next (前置事项办结后推送).
* An item whose prerequisite was rejected or not processed is not processed either.

The join (结果汇集: every item final, with its licence) is intake's, which delivers the case once on it
(``intake.domain.case``); which statuses are final is ``contracts.progress``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from contracts.progress import ItemStatus

__all__ = ["TaskStatus", "TaskView", "releasable", "unreachable"]


TaskStatus = ItemStatus  # a task is an item of the case as dispatch sequences it: one vocabulary (contracts.progress)


@dataclass(frozen=True, slots=True)
class TaskView:
    item_code: str
    status: TaskStatus
    requires: tuple[str, ...]


def _in_case(task: TaskView, tasks: Mapping[str, TaskView]) -> tuple[str, ...]:
    # A prerequisite the applicant did not select (e.g. already held) does not block.
    return tuple(code for code in task.requires if code in tasks)


def releasable(tasks: Iterable[TaskView]) -> list[str]:
    """Item codes to release now: waiting, and every prerequisite in the case approved."""
    by_code = {t.item_code: t for t in tasks}
    return [
        t.item_code
        for t in by_code.values()
        if t.status is TaskStatus.WAITING
        and all(by_code[c].status is TaskStatus.APPROVED for c in _in_case(t, by_code))
    ]


def unreachable(tasks: Iterable[TaskView]) -> list[str]:
    """Waiting items that can never run because a prerequisite failed, transitively."""
    by_code = {t.item_code: t for t in tasks}
    failed = {c for c, t in by_code.items() if t.status in (TaskStatus.REJECTED, TaskStatus.NOT_PROCESSED)}
    out: list[str] = []
    changed = True
    while changed:
        changed = False
        for code, task in by_code.items():
            if task.status is TaskStatus.WAITING and code not in failed and failed & set(_in_case(task, by_code)):
                failed.add(code)
                out.append(code)
                changed = True
    return out
