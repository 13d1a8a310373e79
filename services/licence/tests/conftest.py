"""Fixtures of the licence tests: a migrated database, the department seals, a way to approve an item,
and an HTTP client that signs its requests as a given principal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.dispatch.v1 import LicenceRequested
from contracts.envelope import Envelope
from exchange.db.database import Database
from exchange.signing import KeyRing
from exchange.testing.access import trusting
from exchange.testing.clients import SignedClients, signed_clients
from licence.entrypoints.api import create_app
from licence.entrypoints.consumers import build_handlers
from licence.service_layer.issuers import Issuers
from licence.service_layer.verification import Verifier

PUBLIC_URL = "http://licence.test"
HOLDER = "430102202611210011"

Approve = Callable[..., Awaitable[Envelope]]
Client = SignedClients


@pytest.fixture
async def licence_db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("licence")


@pytest.fixture
def issuers(keyring: KeyRing) -> Issuers:
    return Issuers(keyring, region="430100", region_name_zh="长沙市", public_url=PUBLIC_URL)


def licence_request(case_id: str = "C-1", item_code: str = "P-01-01", **overrides: Any) -> LicenceRequested:
    values: dict[str, Any] = {
        "case_id": case_id, "task_id": f"{case_id}/{item_code}", "item_code": item_code, "department": "health",
        "attempt": 1, "document_no": None, "licence_type": "birth-medical-certificate", "holder_id": HOLDER,
        "holder_name": "张小明", "concluded_at": datetime.now(UTC),
    }
    return LicenceRequested.model_validate({**values, **overrides})


@pytest.fixture
def approve(licence_db: Database, issuers: Issuers) -> Approve:
    """Hand dispatch's licence request (an approved item) to the issuing handler ``times`` times, one transaction each (as redeliveries)."""

    async def _approve(case_id: str = "C-1", item_code: str = "P-01-01", *, times: int = 1, **overrides: Any) -> Envelope:
        payload = licence_request(case_id, item_code, **overrides)
        handler = build_handlers(issuers)[LicenceRequested.event_type]
        envelope = Envelope.wrap(payload, source="dispatch", subject=case_id)
        for _ in range(times):
            async with licence_db.unit_of_work(cause=envelope) as uow:
                await handler(uow, envelope, payload)
        return envelope

    return _approve


@pytest.fixture
async def client(licence_db: Database, keyring: KeyRing, issuers: Issuers) -> AsyncIterator[Client]:
    """``client(principal)``: requests signed as ``principal`` with a stated purpose; ``client(None)``: anonymous."""
    app = trusting(create_app(licence_db, keyring, issuers, Verifier(licence_db, issuers),
                              archive_readers=["intake", "dept.*"]), keyring)
    async with signed_clients(app, keyring, "办理出生一件事：核验出生医学证明", PUBLIC_URL) as clients:
        yield clients


@pytest.fixture
def holder() -> str:
    return HOLDER
