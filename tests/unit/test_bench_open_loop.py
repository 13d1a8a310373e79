"""The bench's open loop (onething.bench.load.OpenLoop) keeps its pace whatever is in flight: applications arrive
every 1/rate seconds even when each takes far longer to come back, unlike the closed loop, where a slow system
slows the arrivals. Pure asyncio: the submission is replaced, no system runs."""

from __future__ import annotations

import asyncio
import time

import httpx

from onething.bench.load import ClosedLoop, OpenLoop


class _Timed:
    """Records when each application was sent; each takes ``takes`` seconds to be delivered."""

    def __init__(self, takes: float) -> None:
        self.takes, self.sent = takes, list[float]()

    async def __call__(self, client: httpx.AsyncClient) -> None:
        self.sent.append(time.monotonic())
        await asyncio.sleep(self.takes)


async def _arrivals(loop: ClosedLoop, takes: float, seconds: float) -> list[float]:
    timed = _Timed(takes)
    loop._one = timed  # type: ignore[method-assign]
    loop._submitting.set()
    async with httpx.AsyncClient() as client:
        submitters = loop._submitters(client)
        began = time.monotonic()
        await asyncio.sleep(seconds)
        loop._submitting.clear()
        await asyncio.gather(*submitters)
    return [at - began for at in timed.sent]


async def test_the_open_loop_sends_on_its_pace_while_earlier_applications_are_still_in_flight() -> None:
    sent = await _arrivals(OpenLoop("http://intake", "bus:9092", None, ["E-02"], rate=20.0), takes=1.0, seconds=0.5)
    assert 9 <= len(sent) <= 11, sent  # 0.5 s at 20/s, though each is in flight for a whole second
    assert all(at >= n / 20.0 - 0.01 for n, at in enumerate(sent)), sent  # on its slot or after, never before
    assert 0.04 <= (sent[-1] - sent[0]) / (len(sent) - 1) <= 0.07, sent  # a late slot is caught up, not dropped


async def test_the_closed_loop_waits_for_each_delivery_before_the_next() -> None:
    sent = await _arrivals(ClosedLoop("http://intake", "bus:9092", None, ["E-02"], window=2), takes=1.0, seconds=0.5)
    assert len(sent) == 2, sent  # two applicants, each still waiting for its first delivery
