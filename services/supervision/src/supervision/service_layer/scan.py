"""The supervision scan (电子监察巡检): re-project every open deadline, then issue the cards and orders each
clock has earned, once. Runs on a timer and whenever the supervision clock is moved.

Each clock is handled in its own transaction under a row lock; a card row is unique per (clock, colour)
and its event id is derived from the same pair, so redelivery, a restart or two scanners at once never
issue a card twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from contracts.workdays import WorkingCalendar
from exchange.db.service_work import Opener
from exchange.periodic import PeriodicJob
from supervision.domain.model import Adjusted
from supervision.service_layer.unit_of_work import SupervisionUnitOfWork

__all__ = ["ScanResult", "Scanner", "scan"]

logger = logging.getLogger(__name__)


@dataclass
class ScanResult:
    today: date
    clocks: int = 0
    yellow: int = 0
    red: int = 0
    orders: int = 0
    reprojected: int = 0


async def scan(work: Opener[SupervisionUnitOfWork], today: date, calendar: WorkingCalendar, *, threshold: int = 1,
               respond_days: int = 3) -> ScanResult:
    """One round: the open clocks as they stand, then each in a transaction of its own (``work()``)."""
    result = ScanResult(today)
    async with work() as uow:
        open_ids = await uow.clocks.open_ids()
    for clock_id in open_ids:
        async with work() as uow:
            clock = await uow.clocks.get_for_update(clock_id)
            if clock is None or clock.finished_on is not None:
                continue
            result.clocks += 1
            for card in clock.scan(today, calendar, threshold=threshold, respond_days=respond_days):
                uow.cards.add(card)
                result.yellow += card.colour == "yellow"
                result.red += card.colour == "red"
                result.orders += card.order is not None
            result.reprojected += any(isinstance(e, Adjusted) and e.kind == "reprojected" for e in clock.recorded)
    return result


class Scanner(PeriodicJob):
    """The scan on a timer (a background job of the supervision process)."""

    def __init__(self, run_once: Callable[[], Awaitable[object]], interval_s: float) -> None:
        super().__init__("supervision scan", run_once, interval_s)
