"""Intake under load (受理接口压测, ``onething bench --intake``): ``POST /cases`` from many concurrent clients.

For each level, that many clients each post a fresh application (the closed loop's own, :class:`.load.Applications`:
clerk tokens fetched once per seat) back to back on one connection of their own, a warm-up and then a measured
window; after the levels a spike of requests fired at once. Every request is sent once: no retry (unlike
:func:`onething.submit.submit_application`, which waits out an unavailable intake for an applicant's sake and
would hide exactly the errors measured here), and every failure is tallied by its kind.

Then the load stops and the run waits, up to a limit, until every accepted case has been delivered on the case
stream, to report exactly once; meanwhile the materials accepted on 容缺 are supplied (the closed loop supplies
them straight away; here that would be other requests on intake during the measured windows).

The clients are aiohttp's (one session per level, a connection per client): httpx's pool spends about 10 ms of
CPU per request with hundreds of connections, aiohttp about 0.5 ms, and the load generator shares the machine's
cores with the system it measures; its CPU is reported beside intake's.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx

from exchange.access.client import BearerAuth
from onething.bench.figures import ACCEPTED, IntakeLevel, ProcessUse, Request, error_kind, intake_level, tally_errors
from onething.bench.load import Applications, Deliveries, watch_deliveries
from onething.bench.probes import ProcessSampler
from onething.submit import supply_deferred

__all__ = ["IntakeLoad", "raise_open_files"]

REQUEST_TIMEOUT_S = 60.0  # a request not answered by then is an error (TimeoutError), not a slow success
PAUSE_AFTER_ERROR_S = 0.1  # a client whose request failed waits this long (a refused connection would spin)
SUPPLEMENTS_IN_FLIGHT = 16


def raise_open_files(needed: int) -> tuple[int, int]:
    """Raise this process's soft limit of open files to ``needed`` (at most the hard limit); the processes it
    starts after inherit it. Returns (soft, hard) as they are now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return soft, hard


