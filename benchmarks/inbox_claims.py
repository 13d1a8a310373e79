"""What a poll's inbox claims cost (收件登记开销): one statement per record against one for the poll.

    .venv/bin/python benchmarks/inbox_claims.py [--polls 300] [--records 20]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

For each way, ``--polls`` transactions each claiming ``--records`` new event ids for one consumer, as the consumer
runner does with a poll's records (docs/performance.md, step 25): ``UnitOfWork.claim`` once per id, then
``UnitOfWork.claim_all`` once per poll. Prints, per record, this process's CPU time and the wall time (on
PostgreSQL the wall time holds the round trips, and the server's work is not in this process's CPU). The embedded
SQLite by default (a temporary file); on PostgreSQL a database of its own (``inbox_claims_bench``), dropped after.
A measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from exchange.db.database import Database, create_database_if_missing
from exchange.testing.schema import create_plumbing_tables


async def _ways(database: Database, polls: int, records: int) -> None:
    for way in ("one statement per record", "one statement per poll"):
        started_cpu, started = time.process_time(), time.perf_counter()
        for _ in range(polls):
            ids = [uuid.uuid4() for _ in range(records)]
            async with database.unit_of_work() as uow:
                if way == "one statement per poll":
                    assert len(await uow.claim_all("bench", ids)) == records
                else:
                    for event_id in ids:
                        assert await uow.claim("bench", event_id)
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
        n = polls * records
        print(f"{way:26} {1e6 * cpu / n:6.1f} µs CPU, {1e6 * wall / n:6.1f} µs wall per record")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="inbox-claims-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        if url.startswith("postgresql"):
            url = make_url(url).set(database="inbox_claims_bench").render_as_string(hide_password=False)
        database = Database(url, source="bench")
        await create_database_if_missing(database.url)
        await create_plumbing_tables(database)
        try:
            print(f"{database.engine.dialect.name}: {args.polls} polls of {args.records} records")
            await _ways(database, args.polls, args.records)
        finally:
            await database.dispose()
        if url.startswith("postgresql"):
            admin = Database(args.database_url, source="bench")
            async with admin.engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("DROP DATABASE IF EXISTS inbox_claims_bench"))
            await admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=300)
    parser.add_argument("--records", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    asyncio.run(main(parser.parse_args()))
