"""Benchmark: building a table row with ``Field(default_factory=list)`` against ``Field(default=[])``.

    .venv/bin/python benchmarks/table_defaults.py [--rows 20000]

docs/performance.md step 3: pydantic inspects a default factory's signature on every row it builds, so the
services' tables say ``default=[]`` (pydantic copies a mutable default per row, so rows never share it). Times
building ``--rows`` rows of a two-field SQLModel table each way, best of five, and prints µs per row.
A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import functools
import timeit
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel


class WithFactory(SQLModel, table=True):
    __tablename__ = "bench_with_factory"
    key: str = Field(sa_column=Column(String(36), primary_key=True))
    items: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class WithDefault(SQLModel, table=True):
    __tablename__ = "bench_with_default"
    key: str = Field(sa_column=Column(String(36), primary_key=True))
    items: list[Any] = Field(default=[], sa_column=Column(JSON, nullable=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    tables: tuple[type[SQLModel], ...] = (WithFactory, WithDefault)
    for table in tables:
        best = min(timeit.repeat(functools.partial(table, key="k"), number=args.rows, repeat=5))
        print(f"{table.__name__:<12} {best / args.rows * 1e6:7.1f} µs per row ({args.rows} rows, best of 5)")
    first, second = WithDefault(key="a"), WithDefault(key="b")
    first.items.append(1)
    print(f"rows share the default list: {second.items is first.items}")


if __name__ == "__main__":
    main()
