"""Gateway fixtures: a migrated database (PostgreSQL and SQLite), ``feed`` (a request handed to the gateway's consumer handler in one
transaction with its inbox claim, as the runner does) and API clients signed as a given principal (or unsigned)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from contracts.dispatch.v1 import RequestSent, ReviewRequested
from contracts.envelope import Envelope, EventPayload
from contracts.intake.v1 import Applicant, MaterialProvision, MaterialRef
from exchange.db.database import Database
from exchange.signing import KeyRing
from exchange.testing.clients import SignedClients, signed_clients
from gateway.entrypoints.api import create_app
from gateway.entrypoints.consumers import build_handlers

# Departments no other suite's consumers read, so the gateway's tests have their request topics to themselves.
POLLING = "veterans"
CALLED_BACK = "meteorology"
SERVED: dict[str, str | None] = {POLLING: None, CALLED_BACK: "http://127.0.0.1:9/unused"}
APPLICANT = Applicant(name="李雷", id_type="resident_id", id_number="11010519491231002X")

Client = SignedClients
Feed = Callable[..., Awaitable[Envelope]]


def handling(case_id: str, department: str = POLLING, item_code: str = "V-01", attempt: int = 1,
             request_id: UUID | None = None) -> RequestSent:
    return RequestSent(request_id=request_id or uuid4(), case_id=case_id, task_id=f"{case_id}/{item_code}",
                       item_code=item_code, item_name_zh="退役军人优待证", department=department, attempt=attempt,
                       applicant=APPLICANT, form={"phone": "13800000000"})


def review(case_id: str, department: str = POLLING, item_code: str = "V-01") -> ReviewRequested:
    return ReviewRequested(request_id=uuid4(), case_id=case_id, item_code=item_code, item_name_zh="退役军人优待证",
                           department=department, round=1, applicant=APPLICANT, form={"phone": "13800000000"},
                           materials=(MaterialRef(code="M1", name_zh="退役证", provision=MaterialProvision.UPLOAD),))


@pytest.fixture
async def gateway_db(migrated_each_database: Callable[[str], Awaitable[Database]]) -> Database:
    """Once on PostgreSQL, once on the embedded default's SQLite file."""
    return await migrated_each_database("gateway")


@pytest.fixture
def feed(gateway_db: Database) -> Feed:
    """Hand a request to the gateway's handler as the runner would (inbox claim and handler in one transaction);
    ``event_id`` reuses an envelope id (a redelivery), a new one by default (a re-send)."""
    table = build_handlers(SERVED)

    async def _feed(payload: EventPayload, event_id: UUID | None = None, source: str = "dispatch") -> Envelope:
        envelope = Envelope.wrap(payload, source=source, subject=getattr(payload, "case_id", "x"),
                                 event_id=event_id, time=datetime.now(UTC))
        async with gateway_db.unit_of_work(cause=envelope) as uow:
            if await uow.claim("gateway", envelope.id):
                await table[payload.event_type](uow, envelope, payload)
        return envelope

    return _feed


@pytest.fixture
async def client(gateway_db: Database, keyring: KeyRing) -> AsyncIterator[Client]:
    """``client(principal)`` signs every request as ``principal``; ``client(None)`` signs nothing."""
    async with signed_clients(create_app(gateway_db, keyring, SERVED), keyring, "部门办理", "http://gateway") as clients:
        yield clients
