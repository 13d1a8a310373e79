"""A job on a timer (定时任务): a background job of a service that runs one round every ``interval_s``.

A failed round is logged and the next one tries again; a database or broker that is down is said once per
outage (:class:`~exchange.failures.Outage`), not every round. Supervision's scan and dispatch's answer
deadlines are both one of these (see :class:`exchange.runtime.BackgroundJob`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from exchange.failures import Outage, is_transient

__all__ = ["PeriodicJob"]

logger = logging.getLogger(__name__)


class PeriodicJob:
    def __init__(self, name: str, run_once: Callable[[], Awaitable[object]], interval_s: float) -> None:
        self.name = name
        self.run_once = run_once
        self.interval_s = interval_s
        self.outage = Outage(name, logger)
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception as exc:  # a failed round is logged; the next round tries again
                if is_transient(exc):
                    self.outage.failed(exc)  # the database is down: said once, not every round
                else:
                    logger.exception("%s failed", self.name)
            else:
                self.outage.recovered()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval_s)

    def stop(self) -> None:
        self._stop.set()
