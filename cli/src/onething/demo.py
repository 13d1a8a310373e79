"""``onething demo``: submit N applications and follow them on the bus until each is delivered once.

Deliveries are counted from the unified case stream itself (``intake.case.delivered``), not from an
API, so "exactly once" is checked where it matters. Items sent back for correction are corrected
the way an applicant would, through the intake API.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.envelope import Envelope, EnvelopeError
from contracts.topics import CASE_STREAM
from onething.applicants import newborn_application

__all__ = ["DemoResult", "run_demo"]


@dataclass
class DemoResult:
    cases: list[str] = field(default_factory=list)
    deliveries: Counter[str] = field(default_factory=Counter)
    notices: Counter[str] = field(default_factory=Counter)
    corrections: int = 0
    started: float = 0.0
    delivered_at: dict[str, float] = field(default_factory=dict)  # case -> monotonic time first seen
    all_delivered_s: float | None = None
    department_requests: Counter[tuple[str, str]] = field(default_factory=Counter)  # (case, department)
    department_results: Counter[tuple[str, str]] = field(default_factory=Counter)  # (case, outcome)
    correction_needed: set[tuple[str, str, int]] = field(default_factory=set)  # (case, item, attempt)

    def _ours(self, tally: Counter[tuple[str, str]]) -> dict[str, int]:
        """A (case, x) tally summed over x, for this run's cases only (the stream holds earlier runs too)."""
        ours, out = set(self.cases), Counter[str]()
        for (case, what), n in tally.items():
            if case in ours:
                out[what] += n
        return dict(sorted(out.items()))

    def requests_by_department(self) -> dict[str, int]:
        return self._ours(self.department_requests)

    def results_by_outcome(self) -> dict[str, int]:
        return self._ours(self.department_results)

    @property
    def delivered_once(self) -> int:
        return sum(1 for c in self.cases if self.deliveries[c] == 1 and self.notices[c] == 1)

    @property
    def first_delivery_s(self) -> float | None:
        times = [self.delivered_at[c] for c in self.cases if c in self.delivered_at]
        return min(times) - self.started if times else None

    @property
    def ok(self) -> bool:
        return bool(self.cases) and self.delivered_once == len(self.cases)


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total} 已送达 delivered"


class _Progress:
    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.quiet, self.tty = total, quiet, sys.stdout.isatty()
        self._last = -1

    def show(self, done: int) -> None:
        if self.quiet or done == self._last:
            return
        self._last = done
        if self.tty:
            print("\r" + _bar(done, self.total), end="", flush=True)
        elif done == self.total or done * 10 // max(self.total, 1) != (done - 1) * 10 // max(self.total, 1):
            print(_bar(done, self.total), flush=True)

    def close(self) -> None:
        if self.tty and not self.quiet:
            print()


async def _watch(bootstrap: str, result: DemoResult, ready: asyncio.Event, stop: asyncio.Event,
                 progress: _Progress) -> None:
    # Read the whole stream and keep counts for every case; only our cases are judged at the end.
    # (Seeking to the end first was tried and lost deliveries on the embedded broker's new partitions.)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = [TopicPartition(CASE_STREAM.name, p) for p in consumer.partitions_for_topic(CASE_STREAM.name) or []]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ready.set()
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    try:
                        env, _ = Envelope.from_bytes(record.value or b"")
                    except EnvelopeError:
                        continue
                    _count(result, env)
            progress.show(sum(1 for c in result.cases if result.deliveries[c] >= 1))
    finally:
        await consumer.stop()


def _count(result: DemoResult, env: Envelope) -> None:
    if env.type == "intake.case.delivered":
        result.deliveries[env.subject] += 1
        result.delivered_at.setdefault(env.subject, time.monotonic())
    elif env.type == "intake.case.notified":
        result.notices[env.subject] += 1
    elif env.type == "dispatch.task.released":
        result.department_requests[(env.subject, str(env.data["department"]))] += 1
    elif env.type == "dispatch.task.concluded":
        result.department_results[(env.subject, str(env.data["outcome"]))] += 1
        if env.data["outcome"] == "needs_correction":
            result.correction_needed.add((env.subject, str(env.data["item_code"]), int(env.data["attempt"])))


async def _correct(client: httpx.AsyncClient, case_id: str, item_code: str, attempt: int, deadline: float) -> bool:
    """Supply the correction once intake shows the item waiting for it (intake reads the same stream).

    True if this call supplied it; False if another correction of the case already covered the item.
    """
    while time.monotonic() < deadline:
        response = await client.get(f"/cases/{case_id}")
        if response.status_code == 200:
            item = next((i for i in response.json()["items"] if i["item_code"] == item_code), None)
            if item is None or item["attempt"] > attempt or item["status"] in ("approved", "rejected", "not_processed"):
                return False  # already corrected (together with another item) or concluded
            if item["status"] == "needs_correction":
                posted = await client.post(f"/cases/{case_id}/corrections", json={"form": {}})
                if posted.status_code == 200:
                    return True
        await asyncio.sleep(0.2)
    return False


async def run_demo(intake_url: str, bootstrap: str, cases: int, *, bundle: str = "P-01", seed: int = 7,
                   timeout_s: float = 120.0, linger_s: float = 2.0, quiet: bool = False) -> DemoResult:
    if bundle != "P-01":
        raise ValueError(f"the demo can generate applications for P-01 only so far, not {bundle}")
    rng = random.Random(seed)
    result = DemoResult()
    progress = _Progress(cases, quiet)
    ready, stop = asyncio.Event(), asyncio.Event()
    async with httpx.AsyncClient(base_url=intake_url, timeout=30.0) as client:
        watcher = asyncio.create_task(_watch(bootstrap, result, ready, stop, progress))
        await asyncio.wait_for(ready.wait(), 30)
        result.started = time.monotonic()
        limit = asyncio.Semaphore(16)

        async def submit(n: int) -> None:
            body = newborn_application(rng, mail=n % 2 == 0)
            async with limit:
                response = await client.post("/cases", json=body, headers={"Idempotency-Key": f"demo-{seed}-{n}-{time.time_ns()}"})
            response.raise_for_status()
            result.cases.append(response.json()["case_id"])

        await asyncio.gather(*(submit(n) for n in range(cases)))
        deadline = time.monotonic() + timeout_s
        ours, corrected = set(result.cases), set[tuple[str, str, int]]()
        corrections: set[asyncio.Task[bool]] = set()
        while time.monotonic() < deadline and not watcher.done():
            for key in sorted(result.correction_needed - corrected):
                if key[0] in ours:  # 补正: answer, as the applicant would, what this case was asked
                    corrected.add(key)
                    corrections.add(asyncio.create_task(_correct(client, *key, deadline)))
            if all(result.deliveries[c] >= 1 for c in result.cases):
                result.all_delivered_s = time.monotonic() - result.started
                await asyncio.sleep(linger_s)  # a duplicate delivery would show up now
                break
            await asyncio.sleep(0.1)
        stop.set()
        await watcher
        result.corrections = sum(await asyncio.gather(*corrections))
    progress.close()
    return result
