"""Running one scenario (场景运行): a demo batch through the real system with the scenario's faults injected
while it runs, then the whole case stream read back, signatures checked, and counted.

The batch is ``onething demo``'s own (:func:`onething.demo.run_demo`): the same applications, corrections
and ratings, followed on the case stream until each case is delivered or the timeout passes.
"""

from __future__ import annotations

import asyncio
import random
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError

from contracts.envelope import Envelope, EnvelopeError
from exchange.errors import SignatureInvalid
from exchange.kafka.case_stream import case_stream_reader
from exchange.signing import KeyRing
from onething.chaos.counting import Observed, Tally, tally
from onething.chaos.scenarios import Scenario
from onething.chaos.target import Target
from onething.demo import run_demo
from onething.tail import until_end

__all__ = ["Outcome", "read_case_stream", "run_scenario"]


@dataclass
class Outcome:
    scenario: str
    tally: Tally | None = None
    not_run: str | None = None  # skipped or not available, and why
    injected: str = ""  # what the faults did
    error: str | None = None
    elapsed_s: float = 0.0
    delivered_after_s: float | None = None  # the batch's last delivery, from its first submission

    @property
    def failed(self) -> bool:
        """It ran and something was lost or duplicated, or it could not be judged."""
        return self.not_run is None and (self.tally is None or not self.tally.ok)

    def line(self) -> str:
        if self.not_run is not None:
            return f"chaos {self.scenario}: {self.not_run}"
        if self.tally is None:
            return f"chaos {self.scenario}: failed to run: {self.error}"
        return self.tally.line(self.scenario)

    def details(self) -> list[str]:
        """What the faults did and, when it went wrong, which cases and effects."""
        took = (f"all delivered after {self.delivered_after_s:.0f}s, " if self.delivered_after_s else "") + \
            f"scenario {self.elapsed_s:.0f}s"
        out = [f"  injected: {self.injected}; {took}"] if self.injected else []
        if self.error and self.tally is not None:
            out.append(f"  error: {self.error}")
        if self.tally is not None:
            if self.tally.lost:
                out.append(f"  lost: {', '.join(self.tally.lost[:10])}{' …' if len(self.tally.lost) > 10 else ''}")
            out += [f"  duplicated {effect} {key}: {n} event ids" for (effect, key), n in list(self.tally.duplicated.items())[:10]]
        return out

    def as_json(self) -> dict[str, Any]:
        t = self.tally
        return {"scenario": self.scenario, "line": self.line(), "ran": self.not_run is None, "ok": not self.failed,
                "not_run": self.not_run, "injected": self.injected, "elapsed_s": round(self.elapsed_s, 1), "error": self.error,
                "submitted": t.submitted if t else None, "delivered": t.delivered if t else None,
                "lost": list(t.lost) if t else None, "duplicated_effects": t.duplicated_effects if t else None,
                "duplicated": [{"effect": e, "id": k, "event_ids": n} for (e, k), n in t.duplicated.items()] if t else None}


async def read_case_stream(bootstrap: str, keyring: KeyRing) -> list[Observed]:
    """Every event of the case stream, from the beginning to its end now, whose signature verifies (what
    poison records forge is not counted)."""
    observed: list[Observed] = []
    async with case_stream_reader(bootstrap, start="beginning") as (consumer, tps):
        ends = await consumer.end_offsets(tps)
        async for record in until_end(consumer, tps, ends):
            try:
                env, wire = Envelope.from_bytes(record.value or b"")
                keyring.verify_envelope(wire)
            except (EnvelopeError, SignatureInvalid):
                continue
            observed.append(Observed(str(env.id), env.type, env.subject, env.data))
    return observed


STALL_S = 30.0  # after the batch's timeout, how long without a new delivery means the rest are stuck


async def settle(target: Target, cases: Sequence[str], live: list[Observed]) -> list[Observed]:
    """The case stream once the batch has settled: every case delivered, or no new delivery for
    :data:`STALL_S` (a slow machine past the batch's timeout is not a loss while deliveries still come)."""
    delivered, progress_at = -1, time.monotonic()
    while True:
        stream = await asyncio.wait_for(read_case_stream(target.bootstrap, target.keyring), 120)
        now = tally(cases, [*live, *stream])
        if not now.lost:
            return stream
        if now.delivered > delivered:
            delivered, progress_at = now.delivered, time.monotonic()
        elif time.monotonic() - progress_at > STALL_S:
            return stream
        await asyncio.sleep(5.0)


def span_for(cases: int) -> float:
    """How long a batch of ``cases`` keeps cases in flight, roughly, on a small machine: the window faults go in."""
    return max(3.0, cases * 0.06)


async def run_scenario(target: Target, scenario: Scenario, *, cases: int, seed: int, timeout_s: float,
                       bundles: Sequence[str], rate: bool = True) -> Outcome:
    """Run ``scenario`` with a fresh batch of ``cases`` on ``target``; judged on this batch's cases only."""
    reason = await scenario.unavailable(target)
    if reason is not None:
        return Outcome(scenario.name, not_run=reason)
    rng, started = random.Random(f"{seed}:{scenario.name}"), time.monotonic()
    fault = asyncio.create_task(scenario.inject(target, rng, span_for(cases)))
    outcome = Outcome(scenario.name)
    # What the batch's watcher saw as it happened counts with what the stream holds at the end: an embedded
    # broker that was killed has forgotten what it carried before.
    live: list[Observed] = []

    def observe(env: Envelope) -> None:
        live.append(Observed(str(env.id), env.type, env.subject, env.data))

    try:
        result = await run_demo(target.urls["intake"], target.bootstrap, cases, bundles=bundles,
                                seed=rng.randrange(1 << 30), timeout_s=timeout_s, linger_s=2.0, quiet=True,
                                rating_url=target.urls["rating"] if rate else None, keyring=target.keyring,
                                tokens=target.tokens, on_event=observe)
    except Exception as exc:  # the batch itself broke: reported, the other scenarios still run
        fault.cancel()
        await asyncio.gather(fault, return_exceptions=True)
        where = traceback.extract_tb(exc.__traceback__)[-1]
        outcome.error = f"the batch broke: {type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
        return outcome
    try:
        outcome.injected = await fault
    except Exception as exc:  # the fault could not be injected (fully): say so beside the figures
        outcome.error = f"fault injection: {type(exc).__name__}: {exc}"
    if rate:
        await asyncio.sleep(2.0)  # effects that follow the last delivery (rectification orders after ratings)
    try:
        stream = await settle(target, result.cases, live)
    except (KafkaError, TimeoutError) as exc:  # judged on what was seen live, and said so
        stream, outcome.error = [], f"the case stream could not be read back: {type(exc).__name__}: {exc}"
    outcome.tally = tally(result.cases, [*live, *stream])
    outcome.elapsed_s, outcome.delivered_after_s = time.monotonic() - started, result.all_delivered_s
    return outcome
