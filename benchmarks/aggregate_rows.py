"""What loading and saving a case costs (聚合读写开销): dispatch's and intake's ``SqlCases`` on real rows, and
intake's read of a case for an answer.

    .venv/bin/python benchmarks/aggregate_rows.py [--data-dir .onething/bench] [--transactions 3000]

Copies the SQLite databases a bench left in ``--data-dir`` (``onething bench`` first, on the embedded default) to a
temporary folder and, for each of dispatch and intake, runs ``--transactions`` transactions that each load one of
the cases (``SqlCases.get_for_update``, its task rows with it in dispatch) and save it back unchanged, as a
consumer does at every record of a case (docs/performance.md, steps 29 and 30); then the same number of empty
transactions; for intake, as many reads of a case with its timeline (``views.case_with_timeline``: every answer to
``POST /cases`` and every look at a case, step 31). Prints this process's CPU per transaction. A measurement, not a
test.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text

from dispatch.adapters.repositories import SqlCases as DispatchCases
from exchange.db.database import Database
from exchange.db.unit_of_work import UnitOfWork
from intake.adapters.repositories import SqlCases as IntakeCases
from intake.adapters.views import case_with_timeline

_WAYS: dict[str, tuple[str, Callable[[UnitOfWork], DispatchCases | IntakeCases]]] = {
    "dispatch": ("dispatch_case", DispatchCases),
    "intake": ("intake_case", IntakeCases),
}


async def _timed(what: str, transactions: int, one: Callable[[int], Awaitable[None]]) -> None:
    for i in range(min(300, transactions)):  # warm: statements prepared, the pool filled
        await one(i)
    started = time.process_time()
    for i in range(transactions):
        await one(i)
    print(f"{what:38} {1e6 * (time.process_time() - started) / transactions:6.0f} µs CPU per transaction")


async def _service(folder: Path, service: str, transactions: int) -> None:
    table, repository = _WAYS[service]
    database = Database(f"sqlite:///{folder / f'{service}.db'}", source="bench")
    try:
        async with database.unit_of_work() as uow:
            found = await (await uow.connection()).execute(text(f"SELECT case_id FROM {table} LIMIT 200"))
            case_ids = [row[0] for row in found]
        if not case_ids:
            raise SystemExit(f"no cases in {service}'s database: run `onething bench` first")

        async def load_and_save(i: int) -> None:
            async with database.unit_of_work() as uow:
                cases = repository(uow)
                assert await cases.get_for_update(case_ids[i % len(case_ids)]) is not None
                await cases.save()

        async def empty(_: int) -> None:
            async with database.unit_of_work() as uow:
                await uow.connection()

        await _timed(f"{service}: a case loaded and saved", transactions, load_and_save)
        await _timed(f"{service}: an empty transaction", transactions, empty)
        if service == "intake":

            async def answer(i: int) -> None:
                assert await case_with_timeline(database, case_ids[i % len(case_ids)]) is not None

            await _timed("intake: a case read for an answer", transactions, answer)
    finally:
        await database.dispose()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="aggregate-rows-") as folder:
        for service in _WAYS:
            for suffix in ("", "-wal", "-shm"):
                source = args.data_dir / f"{service}.db{suffix}"
                if source.exists():
                    shutil.copy(source, Path(folder) / source.name)
            await _service(Path(folder), service, args.transactions)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(".onething/bench"))
    parser.add_argument("--transactions", type=int, default=3000)
    asyncio.run(main(parser.parse_args()))
