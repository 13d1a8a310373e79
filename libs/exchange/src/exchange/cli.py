"""The ``python -m <service>`` entrypoint every service shares: ``serve`` (default) or ``migrate``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import uvloop

from exchange.db.database import Database
from exchange.db.migrations import upgrade
from exchange.runtime import Platform, ServiceParts, configure_logging, serve
from exchange.settings import ExchangeSettings

__all__ = ["service_main"]


def service_main(
    settings_cls: type[ExchangeSettings],
    build: Callable[[Platform], ServiceParts],
    *,
    migrations_package: str | None,
) -> None:
    os.umask(0o077)  # what a service creates (SQLite files, their journals) is its own to read: 0600, 0700
    settings = settings_cls()
    parser = argparse.ArgumentParser(prog=f"python -m {settings.service_name}")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args()
    configure_logging(settings.log_level, log_format=settings.log_format, service=settings.service_name)
    if args.command == "migrate":
        if migrations_package is None:
            parser.error(f"{settings.service_name} has no database")
        asyncio.run(_migrate(settings, migrations_package))
        return
    settle_garbage_collector()
    sys.exit(run_loop(serve(settings, build, migrations_package=migrations_package), settings.event_loop))


T = TypeVar("T")

# Gen-0 collections every this many new container objects (CPython's default is 700). A record's handling makes
# thousands of short-lived dicts and models, nearly all freed by reference counting; at 700 the cyclic collector
# ran many times per record for nothing (gc_collect_main, ~5% of dispatch and supervision in py-spy). Older
# generations keep their default ratios.
GEN0_THRESHOLD = 20_000


def settle_garbage_collector() -> None:
    """What is loaded at start (modules, the catalogue, compiled statements) is moved out of the collector's sight
    (``gc.freeze``: never scanned again, nor its pages written by a scan), and young objects are collected less
    often (``docs/performance.md``)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, older, oldest)


def run_loop(main: Coroutine[Any, Any, T], event_loop: str) -> T:
    """``main`` to completion on a new event loop of the kind asked for (``ONETHING_EVENT_LOOP``)."""
    factory = uvloop.new_event_loop if event_loop == "uvloop" else None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


async def _migrate(settings: ExchangeSettings, package: str) -> None:
    database = Database(settings.resolved_database_url(), source=settings.service_name)
    try:
        await upgrade(database, package)
    finally:
        await database.dispose()
