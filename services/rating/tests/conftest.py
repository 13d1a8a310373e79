"""Rating fixtures: a migrated database, the loop, ``feed`` (an event handed to rating's consumer handler as
the runner would) and API clients signed as a given principal (or anonymous)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from contracts.days import china_today
from contracts.envelope import Envelope, EventPayload
from exchange.db.database import Database
from exchange.http_identity import async_signing_hook
from exchange.signing import KeyRing
from rating.config import RatingSettings
from rating.entrypoints.api import create_app
from rating.entrypoints.consumers import handlers
from rating.service_layer.handlers import LoopPolicy, RatingLoop

Client = Callable[[str | None], httpx.AsyncClient]
Feed = Callable[[EventPayload], Awaitable[Envelope]]


@pytest.fixture
async def rating_db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("rating")


@pytest.fixture
def loop() -> RatingLoop:
    return RatingLoop(LoopPolicy.of(RatingSettings(rating_max_unreachable_callbacks=2)), china_today)


@pytest.fixture
def feed(rating_db: Database, loop: RatingLoop) -> Feed:
    """Hand an event to rating's consumer handler, in its own transaction, as the runner would."""
    table = handlers(loop)

    async def _feed(payload: EventPayload) -> Envelope:
        envelope = Envelope.wrap(payload, source="tests", subject=getattr(payload, "case_id", "figures"))
        async with rating_db.unit_of_work(cause=envelope) as uow:
            await table[payload.event_type](uow, envelope, payload)
        return envelope

    return _feed


@pytest.fixture
async def client(rating_db: Database, keyring: KeyRing, loop: RatingLoop) -> AsyncIterator[Client]:
    """``client(principal)`` signs as ``principal``; ``client(None)`` is an anonymous rating channel."""
    app = create_app(rating_db, keyring, loop)
    opened: list[httpx.AsyncClient] = []

    def _client(principal: str | None) -> httpx.AsyncClient:
        hooks = [] if principal is None else [async_signing_hook(keyring.signer(principal), "好差评整改")]
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rating",
                                 event_hooks={"request": hooks})
        opened.append(http)
        return http

    yield _client
    for http in opened:
        await http.aclose()
