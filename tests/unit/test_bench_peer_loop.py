"""The peers' closed loop (onething.bench.peers.loop) counts as OneThing's own figures do: every case delivered
in the window, and the latency of each of those, wherever its submission fell. A pure asyncio loop, no peer."""

from __future__ import annotations

import asyncio
import time

from onething.bench.peers.loop import closed_loop


async def test_a_case_submitted_in_the_warm_up_and_delivered_in_the_window_has_its_latency_counted() -> None:
    async def deliver(case_id: str) -> float:
        await asyncio.sleep(0.4)
        return time.time()

    # One applicant: case 0 submitted at 0 s, delivered at 0.4 s (inside [0.2, 0.6)); case 1 delivered at 0.8 s.
    result = await closed_loop(deliver, window=1, warmup_s=0.2, duration_s=0.4, prefix="T", cpu_now=time.process_time)
    assert result.delivered == 1
    assert len(result.latencies_ms) == 1 and 350 <= result.latencies_ms[0] < 600, result.latencies_ms
