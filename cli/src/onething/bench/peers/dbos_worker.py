"""The DBOS peer's process: one async ``@DBOS.workflow`` per case running four department steps together, then a
delivery step (``peer-baselines.md``), submitted in this same process with ``DBOS.start_workflow_async``.

Run by an interpreter of its own (``make bench`` makes ``.venv-peers``): DBOS needs croniter ≥ 6, which the
platform's stream library (faust's mode) refuses. So this file imports nothing of OneThing's. It is driven through
pipes: argv is a JSON object (``dsn``, ``system_dsn``, ``departments``); each line read on stdin is a case id to
start; each line written on stdout is ``<case id> <delivery time, Unix seconds>`` (the row's clock_timestamp()),
after ``ready``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from dbos import DBOS, DBOSConfig
from psycopg_pool import AsyncConnectionPool

_pool: Any = None


@DBOS.step()
async def department_step(case_id: str, department: str) -> str:
    async with _pool.connection() as conn:
        await conn.execute(
            "INSERT INTO task_result (case_id, dept, payload) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (case_id, department, json.dumps({"outcome": "approved", "department": department})))
    return department


@DBOS.step()
async def delivery_step(case_id: str) -> float:
    async with _pool.connection() as conn:
        cursor = await conn.execute(
            "INSERT INTO delivery (case_id) VALUES (%s) ON CONFLICT (case_id) DO UPDATE SET case_id = excluded.case_id "
            "RETURNING extract(epoch FROM ts)::float8", (case_id,))
        row = await cursor.fetchone()
    return float(row[0])


@DBOS.workflow()
async def case_workflow(case_id: str, departments: list[str]) -> float:
    await asyncio.gather(*(department_step(case_id, d) for d in departments))
    return float(await delivery_step(case_id))


async def _serve(settings: dict[str, Any]) -> None:
    global _pool
    _pool = AsyncConnectionPool(settings["dsn"], max_size=16, open=False, kwargs={"autocommit": True})
    await _pool.open()
    config: DBOSConfig = {"name": "onething-bench-peer", "system_database_url": settings["system_dsn"],
                          "sys_db_pool_size": 50}
    DBOS(config=config)
    DBOS.launch()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    running: set[asyncio.Task[None]] = set()

    async def one(case_id: str) -> None:
        handle = await DBOS.start_workflow_async(case_workflow, case_id, settings["departments"])
        delivered = await handle.get_result()
        sys.stdout.write(f"{case_id} {delivered}\n")
        sys.stdout.flush()

    print("ready", flush=True)
    while line := await reader.readline():
        task = asyncio.create_task(one(line.decode().strip()))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running, return_exceptions=True)
    DBOS.destroy()
    await _pool.close()


if __name__ == "__main__":
    asyncio.run(_serve(json.loads(sys.argv[1])))
