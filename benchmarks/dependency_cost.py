"""What a plain ``def`` dependency costs a request (依赖注入开销): FastAPI runs it in its thread pool.

    .venv/bin/python benchmarks/dependency_cost.py [--count 3000]

Two apps made as the services make theirs (``exchange.http_edge.service_app``; no limit on anonymous callers),
each with one route taking two dependencies that only read ``app.state`` (as ``POST /cases`` takes
``service_database`` and intake's ``_edge``): plain ``def`` in the first, ``async def`` in the second. ``--count`` requests to each, one after another, through
httpx's ASGI transport in this process (the client's share included). Prints this process's CPU time (every thread:
the pool's workers are threads of it) and the wall time per request. docs/performance.md, step 28. A measurement,
not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Request

from exchange.http_edge import harden, service_app
from exchange.settings import ExchangeSettings


def _app(*, threaded: bool) -> FastAPI:
    app = harden(service_app(title="dependency cost", version="0"),
                 ExchangeSettings(http_anonymous_rate_per_s=100_000, http_anonymous_burst=1_000_000))
    app.state.value = 1

    def plain(request: Request) -> int:
        return int(request.app.state.value)

    async def coroutine(request: Request) -> int:
        return int(request.app.state.value)

    reader: Callable[[Request], Any] = plain if threaded else coroutine

    # Defaults, not Annotated: the annotations are strings here, and ``reader`` is a local FastAPI cannot look up.
    @app.get("/x")
    async def route(a: int = Depends(reader), b: int = Depends(reader)) -> dict[str, int]:
        return {"sum": a + b}

    return app


async def _measure(app: FastAPI, count: int) -> tuple[float, float]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for _ in range(100):  # warm: the pool's threads started, the route's first answers made
            await client.get("/x")
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(count):
            answer = await client.get("/x")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert answer.status_code == 200, answer.text
    return cpu / count * 1e6, wall / count * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    args = parser.parse_args()
    for threaded in (True, False):
        cpu, wall = await _measure(_app(threaded=threaded), args.count)
        kind = "def (thread pool)" if threaded else "async def"
        print(f"2 dependencies, {kind:<18} {cpu:7.1f} µs CPU, {wall:7.1f} µs wall per request")


if __name__ == "__main__":
    asyncio.run(main())
