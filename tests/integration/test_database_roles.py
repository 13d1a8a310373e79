"""最小权限 (least privilege) in the database: ``deploy/postgres/init.sql``, as compose runs it, gives each service a
login role that owns its own database and can do nothing else; each service migrates and runs as that role.

Real PostgreSQL, real psql (the script uses psql's \\getenv and \\gexec), with a prefix of the test's own.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from exchange.db.database import Database, create_database_if_missing
from exchange.db.migrations import upgrade

pytestmark = pytest.mark.integration

INIT_SQL = Path(__file__).resolve().parents[2] / "deploy/postgres/init.sql"
SERVICES = ("intake", "dispatch", "licence", "supervision", "rating", "gateway")  # the processes with a database


def _psql(server: str, prefix: str) -> subprocess.CompletedProcess[str]:
    url = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(["psql", url, "-v", f"prefix={prefix}", "-f", str(INIT_SQL)], capture_output=True,
                          text=True, env={**os.environ, "POSTGRES_SERVICE_PASSWORD": "only-for-this-test"}, check=False)


def _as(server: str, role: str, database: str) -> str:
    return make_url(server).set(username=role, password="only-for-this-test", database=database).render_as_string(
        hide_password=False)


@pytest.fixture
def prefix(postgres_url: str) -> Iterator[str]:
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    yield prefix

    async def drop() -> None:
        admin = await asyncpg.connect(make_url(postgres_url).set(drivername="postgresql").render_as_string(
            hide_password=False))
        try:
            for service in SERVICES:
                await admin.execute(f'DROP DATABASE IF EXISTS "{prefix}{service}" WITH (FORCE)')
                await admin.execute(f'DROP ROLE IF EXISTS "{prefix}{service}"')
        finally:
            await admin.close()

    asyncio.run(drop())


def test_each_service_owns_its_database_and_nothing_else(postgres_url: str, prefix: str) -> None:
    first = _psql(postgres_url, prefix)
    assert first.returncode == 0, first.stderr
    again = _psql(postgres_url, prefix)  # a re-run (a second init) changes nothing and fails on nothing
    assert again.returncode == 0, again.stderr

    async def check() -> None:
        admin = await asyncpg.connect(make_url(postgres_url).set(drivername="postgresql").render_as_string(
            hide_password=False))
        try:
            for service in SERVICES:
                role = await admin.fetchrow("SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles "
                                            "WHERE rolname = $1", f"{prefix}{service}")
                assert role is not None and tuple(role) == (False, False, False, True), service
                owner = await admin.fetchval("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1",
                                             f"{prefix}{service}")
                assert owner == f"{prefix}{service}"
        finally:
            await admin.close()
        for service in SERVICES:  # each migrates its own database as itself, as it does at start-up
            url = _as(postgres_url, f"{prefix}{service}", f"{prefix}{service}").replace(
                "postgresql://", "postgresql+asyncpg://", 1)
            await create_database_if_missing(url)  # exists: nothing asked of the server's maintenance database
            database = Database(url, source=service)
            try:
                await upgrade(database, service)
            finally:
                await database.dispose()
        intake = _as(postgres_url, f"{prefix}intake", f"{prefix}intake").replace("postgresql+asyncpg", "postgresql")
        connection = await asyncpg.connect(intake)
        await connection.close()
        for other in ("dispatch", "licence"):  # nor may a service open another's database
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await asyncpg.connect(_as(postgres_url, f"{prefix}intake", f"{prefix}{other}").replace(
                    "postgresql+asyncpg", "postgresql"))
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # nor create one
            connection = await asyncpg.connect(intake)
            try:
                await connection.execute(f'CREATE DATABASE "{prefix}sneaky"')
            finally:
                await connection.close()

    asyncio.run(check())
