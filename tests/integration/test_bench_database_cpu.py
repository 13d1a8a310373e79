"""The bench counts a PostgreSQL server on this machine as part of the system it measures (onething.bench.probes):
found through the backend that answers, its CPU read from all its processes, a closed connection's included."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from onething.bench.probes import cpu_seconds, local_database_server, server_cpu_seconds


async def test_a_local_server_is_counted_whole_with_the_backends_that_have_gone(postgres_url: str) -> None:
    if make_url(postgres_url).host not in {None, "127.0.0.1", "localhost", "::1"}:
        pytest.skip("ONETHING_TEST_DATABASE_URL names a server elsewhere: its processes are not this machine's")
    server = await local_database_server(postgres_url)
    assert server is not None, "the test server runs on this machine"
    assert Path(f"/proc/{server}/comm").read_text().strip() == "postgres"  # noqa: ASYNC240 - /proc, no disk
    before = server_cpu_seconds(server)
    assert before is not None

    conn = await asyncpg.connect(make_url(postgres_url).set(drivername="postgresql").render_as_string(
        hide_password=False))
    backend = int(await conn.fetchval("SELECT pg_backend_pid()"))
    await conn.fetchval("SELECT count(*) FROM generate_series(1, 4000000)")  # a few tenths of a second of CPU
    burnt = cpu_seconds(backend)
    assert burnt is not None and burnt >= 0.1
    await conn.close()
    deadline = time.monotonic() + 10
    while cpu_seconds(backend) is not None and time.monotonic() < deadline:  # until the server has reaped it
        await asyncio.sleep(0.05)
    assert cpu_seconds(backend) is None

    after = server_cpu_seconds(server)
    assert after is not None and after - before >= burnt  # the backend's CPU stays counted after it has gone
