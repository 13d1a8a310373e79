"""The Celery peer: ``chord([dept.s(case, d) for d in four departments])(deliver.s(case))`` on Redis, prefork
workers, the writes on PostgreSQL (``peer-baselines.md``: prefork ``-c 2``, prefetch 4, JSON, the client
submitting from this process). CPU counted: the worker tree, its Redis and the PostgreSQL server when on this machine,
not the client."""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from onething.bench.figures import PeerFigures
from onething.bench.peers.delivery_watch import DeliveryWatch
from onething.bench.peers.loop import closed_loop
from onething.bench.peers.processes import database_cpu, own_redis, tree_cpu_seconds
from onething.bench.peers.workload import DEPARTMENTS, peer_database
from onething.bench.probes import cpu_seconds

__all__ = ["run_celery"]

CONCURRENCY = 2


def _start_workers(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "celery", "-A", "onething.bench.peers.celery_tasks", "worker", "-P", "prefork",
         "-c", str(CONCURRENCY), "--without-heartbeat", "--without-gossip", "--without-mingle",
         "--prefetch-multiplier", "4", "-l", "warning"], env=env, stdout=subprocess.DEVNULL)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    worker.wait(30)


async def run_celery(*, server_url: str, window: int, warmup_s: float, duration_s: float) -> PeerFigures:
    with own_redis() as (redis_url, redis_pid):
        async with peer_database(server_url, "celery") as dsn:
            env = {**os.environ, "ONETHING_PEER_REDIS": redis_url, "ONETHING_PEER_DSN": dsn}
            os.environ.update(ONETHING_PEER_REDIS=redis_url, ONETHING_PEER_DSN=dsn)  # the client's side of the app
            tasks: Any = importlib.reload(importlib.import_module("onething.bench.peers.celery_tasks"))
            from celery import chord

            server_cpu = await database_cpu(server_url)
            worker = _start_workers(env)
            watch = DeliveryWatch(dsn)
            await watch.start()
            # One thread submits, as a synchronous Celery client would: kombu's connections are not shared by threads.
            client = ThreadPoolExecutor(max_workers=1, thread_name_prefix="celery-client")
            loop = asyncio.get_running_loop()

            def submit(case_id: str) -> None:
                chord([tasks.dept.s(case_id, department) for department in DEPARTMENTS])(tasks.deliver.s(case_id))

            async def deliver(case_id: str) -> float:
                delivered = watch.expect(case_id)
                await loop.run_in_executor(client, submit, case_id)
                return await delivered

            try:
                await asyncio.wait_for(deliver("CELERY-READY"), 120)  # the workers are up
                result = await closed_loop(
                    deliver, window=window, warmup_s=warmup_s, duration_s=duration_s, prefix="CELERY-",
                    cpu_now=lambda: tree_cpu_seconds(worker.pid) + (cpu_seconds(redis_pid) or 0.0) + server_cpu())
            finally:
                await watch.stop()
                client.shutdown()
                await asyncio.to_thread(_stop, worker)
                # The client's results unsubscribe from Redis when collected: collect them while it still answers
                # (some sit in reference cycles; collected after it stopped, each would raise in __del__).
                gc.collect()
    note = (f"chord of 4 on its own Redis, prefork -c {CONCURRENCY}, PostgreSQL"
            + (f"; {len(result.failures)} failed" if result.failures else ""))
    return PeerFigures("celery", window, duration_s, result.delivered, result.latencies_ms, result.cpu_s, note)
