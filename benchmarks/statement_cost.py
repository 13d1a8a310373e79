"""Benchmark: one statement on the embedded SQLite through SQLAlchemy's ``AsyncConnection.execute`` against
``exchange.db.statements.run`` (the transaction's own ``sqlite3`` cursor).

    .venv/bin/python benchmarks/statement_cost.py [--statements 2000]

docs/performance.md step 12. In one transaction of a fresh database, ``--statements`` inbox claims (``INSERT … ON
CONFLICT DO NOTHING``) and as many selects by key (finding nothing), each way, and prints µs per statement.
A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime

from sqlmodel import SQLModel

from exchange.db.database import Database
from exchange.db.statements import equal_params, insert_if_absent, run, select_where_equal
from exchange.db.tables import ProcessedEvent


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{folder}/bench.db", source="bench")
        table = ProcessedEvent.__table__  # type: ignore[attr-defined]
        async with database.engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all, tables=[table])
        claim, find = insert_if_absent(table, "sqlite"), select_where_equal(table, ("consumer", "event_id"))
        async with database.unit_of_work() as uow:
            connection = await uow.connection()
            for way in ("AsyncConnection.execute", "statements.run"):
                started = time.perf_counter()
                for _ in range(count):
                    row = {"consumer": "bench", "event_id": str(uuid.uuid4()), "processed_at": datetime.now(UTC)}
                    if way == "statements.run":
                        await run(connection, claim, row)
                    else:
                        await connection.execute(claim, row)
                inserted = time.perf_counter()
                for _ in range(count):
                    params = equal_params({"consumer": "bench", "event_id": "none"})
                    if way == "statements.run":
                        await run(connection, find, params)
                    else:
                        list((await connection.execute(find, params)).mappings())
                selected = time.perf_counter()
                print(f"{way:24} insert {1e6 * (inserted - started) / count:6.1f} µs, "
                      f"select {1e6 * (selected - inserted) / count:6.1f} µs per statement")
        await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=2000)
    asyncio.run(main(parser.parse_args().statements))
