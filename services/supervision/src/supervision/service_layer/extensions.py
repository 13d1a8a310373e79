"""延期 (supervisors): more working days on a clock, with the reason and who approved it, in the ledger and on the bus."""

from __future__ import annotations

from datetime import date

from contracts.workdays import WorkingCalendar
from supervision.domain.errors import ClockNotFound
from supervision.domain.model import SupervisedClock
from supervision.service_layer.unit_of_work import SupervisionUnitOfWork

__all__ = ["extend_clock"]


async def extend_clock(uow: SupervisionUnitOfWork, clock_id: str, days: int, reason_zh: str, approver: str,
                       today: date, calendar: WorkingCalendar) -> SupervisedClock:
    """The clock as extended. ``ClockNotFound``; ``OverflowError`` when the new due date would fall past the
    calendar's end (nothing is written: the transaction rolls back)."""
    clock = await uow.clocks.get_for_update(clock_id)
    if clock is None:
        raise ClockNotFound(clock_id)
    clock.extend(days, reason_zh, approver, today, calendar)
    return clock
