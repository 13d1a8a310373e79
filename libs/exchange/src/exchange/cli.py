"""The ``python -m <service>`` entrypoint every service shares: ``serve`` (default) or ``migrate``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable

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
    sys.exit(asyncio.run(serve(settings, build, migrations_package=migrations_package)))


async def _migrate(settings: ExchangeSettings, package: str) -> None:
    database = Database(settings.resolved_database_url(), source=settings.service_name)
    try:
        await upgrade(database, package)
    finally:
        await database.dispose()
