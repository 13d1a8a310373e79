"""The DBOS peer, driven from the bench: its worker (:mod:`.dbos_worker`) runs in the interpreter of ``.venv-peers``
(``make bench`` makes it: DBOS and the platform cannot share one environment), on a database of the run's own and a
system database beside it (both dropped after). CPU counted: the worker process, and the PostgreSQL server when it
runs on this machine."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from onething.bench.figures import PeerFigures
from onething.bench.peers.loop import closed_loop
from onething.bench.peers.processes import database_cpu
from onething.bench.peers.workload import DEPARTMENTS, peer_database
from onething.bench.probes import cpu_seconds

__all__ = ["WORKER", "run_dbos"]

WORKER = Path(__file__).with_name("dbos_worker.py")


async def run_dbos(*, python: Path, server_url: str, window: int, warmup_s: float, duration_s: float) -> PeerFigures:
    server_cpu = await database_cpu(server_url)
    async with peer_database(server_url, "dbos") as dsn:
        database = dsn.rsplit("/", 1)[1]
        settings = {"dsn": dsn, "system_dsn": f"{dsn}_dbos", "departments": list(DEPARTMENTS)}
        worker = await asyncio.create_subprocess_exec(
            str(python), str(WORKER), json.dumps(settings), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, limit=1 << 20)
        assert worker.stdin is not None and worker.stdout is not None  # both piped just above
        stdin, stdout = worker.stdin, worker.stdout
        waiting: dict[str, asyncio.Future[float]] = {}
        reader: asyncio.Task[None] | None = None

        async def read() -> None:
            while line := await stdout.readline():
                case_id, _, at = line.decode().strip().partition(" ")
                future = waiting.pop(case_id, None)
                if future is not None and not future.done():
                    future.set_result(float(at))

        async def deliver(case_id: str) -> float:
            future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            waiting[case_id] = future
            stdin.write(f"{case_id}\n".encode())
            await stdin.drain()
            return await future

        try:
            ready = await asyncio.wait_for(stdout.readline(), 120)
            if ready.strip() != b"ready":
                raise RuntimeError(f"the DBOS worker did not start ({database}): {ready!r}")
            reader = asyncio.create_task(read())
            result = await closed_loop(deliver, window=window, warmup_s=warmup_s, duration_s=duration_s,
                                       prefix="DBOS-",
                                       cpu_now=lambda: (cpu_seconds(worker.pid) or 0.0) + server_cpu())
        finally:
            stdin.close()
            try:
                await asyncio.wait_for(worker.wait(), 30)
            except TimeoutError:
                worker.kill()
                await worker.wait()
        if reader is not None:
            await asyncio.gather(reader, return_exceptions=True)
    note = ("one async workflow per case, 4 steps gathered + delivery step, PostgreSQL, system database beside it"
            + (f"; {len(result.failures)} failed" if result.failures else ""))
    return PeerFigures("dbos", window, duration_s, result.delivered, result.latencies_ms, result.cpu_s, note)