@dataclass
class _Window:
    """CPU and peak RSS of the system's processes and of this process (the load generator) over a window."""

    sampler: ProcessSampler
    start: float = 0.0
    load_cpu_at_start: float = 0.0
    _sampling: asyncio.Task[None] | None = field(default=None, repr=False)

    async def _sample_every_second(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.sampler.sample()

    def open(self) -> None:
        self.sampler.open()
        # this process's own clock: /proc counts in 10 ms ticks, and a spike of a few requests costs less than one
        self.load_cpu_at_start = time.process_time()
        self.start = time.monotonic()
        self._sampling = asyncio.create_task(self._sample_every_second())

    def close(self) -> tuple[float, ProcessUse, float, float]:
        """When it closed, intake's use, every other process's CPU seconds, the load generator's."""
        end = time.monotonic()
        load_cpu = time.process_time() - self.load_cpu_at_start
        if self._sampling is not None:
            self._sampling.cancel()
        self.sampler.close()
        intake = self.sampler.use("intake")
        rest = sum(self.sampler.used(name) for name in self.sampler.names if name != "intake")
        return end, intake, rest, load_cpu


class IntakeLoad:
    def __init__(self, intake_url: str, bootstrap: str, applications: Applications,
                 pid_of: Callable[[str], int | None], names: Sequence[str], *,
                 say: Callable[[str], None] = lambda _: None) -> None:
        self.intake_url, self.bootstrap, self.applications = intake_url, bootstrap, applications
        self.pid_of, self.names, self.say = pid_of, list(names), say
        self.seen = Deliveries()
        self.deferred: list[tuple[dict[str, Any], httpx.Auth | None]] = []  # accepted on 容缺: supplied after the load
        self.supplement_errors: list[str] = []
        self.supplied = 0
        self._bearers: dict[int, dict[str, str]] = {}  # id(auth) -> its Authorization header
        self._bearer_lock = asyncio.Lock()
        self._ready, self._stop = asyncio.Event(), asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Read the notices and start reading the case stream (deliveries from now on are this run's)."""
        async with httpx.AsyncClient(base_url=self.intake_url, timeout=60.0) as client:
            await self.applications.read_notices(client)
        self._watcher = asyncio.create_task(watch_deliveries(self.bootstrap, self.seen, self._ready, self._stop))
        await asyncio.wait_for(self._ready.wait(), 30)

    async def stop(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            await self._watcher

    def _window(self) -> _Window:
        return _Window(ProcessSampler(self.pid_of, self.names))

    async def _bearer(self, auth: httpx.Auth | None) -> dict[str, str]:
        """The seat's ``Authorization`` header: its token fetched once (the first request of a seat waits for it)."""
        if not isinstance(auth, BearerAuth):
            return {}
        if id(auth) not in self._bearers:
            async with self._bearer_lock:
                if id(auth) not in self._bearers:
                    def fetch() -> str:
                        with httpx.Client(timeout=30.0) as client:
                            return auth.token(client)
                    self._bearers[id(auth)] = {"Authorization": f"Bearer {await asyncio.to_thread(fetch)}"}
        return self._bearers[id(auth)]

    async def _post(self, session: aiohttp.ClientSession) -> Request:
        n, body, auth = self.applications.next()
        headers = {"Idempotency-Key": self.applications.idempotency_key(n), **await self._bearer(auth)}
        started = time.monotonic()
        try:
            async with session.post("/cases", json=body, headers=headers) as response:
                if response.status != ACCEPTED:
                    await response.read()
                    return Request(started, time.monotonic(), error_kind(response.status))
                case = await response.json()
        except Exception as exc:  # each is tallied by its kind: a load generator's figure, not its failure
            return Request(started, time.monotonic(), error_kind(exception=exc))
        ended = time.monotonic()
        self.seen.submitted_at[case["case_id"]] = started
        if any(c["kind"] == "tolerance" for c in case["commitments"]):
            self.deferred.append(({"case_id": case["case_id"], "commitments": case["commitments"]}, auth))
        return Request(started, ended)

    def _session(self, connections: int) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections)
        return aiohttp.ClientSession(self.intake_url, connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S))

    async def level(self, clients: int, warmup_s: float, duration_s: float) -> IntakeLevel:
        """``clients`` posting back to back: ``warmup_s``, then ``duration_s`` measured; then those in flight end."""
        requests: list[Request] = []
        running = True

        async def client(session: aiohttp.ClientSession) -> None:
            while running:
                request = await self._post(session)
                requests.append(request)
                if request.error is not None:
                    await asyncio.sleep(PAUSE_AFTER_ERROR_S)

        window = self._window()
        async with self._session(clients) as session:
            tasks = [asyncio.create_task(client(session)) for _ in range(clients)]
            try:
                self.say(f"{clients} 个客户端 clients: 预热 warming up {warmup_s:g} s …")
                await asyncio.sleep(warmup_s)
                window.open()
                self.say(f"{clients} 个客户端 clients: 测量中 measuring {duration_s:g} s …")
                await asyncio.sleep(duration_s)
                end, intake, rest, load = window.close()
            finally:
                running = False
                await asyncio.gather(*tasks)
        return intake_level(clients, requests, window.start, end, warmup_s=warmup_s, intake=intake, rest_cpu_s=rest,
                            load_cpu_s=load)

    async def spike(self, count: int, concurrency: int) -> IntakeLevel:
        """``count`` requests fired at once, ``concurrency`` at a time on fresh connections; measured from the first
        sent to the last answered (each request's latency from its own sending)."""
        gate = asyncio.Semaphore(concurrency)

        async def one(session: aiohttp.ClientSession) -> Request:
            async with gate:
                return await self._post(session)

        self.say(f"突发 spike: {count} 个请求 requests at {concurrency} concurrent …")
        window = self._window()
        async with self._session(concurrency) as session:
            window.open()
            requests = await asyncio.gather(*(one(session) for _ in range(count)))
            end, intake, rest, load = window.close()
        return intake_level(concurrency, requests, window.start, end, warmup_s=0.0, intake=intake, rest_cpu_s=rest,
                            load_cpu_s=load, spike=count)

    async def settle(self, limit_s: float) -> tuple[float, float]:
        """Supply the 容缺 materials while waiting (at most ``limit_s`` in all) until every accepted case is delivered;
        then 2 s more, in which a duplicate delivery would show. Returns the seconds waited and the deliveries per
        second in its last 30 s (still arriving, if some are missing: the wait was too short to judge)."""
        began = time.monotonic()
        supplying = asyncio.create_task(self._supply_deferred())
        said = began
        try:
            while time.monotonic() - began < limit_s:
                _, _, never = self.seen.tally()
                if not never:
                    break
                if time.monotonic() - said >= 10:
                    said = time.monotonic()
                    self.say(f"等待交付 waiting for deliveries: {len(self.seen.submitted_at) - never} of "
                             f"{len(self.seen.submitted_at)} delivered, 容缺 materials of {self.supplied} of "
                             f"{len(self.deferred)} cases supplied ({said - began:.0f} s)")
                await asyncio.sleep(0.5)
        finally:
            supplying.cancel()
            await asyncio.gather(supplying, return_exceptions=True)
        ended = time.monotonic()
        over = min(30.0, max(ended - began, 1.0))
        late_rate = self.seen.count(ended - over, ended + 1) / over
        await asyncio.sleep(2.0)  # a duplicate delivery would show up now
        return ended - began, late_rate

    async def _supply_deferred(self) -> None:
        """容缺补齐 for every case accepted on a tolerance commitment, as the closed loop does right after accepting."""
        if not self.deferred:
            return
        self.say(f"补齐容缺材料 supplying the deferred materials of {len(self.deferred)} cases …")
        gate = asyncio.Semaphore(SUPPLEMENTS_IN_FLIGHT)
        limits = httpx.Limits(max_connections=SUPPLEMENTS_IN_FLIGHT, max_keepalive_connections=SUPPLEMENTS_IN_FLIGHT)

        async def supply(client: httpx.AsyncClient, case: dict[str, Any], auth: httpx.Auth | None) -> None:
            async with gate:
                try:
                    await supply_deferred(client, case, auth)
                except Exception as exc:  # reported: that case can then not be delivered
                    self.supplement_errors.append(error_kind(exception=exc))
                else:
                    self.supplied += 1

        async with httpx.AsyncClient(base_url=self.intake_url, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
            await asyncio.gather(*(supply(client, case, auth) for case, auth in self.deferred))

    @property
    def supplement_tally(self) -> dict[str, int]:
        return tally_errors(self.supplement_errors)
