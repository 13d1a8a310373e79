"""The peers' workload on PostgreSQL (``peer-baselines.md``): a case is four department INSERTs, in parallel,
then, when all four exist, one join INSERT; departments answer at once. A database of its own per run."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

__all__ = ["DEPARTMENTS", "SCHEMA", "peer_database"]

DEPARTMENTS = ("health", "police", "medical-insurance", "hrss")
SCHEMA = (
    "CREATE TABLE task_result (case_id text NOT NULL, dept text NOT NULL, payload jsonb NOT NULL, "
    "PRIMARY KEY (case_id, dept))",
    "CREATE TABLE delivery (case_id text PRIMARY KEY, ts timestamptz NOT NULL DEFAULT clock_timestamp())",
)


@asynccontextmanager
async def peer_database(server_url: str, peer: str) -> AsyncIterator[str]:
    """A fresh database with the workload's tables on ``server_url``'s server, dropped afterwards; yields its
    libpq URL (``postgresql://…``, for psycopg)."""
    name = f"bench_peer_{peer}_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(make_url(server_url).set(drivername="postgresql+asyncpg", database="postgres"),
                                isolation_level="AUTOCOMMIT")
    url = make_url(server_url).set(drivername="postgresql+asyncpg", database=name)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            for statement in SCHEMA:
                await conn.execute(text(statement))
        await engine.dispose()
        yield url.set(drivername="postgresql").render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_dbos" WITH (FORCE)'))  # the DBOS peer's own
        await admin.dispose()
