"""Waiting for deliveries a peer writes to its ``delivery`` table: one poller for every applicant (every 20 ms,
as the peer baselines did), so a case's delivery time is the row's own ``clock_timestamp()``."""

from __future__ import annotations

import asyncio

import psycopg

__all__ = ["DeliveryWatch"]

LOOKBACK_S = 1.0


class DeliveryWatch:
    def __init__(self, dsn: str, interval_s: float = 0.02) -> None:
        self._dsn, self._interval = dsn, interval_s
        self._waiting: dict[str, asyncio.Future[float]] = {}
        self._task: asyncio.Task[None] | None = None

    def expect(self, case_id: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[case_id] = future
        return future

    async def start(self) -> None:
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _poll(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._dsn, autocommit=True) as conn:
            since = 0.0
            while True:
                # A row's time is taken when it is inserted, but two workers commit in either order: one that
                # commits after a later-stamped row was seen would fall behind `since`. Look back a second (a
                # case is answered once: its future is popped the first time).
                rows = await (await conn.execute(
                    "SELECT case_id, extract(epoch FROM ts)::float8 FROM delivery WHERE ts >= to_timestamp(%s) "
                    "ORDER BY ts", (since - LOOKBACK_S,))).fetchall()
                for case_id, at in rows:
                    since = max(since, at)
                    future = self._waiting.pop(case_id, None)
                    if future is not None and not future.done():
                        future.set_result(at)
                await asyncio.sleep(self._interval)
