"""What PostgreSQL does for a case (数据库活动): transactions, rows and scans per delivered case, by service.

    .venv/bin/python benchmarks/pg_activity.py [--after 35] [--seconds 20]
        [--server postgresql://postgres@127.0.0.1:5432/postgres] [-- <onething bench arguments>]

Starts ``onething bench`` on PostgreSQL (default arguments: ``--duration 40 --warmup 10 --window 16``), reads the
server's statistics of each bench database (``pg_stat_database``: commits and rollbacks; ``pg_stat_user_tables``:
sequential scans and the rows they read, index scans and the rows they fetched, rows inserted and updated)
``--after`` seconds after the start and again ``--seconds`` later, lets the bench finish and divides the differences
by the cases the bench delivered in that time (its rate × the seconds). The bench drops its databases at the end,
which is why they are read while it runs. docs/performance.md, "Where it stands". A measurement, not a test.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg

DATABASES = "SELECT datname, xact_commit, xact_rollback FROM pg_stat_database WHERE datname LIKE 'bench\\_%'"
TABLES = ("SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), coalesce(idx_tup_fetch, 0), n_tup_ins, "
          "n_tup_upd FROM pg_stat_user_tables")
TABLE_FIGURES = ("seq scans", "rows seq-read", "index scans", "rows fetched", "inserted", "updated")
RATE = re.compile(r"onething ([0-9.]+) cases/s")


def snapshot(server: str) -> tuple[dict[str, Counter[str]], dict[tuple[str, str], list[int]]]:
    """Per bench database (named by its service): commits and rollbacks; per (service, table): TABLE_FIGURES."""
    transactions: dict[str, Counter[str]] = {}
    tables: dict[tuple[str, str], list[int]] = {}
    with psycopg.connect(server, autocommit=True) as connection:
        for name, commits, rollbacks in connection.execute(DATABASES).fetchall():
            service = name.rsplit("_", 1)[-1]
            transactions[service] = Counter(commits=commits, rollbacks=rollbacks)
            with psycopg.connect(server.rsplit("/", 1)[0] + f"/{name}", autocommit=True) as database:
                for table, *figures in database.execute(TABLES).fetchall():
                    tables[(service, table)] = list(figures)
    return transactions, tables


def main() -> None:
    argv = sys.argv[1:]
    bench_args = argv[argv.index("--") + 1:] if "--" in argv else ["--duration", "40", "--warmup", "10", "--window",
                                                                    "16"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--after", type=float, default=35.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    url = args.server.replace("postgresql://", "postgresql+asyncpg://", 1)
    bench = subprocess.Popen(  # noqa: S603 - this environment's own command, the caller's bench arguments
        [str(Path(sys.executable).parent / "onething"), "bench", "--database-url", url, *bench_args],
        stdout=subprocess.PIPE, text=True)
    time.sleep(args.after)
    before = snapshot(args.server)
    started = time.monotonic()
    time.sleep(args.seconds)
    after = snapshot(args.server)
    elapsed = time.monotonic() - started
    output, _ = bench.communicate()
    found = RATE.findall(output)
    if not found or not before[0]:
        raise SystemExit(f"no bench rate or no bench database seen:\n{output[-2000:]}")
    rate = float(found[-1])
    cases = rate * elapsed
    print(f"{rate} cases/s delivered, {elapsed:.1f} s between the readings: {cases:.0f} cases")
    print(f"{'service':<12} {'commits/case':>13} {'rollbacks/s':>12}")
    for service, counts in sorted(after[0].items()):
        was = before[0].get(service, Counter())
        print(f"{service:<12} {(counts['commits'] - was['commits']) / cases:13.1f} "
              f"{(counts['rollbacks'] - was['rollbacks']) / elapsed:12.1f}")
    print(f"\nper case: {', '.join(TABLE_FIGURES)}")
    for key, figures in sorted(after[1].items()):
        was_figures = before[1].get(key, [0] * len(figures))
        per_case = [(now - then) / cases for now, then in zip(figures, was_figures, strict=True)]
        if any(per_case):
            print(f"{key[0]:<12} {key[1]:<24} " + " ".join(f"{value:9.1f}" for value in per_case))


if __name__ == "__main__":
    main()
