"""Supervision use cases: start the statutory clock of every released department task."""

from __future__ import annotations

import logging
from uuid import NAMESPACE_URL, uuid5

from contracts.days import china_date
from contracts.dispatch.v1 import TaskReleased
from contracts.envelope import Envelope, EventPayload
from contracts.supervision.v1 import ClockStarted
from contracts.workdays import add_working_days
from exchange.db.unit_of_work import UnitOfWork
from supervision.adapters.tables import SupervisionClock

__all__ = ["clock_id_for", "task_released"]

logger = logging.getLogger(__name__)


def clock_id_for(task_id: str, attempt: int) -> str:
    """Deterministic: a redelivered release finds the clock it already started."""
    return str(uuid5(NAMESPACE_URL, f"onething:clock:{task_id}:{attempt}"))


async def task_released(uow: UnitOfWork, envelope: Envelope, payload: EventPayload) -> None:
    """推送即计时: each release of a task (a re-release after 补正 too) starts its own clock."""
    assert isinstance(payload, TaskReleased)
    clock_id = clock_id_for(payload.task_id, payload.attempt)
    if await uow.session.get(SupervisionClock, clock_id) is not None:
        logger.info("clock of %s attempt %d already started", payload.task_id, payload.attempt)
        return
    started_on = china_date(payload.released_at)
    clock = SupervisionClock(
        clock_id=clock_id, case_id=payload.case_id, task_id=payload.task_id, attempt=payload.attempt,
        item_code=payload.item_code, department=payload.department,
        limit_working_days=payload.time_limit_days, started_at=payload.released_at, started_on=started_on,
        due_on=add_working_days(started_on, payload.time_limit_days),
    )
    uow.session.add(clock)
    uow.emit(
        ClockStarted(
            case_id=clock.case_id, task_id=clock.task_id, item_code=clock.item_code, department=clock.department,
            limit_working_days=clock.limit_working_days, started_on=clock.started_on, due_on=clock.due_on,
        ),
        subject=clock.case_id,
        event_id=uuid5(NAMESPACE_URL, f"onething:clock-started:{clock_id}"),
    )
