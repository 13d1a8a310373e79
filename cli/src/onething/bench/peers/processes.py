"""Starting a peer's helper processes and reading their CPU (a Redis of the run's own; worker trees; the
PostgreSQL server the peer writes to, when it is on this machine)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from exchange.broker import free_port
from onething.bench.probes import children, cpu_seconds, local_database_cpu

__all__ = ["database_cpu", "own_redis", "tree_cpu_seconds"]


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and its descendants now alive (prefork workers are children of the main one)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += cpu_seconds(current) or 0.0
        todo += children(current)
    return total


async def database_cpu(server_url: str) -> Callable[[], float]:
    """A reading of the CPU seconds so far of the PostgreSQL server behind ``server_url``, counted in the peer's as
    OneThing's run counts it in its own; 0 always for a server on another machine."""
    read = await local_database_cpu(server_url)
    return (lambda: 0.0) if read is None else (lambda: read() or 0.0)


@contextmanager
def own_redis() -> Iterator[tuple[str, int]]:
    """A Redis of this run's own on a free port, keeping nothing on disk (the machine's shared Redis is never
    touched, let alone flushed); yields its URL (no db number) and pid."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not on PATH (Debian: apt install redis-server)")
    port = free_port("127.0.0.1")
    process = subprocess.Popen(  # noqa: S603 - a fixed binary found on PATH, fixed arguments
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,  # noqa: S603, S607
                             text=True).stdout.strip() != "PONG":
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"redis-server did not answer on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(10)
