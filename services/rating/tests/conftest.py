"""Rating fixtures: a migrated database, the loop, ``feed`` (an event handed to rating's consumer handler as
the runner would) and API clients signed as a given principal (or anonymous)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from contracts.days import china_today
from contracts.envelope import Envelope, EventPayload
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.signing import KeyRing
from exchange.testing.access import TestTokens, trusting
from exchange.testing.case_stream import on_the_case_stream
from exchange.testing.clients import SignedClients, signed_clients
from rating.config import RatingSettings
from rating.entrypoints.api import create_app
from rating.entrypoints.consumers import handlers
from rating.service_layer.handlers import LoopPolicy, RatingLoop

Client = SignedClients
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
        payload = on_the_case_stream(payload)
        envelope = Envelope.wrap(payload, source="tests", subject=getattr(payload, "case_id", "figures"))
        async with rating_db.unit_of_work(cause=envelope) as uow:
            await table[payload.event_type](uow, envelope, payload)
        return envelope

    return _feed


@pytest.fixture
def app(rating_db: Database, keyring: KeyRing, loop: RatingLoop) -> FastAPI:
    return trusting(create_app(rating_db, keyring, loop), keyring)


@pytest.fixture
async def client(app: FastAPI, keyring: KeyRing) -> AsyncIterator[Client]:
    """``client(principal)`` signs as ``principal`` (a department, a supervisor); ``client(None)`` is anonymous."""
    async with signed_clients(app, keyring, "好差评整改", "http://rating") as clients:
        yield clients


Rater = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def rater(app: FastAPI, tokens: TestTokens) -> AsyncIterator[Rater]:
    """``rater(id_number)``: a client signed in as that applicant (统一身份认证); ``rater(role, …)`` any other role."""
    opened: list[httpx.AsyncClient] = []

    def open_client(who: str | Role, *roles: Role) -> httpx.AsyncClient:
        headers = tokens.headers(Role.APPLICANT, id_number=who) if isinstance(who, str) and not isinstance(who, Role) \
            else tokens.headers(Role(who), *roles)
        opened.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rating",
                                        headers=headers))
        return opened[-1]

    yield open_client
    for http in opened:
        await http.aclose()
