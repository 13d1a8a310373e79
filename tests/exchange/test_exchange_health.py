"""The service host under faults: ``/readyz`` tells the truth about the database and the broker, an HTTP
write that meets an unavailable database answers 503 (never 500), start-up waits for the database, and a
background job that fails transiently is restarted. Real PostgreSQL and real brokers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from exchange.broker import EmbeddedBroker
from exchange.db.database import Database, create_database_if_missing
from exchange.errors import Transient
from exchange.health import health_router
from exchange.kafka.producer import Producer
from exchange.runtime import _run_job, _start, answer_unavailable
from exchange.settings import ExchangeSettings

pytestmark = pytest.mark.integration


class Outage:
    """Refuse every connection to one test database (ALLOW_CONNECTIONS false and its backends terminated)."""

    def __init__(self, admin: AsyncEngine, name: str) -> None:
        self.admin, self.name = admin, name

    async def begin(self) -> None:
        async with self.admin.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            await conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"), {"d": self.name}
            )

    async def end(self) -> None:
        async with self.admin.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))


@pytest.fixture
async def outage(postgres_url: str, fresh_database_url: str) -> AsyncIterator[Outage]:
    admin = create_async_engine(make_url(postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    await create_database_if_missing(fresh_database_url)
    made = Outage(admin, str(make_url(fresh_database_url).database))
    yield made
    await made.end()
    await admin.dispose()


@pytest.fixture
async def database(fresh_database_url: str, outage: Outage) -> AsyncIterator[Database]:
    database = Database(fresh_database_url, source="tests")
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE thing (name text)"))
    yield database
    await database.dispose()


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t")


async def test_readyz_fails_while_the_database_is_unavailable_and_says_why(
    database: Database, outage: Outage, producer: Producer
) -> None:
    app = FastAPI()
    app.include_router(health_router("tests", {"database": database.ping, "broker": producer.ping}))
    async with client(app) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": {"ok": True, "reason": "answers"},
                                          "broker": {"ok": True, "reason": "answers"}}
        await outage.begin()
        down = await http.get("/readyz")
        assert down.status_code == 503
        body = down.json()
        assert body["ready"] is False
        assert body["checks"]["database"]["ok"] is False
        assert "unavailable" in body["checks"]["database"]["reason"]
        assert body["checks"]["broker"]["ok"] is True
        await outage.end()
        assert (await http.get("/readyz")).status_code == 200


async def test_readyz_fails_while_the_broker_is_down(unique_name: str) -> None:
    broker = EmbeddedBroker()
    await asyncio.to_thread(broker.start)
    producer = Producer(broker.bootstrap, client_id=unique_name)
    await producer.start()
    app = FastAPI()
    app.include_router(health_router("tests", {"broker": producer.ping}))
    try:
        async with client(app) as http:
            assert (await http.get("/readyz")).status_code == 200
            await asyncio.to_thread(broker.stop)
            down = await http.get("/readyz")
            assert down.status_code == 503
            assert down.json()["checks"]["broker"]["ok"] is False
            broker = EmbeddedBroker(port=broker.port)
            await asyncio.to_thread(broker.start)
            for _ in range(100):
                if (await http.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.2)
            assert (await http.get("/readyz")).status_code == 200
    finally:
        await producer.stop()
        await asyncio.to_thread(broker.stop)


async def test_a_write_that_meets_an_unavailable_database_answers_503_not_500(
    database: Database, outage: Outage
) -> None:
    app = FastAPI()

    @app.post("/things")
    async def add() -> dict[str, str]:
        async with database.unit_of_work() as uow:
            await uow.session.execute(text("INSERT INTO thing VALUES ('x')"))
        return {"status": "added"}

    @app.post("/bug")
    async def bug() -> dict[str, str]:
        raise ValueError("a bug stays a 500")

    answer_unavailable(app)
    async with client(app) as http:
        assert (await http.post("/things")).status_code == 200
        await outage.begin()
        refused = await http.post("/things")
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        body = refused.json()
        assert body["error"] == "unavailable"
        assert "稍后重试" in body["message_zh"] and "retry later" in body["message_en"]
        assert (await http.post("/bug")).status_code == 500
        await outage.end()
        assert (await http.post("/things")).status_code == 200
    async with database.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM thing")) == 2


async def test_start_up_waits_for_the_database(
    fresh_database_url: str, outage: Outage, kafka_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A service started while its database refuses connections waits, and migrates once it is back."""
    database = Database(fresh_database_url, source="intake")
    settings = ExchangeSettings(kafka_bootstrap=kafka_bootstrap, topic_partitions=1)
    stopping = asyncio.Event()
    await outage.begin()
    with caplog.at_level(logging.WARNING, logger="exchange.runtime"):
        starting = asyncio.create_task(_start(settings, database, "intake", stopping))
        for _ in range(200):
            if any("unavailable, waiting" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.05)
        assert not starting.done()
        assert [r for r in caplog.records if "unavailable, waiting" in r.getMessage()]
        await outage.end()
        producer = await asyncio.wait_for(starting, 60)
    try:
        async with database.engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM alembic_version")) == 1
        assert len([r for r in caplog.records if "unavailable, waiting" in r.getMessage()]) == 1  # once
    finally:
        await producer.stop()
        await database.dispose()


class FlakyJob:
    name = "flaky job"

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.runs = 0
        self.stopped = asyncio.Event()

    async def run(self) -> None:
        self.runs += 1
        if self.failures:
            raise self.failures.pop(0)
        await self.stopped.wait()

    def stop(self) -> None:
        self.stopped.set()


async def test_a_background_job_that_fails_transiently_is_restarted() -> None:
    job = FlakyJob([Transient("broker gone"), ConnectionResetError("reset")])
    stopping = asyncio.Event()
    running = asyncio.create_task(_run_job(job, stopping))
    for _ in range(100):
        if job.runs == 3:
            break
        await asyncio.sleep(0.05)
    assert job.runs == 3 and not running.done()
    stopping.set()
    job.stop()
    await asyncio.wait_for(running, 5)


async def test_a_background_job_that_fails_for_another_reason_stops_the_service() -> None:
    job = FlakyJob([ValueError("a bug")])
    with pytest.raises(ValueError, match="a bug"):
        await asyncio.wait_for(_run_job(job, asyncio.Event()), 5)
