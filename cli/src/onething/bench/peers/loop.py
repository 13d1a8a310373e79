"""The closed loop every peer runs (同一闭环): ``window`` applicants, each submitting a case and waiting for its
delivery before the next; delivered cases/s and submission → delivery latency over a measured window after a
warm-up, timed as OneThing's own run is (``onething.bench.load``)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

__all__ = ["LoopResult", "closed_loop"]

Deliver = Callable[[str], Awaitable[float]]  # submits one case; returns the wall-clock time it was delivered


@dataclass
class LoopResult:
    window: int
    duration_s: float
    delivered: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    failures: list[str] = field(default_factory=list)


async def closed_loop(deliver: Deliver, *, window: int, warmup_s: float, duration_s: float, prefix: str,
                      cpu_now: Callable[[], float], case_timeout_s: float = 60.0) -> LoopResult:
    """Run the loop; ``cpu_now`` reads the peer's CPU seconds so far (its share of the window is reported)."""
    result = LoopResult(window, duration_s)
    done: list[tuple[float, float]] = []  # (submitted, delivered), wall clock
    numbers = itertools.count()
    running = True

    async def applicant() -> None:
        while running:
            case_id = f"{prefix}{next(numbers):08d}"
            submitted = time.time()
            try:
                delivered = await asyncio.wait_for(deliver(case_id), case_timeout_s)
            except Exception as exc:  # reported, and the applicant goes on (a peer's failure is a figure too)
                result.failures.append(f"{case_id}: {type(exc).__name__}: {exc}")
                await asyncio.sleep(0.5)
                continue
            done.append((submitted, delivered))

    applicants = [asyncio.create_task(applicant()) for _ in range(window)]
    try:
        await asyncio.sleep(warmup_s)
        opened, cpu_at_open = time.time(), cpu_now()
        await asyncio.sleep(duration_s)
        closed, cpu_at_close = time.time(), cpu_now()
    finally:
        running = False
        await asyncio.gather(*applicants, return_exceptions=True)
    # The same rule as OneThing's own figures (``load.Seen``): the cases delivered in the window, and the
    # submission → delivery time of each of them, wherever its submission fell.
    inside = [(s, d) for s, d in done if opened <= d < closed]
    result.delivered = len(inside)
    result.latencies_ms = [1000 * (d - s) for s, d in inside]
    result.cpu_s = cpu_at_close - cpu_at_open
    return result
