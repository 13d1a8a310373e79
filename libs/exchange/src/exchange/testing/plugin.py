"""pytest fixtures shared by every test suite (registered through the ``pytest11`` entry point).

``kafka_bootstrap`` and ``postgres_url`` are the real broker and the real PostgreSQL; each test
that needs a database gets a fresh one (``fresh_database_url``) that is dropped afterwards, and a test
about the embedded default too gets one of each (``each_database_url``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.departments import DEPARTMENTS, department_principal, seal_principal
from contracts.intake.v1 import RATERS_PRINCIPAL
from contracts.sharing.v1 import BASE_REGISTRIES, registry_principal
from exchange.access.tokens import IDENTITY_PRINCIPAL
from exchange.db.database import Database
from exchange.db.migrations import upgrade
from exchange.signing import KeyRing, ensure_holdings
from exchange.testing.access import AuthorisedClient, TestTokens, authorised_client
from exchange.testing.infrastructure import broker_bootstrap, postgres_server

SERVICE_PRINCIPALS = ("intake", "dispatch", "licence", "supervision", "rating", "gateway", "tests", "operator",
                      IDENTITY_PRINCIPAL)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    with broker_bootstrap() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys")
    # As a deployment lays them out (onething.system.key_holdings), except that the gateway may answer for any
    # department here: tests choose which it serves. KeyRing(path) without a holder sees every private key.
    departments = [department_principal(d.code) for d in DEPARTMENTS]
    holdings = {principal: [principal] for principal in SERVICE_PRINCIPALS}
    holdings["licence"] += [seal_principal(d.code) for d in DEPARTMENTS]
    holdings["intake"] += [RATERS_PRINCIPAL]
    holdings["rating"] += [RATERS_PRINCIPAL]
    holdings["gateway"] += departments
    holdings["simulators"] = ["simulators", IDENTITY_PRINCIPAL, *departments,
                              *(registry_principal(r) for r in BASE_REGISTRIES)]
    ensure_holdings(path, holdings)
    return path


@pytest.fixture(scope="session")
def keyring(keys_dir: Path) -> KeyRing:
    return KeyRing(keys_dir)


@pytest.fixture(scope="session")
def tokens(keyring: KeyRing) -> TestTokens:
    """Bearer tokens signed by the session's identity key (apps made with :func:`trusting` accept them)."""
    return TestTokens(keyring)


@pytest.fixture(scope="session")
def api_client(keyring: KeyRing) -> AuthorisedClient:
    """``api_client(app, Role.CLERK, base_url=…)``: an in-process client carrying a token with those roles."""
    return authorised_client(keyring)


@pytest.fixture
def unique_name() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


async def _drop_database(server_url: str, name: str) -> None:
    admin = create_async_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@asynccontextmanager
async def _migrating(url: str) -> AsyncIterator[Callable[[str], Awaitable[Database]]]:
    """Migrate services' databases at ``url``: the first service takes it, any other one its own beside it
    (a test of two services gets a database for each, as they have in production)."""
    opened: list[Database] = []
    beside: list[str] = []

    async def migrate(service: str) -> Database:
        target = make_url(url)
        if opened and target.get_backend_name() == "sqlite":
            target = target.set(database=str(Path(str(target.database)).with_name(f"{service}.db")))
        elif opened:
            target = target.set(database=f"{target.database}_{service}")
            beside.append(str(target.database))
        database = Database(target.render_as_string(hide_password=False), source=service)
        opened.append(database)
        await upgrade(database, service)
        return database

    try:
        yield migrate
    finally:
        for database in opened:
            await database.dispose()
        for name in beside:
            await asyncio.wait_for(_drop_database(url, name), 30)


@pytest.fixture
async def migrated_database(fresh_database_url: str) -> AsyncIterator[Callable[[str], Awaitable[Database]]]:
    """Call with a service package name: its own fresh PostgreSQL database, migrated to head."""
    async with _migrating(fresh_database_url) as migrate:
        yield migrate


@pytest.fixture(params=["postgresql", "sqlite"])
def each_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database that does not exist yet: once on PostgreSQL, once as the embedded default's SQLite file."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("fresh_database_url"))
    return f"sqlite+aiosqlite:///{tmp_path / 'db' / 'service.db'}"


@pytest.fixture
async def migrated_each_database(each_database_url: str) -> AsyncIterator[Callable[[str], Awaitable[Database]]]:
    """Like ``migrated_database``, once on PostgreSQL and once on the embedded SQLite default."""
    async with _migrating(each_database_url) as migrate:
        yield migrate


@pytest.fixture
async def fresh_database_url(postgres_url: str, unique_name: str) -> AsyncIterator[str]:
    """URL of a PostgreSQL database that does not exist yet (services create and migrate it)."""
    url = make_url(postgres_url).set(database=f"onething_test_{unique_name}")
    yield url.render_as_string(hide_password=False)
    await asyncio.wait_for(_drop_database(postgres_url, str(url.database)), 30)
