"""The closed loop (闭环压测): ``window`` applicants, each submitting an application, waiting for its one
delivery on the case stream, and submitting the next, for as long as the run lasts. Or the open loop (开环,
``OpenLoop``): applications arriving at a fixed pace, whatever is in flight, as a service hall's do: the latency at a
given rate, not the rate at a given concurrency.

Applications are the demo's own (:func:`onething.applicants.application_for`: 容缺, 告知承诺, proxies, the fast
track), all accepted at a window, kiosk or 12345 seat whose clerk token is fetched once (an applicant signing in
on the portal would cost the identity platform a token per case, which is not OneThing's work). Deliveries are
read from the case stream, so what is measured is what an applicant would see: submission → delivered.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from contracts.envelope import Envelope, EnvelopeError
from exchange.kafka.case_stream import case_stream_reader
from onething.applicants import application_for
from onething.submit import one_time_notice, submit_application, supply_deferred
from onething.tokens import SystemTokens

__all__ = ["Applications", "ClosedLoop", "Deliveries", "OpenLoop", "watch_deliveries"]

DELIVERED = "intake.case.delivered"


@dataclass
class Deliveries:
    """When each case was submitted and delivered, and under which event ids (one id per delivery: a relay
    republishing the same event is not a second delivery)."""

    submitted_at: dict[str, float] = field(default_factory=dict)
    delivered_at: dict[str, float] = field(default_factory=dict)
    event_ids: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    waiting: dict[str, asyncio.Future[None]] = field(default_factory=dict)

    def delivered(self, case_id: str, event_id: str, at: float) -> None:
        self.event_ids[case_id].add(event_id)
        self.delivered_at.setdefault(case_id, at)
        waiter = self.waiting.pop(case_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def latencies_ms(self, since: float, until: float) -> list[float]:
        """Submission → delivery of the cases delivered in ``[since, until)``."""
        return [1000 * (at - self.submitted_at[c]) for c, at in self.delivered_at.items()
                if since <= at < until and c in self.submitted_at]

    def count(self, since: float, until: float) -> int:
        return sum(1 for c, at in self.delivered_at.items() if since <= at < until and c in self.submitted_at)

    def tally(self) -> tuple[int, int, int]:
        """Of every case submitted: how many were delivered once, more than once, never (so far)."""
        once = sum(1 for c in self.submitted_at if len(self.event_ids.get(c, ())) == 1)
        many = sum(1 for c in self.submitted_at if len(self.event_ids.get(c, ())) > 1)
        return once, many, sum(1 for c in self.submitted_at if c not in self.delivered_at)


async def watch_deliveries(bootstrap: str, seen: Deliveries, ready: asyncio.Event, stop: asyncio.Event) -> None:
    """Record every ``intake.case.delivered`` on the case stream in ``seen`` until ``stop``; ``ready`` once reading."""
    # earlier runs' cases are not this run's: from the end
    async with case_stream_reader(bootstrap, start="end", fetch_max_wait_ms=50) as (consumer, _):
        ready.set()
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=100)
            now = time.monotonic()
            for records in batch.values():
                for record in records:
                    if b'"intake.case.delivered"' not in (record.value or b""):
                        continue  # cheap: most of the stream is other events
                    try:
                        envelope, _ = Envelope.from_bytes(record.value or b"")
                    except EnvelopeError:
                        continue
                    if envelope.type == DELIVERED:
                        seen.delivered(envelope.subject, str(envelope.id), now)


class Applications:
    """The demo's applications for ``bundles`` in turn, numbered, each with who submits it: portal and app
    applications are accepted at a window instead (see the module docstring), and each seat's clerk client is
    made once, so its token is fetched once and kept."""

    def __init__(self, tokens: SystemTokens | None, bundles: Sequence[str], seed: int = 7) -> None:
        self.tokens, self.bundles, self.seed = tokens, list(bundles), seed
        self.rng = random.Random(seed)
        self._numbers = itertools.count()
        self._auth: dict[tuple[str, str | None], httpx.Auth] = {}
        self._notices: dict[str, dict[str, Any]] = {}

    async def read_notices(self, client: httpx.AsyncClient) -> None:
        """Each one-thing's one-time notice, once (the applications are made from them)."""
        for code in dict.fromkeys(self.bundles):
            self._notices[code] = await one_time_notice(client, code)

    def next(self) -> tuple[int, dict[str, Any], httpx.Auth | None]:
        """The next application: its number, its body and who submits it (None: no tokens, no auth)."""
        n = next(self._numbers)
        body = application_for(self._notices[self.bundles[n % len(self.bundles)]], self.rng, n)
        return n, body, self._submitter(body, n)

    def idempotency_key(self, n: int) -> str:
        return f"bench-{self.seed}-{n}-{time.time_ns()}"

    def _submitter(self, body: dict[str, Any], n: int) -> httpx.Auth | None:
        if body["channel"] in ("portal", "mobile"):
            body.update(channel="window", window_id=f"W{n % 8 + 1:02d}", staff_id=f"S{n % 8 + 1:03d}")
        if self.tokens is None:
            return None
        seat = (body["channel"], body.get("window_id"))
        if seat not in self._auth:
            self._auth[seat] = self.tokens.submitter(body)
        return self._auth[seat]


