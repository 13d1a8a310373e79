"""回调推送 to a real local HTTP server, on real PostgreSQL: each request is POSTed signed by the gateway; a failing
or hanging callback is retried with exponential back-off, parked after the last attempt (visible to the department,
and still answerable by polling), and re-driven on the department's word."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from aiohttp import web

from contracts.topics import CASE_STREAM
from exchange.broker import free_port
from exchange.db.database import Database
from exchange.request_signing import verify_request
from exchange.signing import KeyRing
from exchange.testing.outbox import outbox
from gateway.adapters import views
from gateway.adapters.requests_json import as_json
from gateway.domain.requests import DeliveryPolicy
from gateway.service_layer.delivery import CallbackDelivery
from gateway.service_layer.unit_of_work import gateway_work

from .conftest import CALLED_BACK, Client, Feed, handling

pytestmark = pytest.mark.integration

POLICY = DeliveryPolicy(max_attempts=3, backoff_s=1.0, backoff_max_s=4.0)


@dataclass
class DepartmentSystem:
    """The department's own HTTP service: answers ``status`` (or hangs when ``hang``), keeps what it was sent."""

    url: str
    status: int = 503
    hang: bool = False
    received: list[tuple[dict[str, str], bytes, str]] = field(default_factory=list)


@pytest.fixture
async def department_system() -> AsyncIterator[DepartmentSystem]:
    port = free_port()
    system = DepartmentSystem(url=f"http://127.0.0.1:{port}/onething/requests?token=abc")

    async def handle(request: web.Request) -> web.Response:
        system.received.append((dict(request.headers), await request.read(), request.path_qs))
        if system.hang:
            await asyncio.sleep(1.5)
        return web.json_response({"ok": system.status < 300}, status=system.status)

    app = web.Application()
    app.router.add_post("/onething/requests", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield system
    await runner.cleanup()


async def test_a_failing_callback_is_retried_with_back_off_then_parked_and_re_driven(
        gateway_db: Database, keyring: KeyRing, feed: Feed, client: Client, department_system: DepartmentSystem,
        unique_name: str) -> None:
    delivery = CallbackDelivery(partial(gateway_work, gateway_db), {CALLED_BACK: department_system.url}, POLICY,
                                keyring.signer("gateway"), timeout_s=0.5, poll_s=0.05)
    request = handling(f"OT{unique_name}", department=CALLED_BACK)
    await feed(request)
    http = client(f"dept.{CALLED_BACK}")

    async def state() -> dict[str, Any]:
        response = await http.get(f"/departments/{CALLED_BACK}/requests/{request.request_id}")
        assert response.status_code == 200
        return dict(response.json())

    shown = as_json(await views.one(gateway_db, CALLED_BACK, request.request_id))  # as the department polls it
    t0 = datetime.now(UTC)
    assert await delivery.deliver_due(t0) == 1
    assert json.loads(department_system.received[0][1]) == shown  # pushed as it would have polled it
    first = await state()
    assert (first["state"], first["delivery_attempts"]) == ("pending", 1)
    assert first["last_delivery_error"].startswith("HTTP 503")
    assert datetime.fromisoformat(first["next_delivery_at"]) == t0 + timedelta(seconds=1)
    assert await delivery.deliver_due(t0 + timedelta(seconds=0.5)) == 0  # not due yet: backing off

    department_system.hang = True  # a callback that never answers is cut off by the timeout
    assert await delivery.deliver_due(t0 + timedelta(seconds=1)) == 1
    second = await state()
    assert second["delivery_attempts"] == 2 and "Timeout" in second["last_delivery_error"]
    assert datetime.fromisoformat(second["next_delivery_at"]) == t0 + timedelta(seconds=3)  # 1 s + 2 s

    department_system.hang = False
    assert await delivery.deliver_due(t0 + timedelta(seconds=3)) == 1
    parked = await state()
    assert (parked["state"], parked["delivery_attempts"], parked["next_delivery_at"]) == ("undeliverable", 3, None)
    assert await delivery.deliver_due(t0 + timedelta(days=1)) == 0  # parked: never tried again by itself
    [announced] = await outbox(gateway_db, "gateway.callback.parked")  # supervision cards the department
    assert announced.topic == CASE_STREAM.name and announced.key == request.case_id
    assert (announced.envelope["data"]["request_id"], announced.envelope["data"]["attempts"]) == (
        str(request.request_id), 3)
    listed = (await http.get(f"/departments/{CALLED_BACK}/requests", params={"state": "undeliverable"})).json()
    assert [r["request_id"] for r in listed["requests"]] == [str(request.request_id)]
    polled = (await http.get(f"/departments/{CALLED_BACK}/requests")).json()  # polling works regardless
    assert [r["request_id"] for r in polled["requests"]] == [str(request.request_id)]

    department_system.status = 202  # the department fixed its system, and re-drives the delivery
    redriven = await http.post(f"/departments/{CALLED_BACK}/requests/{request.request_id}/redrive")
    assert redriven.status_code == 200 and redriven.json()["state"] == "pending"
    assert redriven.json()["delivery_attempts"] == 0
    assert await delivery.deliver_due(datetime.now(UTC) + timedelta(seconds=1)) == 1
    done = await state()
    assert (done["state"], done["last_delivery_error"]) == ("delivered", None)
    assert await delivery.deliver_due(datetime.now(UTC) + timedelta(days=1)) == 0
    assert len(await outbox(gateway_db, "gateway.callback.parked")) == 1  # parked once, announced once

    assert len(department_system.received) == 4
    for headers, body, target in department_system.received:  # every push is signed by the gateway
        identity = verify_request(keyring, headers, "POST", target, body=body, now=datetime.now(UTC))
        assert identity.principal == "gateway"
        assert b'"request_id":"' + str(request.request_id).encode() in body.replace(b" ", b"")


async def test_the_delivery_job_runs_until_stopped_and_delivers_new_requests(
        gateway_db: Database, keyring: KeyRing, feed: Feed, department_system: DepartmentSystem,
        unique_name: str) -> None:
    department_system.status = 200
    delivery = CallbackDelivery(partial(gateway_work, gateway_db), {CALLED_BACK: department_system.url}, POLICY,
                                keyring.signer("gateway"), timeout_s=2.0, poll_s=0.05)
    job = asyncio.create_task(delivery.run())
    try:
        await feed(handling(f"OT{unique_name}", department=CALLED_BACK))
        for _ in range(200):
            if department_system.received:
                break
            await asyncio.sleep(0.05)
        assert len(department_system.received) == 1
    finally:
        delivery.stop()
        await asyncio.wait_for(job, 10)