class ClosedLoop:
    def __init__(self, intake_url: str, bootstrap: str, tokens: SystemTokens | None, bundles: Sequence[str],
                 window: int, seed: int = 7, case_timeout_s: float = 120.0) -> None:
        self.intake_url, self.bootstrap = intake_url, bootstrap
        self.window, self.case_timeout_s = window, case_timeout_s
        self.applications = Applications(tokens, bundles, seed)
        self.seen = Deliveries()
        self.refused: list[str] = []  # applications intake answered with an error (each must be explained)
        self.stuck: list[str] = []  # cases not delivered within the case timeout (the loop went on)
        self._submitting = asyncio.Event()

    async def _one(self, client: httpx.AsyncClient) -> None:
        n, body, auth = self.applications.next()
        started = time.monotonic()
        case = await submit_application(client, body, idempotency_key=self.applications.idempotency_key(n), auth=auth)
        case_id = case["case_id"]
        self.seen.submitted_at[case_id] = started
        if case_id not in self.seen.delivered_at:
            waiter = self.seen.waiting[case_id] = asyncio.get_running_loop().create_future()
        else:
            return
        await supply_deferred(client, case, auth)
        try:
            await asyncio.wait_for(waiter, self.case_timeout_s)
        except TimeoutError:
            self.stuck.append(case_id)

    async def _one_or_refused(self, client: httpx.AsyncClient) -> bool:
        try:
            await self._one(client)
        except Exception as exc:
            self.refused.append(f"{type(exc).__name__}: {exc}")
            return False
        return True

    async def _applicant(self, client: httpx.AsyncClient) -> None:
        while self._submitting.is_set():
            if not await self._one_or_refused(client):
                await asyncio.sleep(0.5)

    def _submitters(self, client: httpx.AsyncClient) -> list[asyncio.Task[None]]:
        """What submits while the phases run: ``window`` applicants, each waiting for its delivery."""
        return [asyncio.create_task(self._applicant(client)) for _ in range(self.window)]

    async def run(self, phases: Sequence[tuple[float, Any]]) -> None:
        """Submit while ``phases`` run in turn (each ``(seconds, callback)``: the callback is awaited when its phase
        begins); then stop submitting and wait for those in flight."""
        ready, stop = asyncio.Event(), asyncio.Event()
        limits = httpx.Limits(max_connections=self.window + 4, max_keepalive_connections=self.window + 4)
        async with httpx.AsyncClient(base_url=self.intake_url, timeout=60.0, limits=limits) as client:
            await self.applications.read_notices(client)
            watcher = asyncio.create_task(watch_deliveries(self.bootstrap, self.seen, ready, stop))
            await asyncio.wait_for(ready.wait(), 30)
            self._submitting.set()
            applicants = self._submitters(client)
            try:
                for seconds, begin in phases:
                    if begin is not None:
                        await begin()
                    await asyncio.sleep(seconds)
            finally:
                self._submitting.clear()
                await asyncio.gather(*applicants, return_exceptions=True)
                await asyncio.sleep(2.0)  # a duplicate delivery would show up now
                stop.set()
                await watcher


class OpenLoop(ClosedLoop):
    """Applications arriving ``rate`` per second on a fixed pace (one every 1/rate s, on schedule however long
    each takes), each waiting for its delivery; ``window`` bounds only the HTTP connections."""

    def __init__(self, intake_url: str, bootstrap: str, tokens: SystemTokens | None, bundles: Sequence[str],
                 rate: float, seed: int = 7, case_timeout_s: float = 120.0) -> None:
        super().__init__(intake_url, bootstrap, tokens, bundles, window=max(8, min(256, int(rate * 4))), seed=seed,
                         case_timeout_s=case_timeout_s)
        self.rate = rate

    def _submitters(self, client: httpx.AsyncClient) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(self._arrivals(client))]

    async def _arrivals(self, client: httpx.AsyncClient) -> None:
        in_flight: set[asyncio.Task[bool]] = set()
        began = time.monotonic()
        for n in itertools.count():
            if not self._submitting.is_set():
                break
            arrival = asyncio.create_task(self._one_or_refused(client))
            in_flight.add(arrival)
            arrival.add_done_callback(in_flight.discard)
            await asyncio.sleep(max(0.0, began + (n + 1) / self.rate - time.monotonic()))
        await asyncio.gather(*in_flight, return_exceptions=True)
