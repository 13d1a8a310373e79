"""The gateway's journey on the real broker and PostgreSQL, dispatch and the gateway each wired by its own ``build``:
a case for a department served over HTTP → its preliminary review and then its handling request appear on poll →
answered with requests signed by the department → dispatch concludes the task, once. Every receipt and answer on
``exchange.dept.results`` verifies as the department's, on one unbroken chain; a request re-sent by dispatch is
stored once and receipted identically."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from contracts.envelope import Envelope
from contracts.intake.v1 import Applicant, CaseAccepted, CaseItem, Channel, DeliveryMethod
from contracts.topics import ALL_TOPICS, CASE_DOSSIER, CASE_STREAM, DEPARTMENT_RESULTS, department_requests
from dispatch.bootstrap import build as build_dispatch
from dispatch.config import DispatchSettings
from exchange.chain import GENESIS, link, verify_chain
from exchange.db.database import Database
from exchange.http_identity import async_signing_hook
from exchange.kafka.admin import ensure_topics
from exchange.kafka.producer import Producer, record_of
from exchange.outbox import OutboxRelay
from exchange.runtime import Platform, ServiceParts
from exchange.signing import KeyRing
from exchange.testing.topics import records
from gateway.bootstrap import build as build_gateway
from gateway.config import GatewaySettings

pytestmark = pytest.mark.integration

DEPARTMENT = "veterans"  # no other suite's consumers read its request topic


@dataclass
class Exchange:
    bootstrap: str
    keyring: KeyRing
    producer: Producer
    gateway: httpx.AsyncClient  # signed as the department
    release_receipts: Callable[[], None]  # start the gateway's relay, when the test held it back

    async def read(self, topic: str, key: str, count: int) -> list[dict[str, Any]]:
        found = await records(self.bootstrap, topic, keep=lambda r: r.key == key.encode(), count=count, quiet_polls=5)
        return [json.loads(r.value) for r in found if r.value]

    async def publish(self, envelope: Envelope, source: str, topic: str) -> dict[str, Any]:
        wire = self.keyring.signer(source).sign_envelope(link(envelope.to_wire(), GENESIS))
        await self.producer.send(topic, envelope.subject, record_of(wire)[0])
        return wire

    async def polled(self, kind: str, case_id: str) -> dict[str, Any]:
        """The department's first open request of ``kind`` for ``case_id``, once it is there."""
        for _ in range(300):
            response = await self.gateway.get(f"/departments/{DEPARTMENT}/requests")
            if response.status_code == 503:  # the database is busy or away: a department tries again later
                await asyncio.sleep(0.5)
                continue
            found = [r for r in response.json()["requests"] if r["kind"] == kind and r["case_id"] == case_id]
            if found:
                return dict(found[0])
            await asyncio.sleep(0.1)
        raise AssertionError(f"no {kind} request for {case_id} polled")


def _relay(platform: Platform, parts: ServiceParts) -> OutboxRelay:
    assert platform.database is not None
    return OutboxRelay(platform.database, platform.producer, platform.signer, poll_interval_s=0.05,
                       signers={p: platform.keyring.signer(p) for p in parts.signs_for})  # as exchange.runtime does


@pytest.fixture
async def exchange(request: pytest.FixtureRequest, kafka_bootstrap: str, keys_dir: Path,
                   migrated_database: Callable[[str], Awaitable[Database]]) -> AsyncIterator[Exchange]:
    """Dispatch (consumers, answer deadlines) and the gateway, each with its outbox relay, running. Parametrised
    indirectly: ``answer_timeout_s`` for dispatch, ``hold_receipts`` to start the gateway's relay only when the
    test calls ``release_receipts``."""
    options: dict[str, Any] = getattr(request, "param", {})
    common: dict[str, Any] = {"kafka_bootstrap": kafka_bootstrap, "keys_dir": keys_dir, "topic_partitions": 1,
                              "kafka_session_timeout_ms": 2000, "kafka_heartbeat_interval_ms": 300}
    keyring = KeyRing(keys_dir)
    await ensure_topics(kafka_bootstrap, ALL_TOPICS, 1)
    producer = Producer(kafka_bootstrap, client_id="gateway-journey-tests")
    await producer.start()
    platforms = [
        Platform(DispatchSettings(**common, dispatch_answer_timeout_s=options.get("answer_timeout_s", 30.0)), keyring, keyring.signer("dispatch"), producer,
                 await migrated_database("dispatch")),
        Platform(GatewaySettings(**common, gateway_departments={DEPARTMENT: None}), keyring, keyring.signer("gateway"),
                 producer, await migrated_database("gateway")),
    ]
    dispatch, gateway = build_dispatch(platforms[0]), build_gateway(platforms[1])
    assert gateway.signs_for == [f"dept.{DEPARTMENT}"] and gateway.background == []  # it polls: no callback job
    runners = [*dispatch.consumers, *gateway.consumers]
    relays = [_relay(platforms[0], dispatch), _relay(platforms[1], gateway)]
    jobs = dispatch.background
    tasks = [asyncio.create_task(r.run()) for r in runners] + [asyncio.create_task(j.run()) for j in jobs]
    tasks += [asyncio.create_task(r.run()) for r in relays[: 1 if options.get("hold_receipts") else 2]]

    def release_receipts() -> None:
        tasks.append(asyncio.create_task(relays[1].run()))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway.app), base_url="http://gateway",
                             event_hooks={"request": [async_signing_hook(keyring.signer(f"dept.{DEPARTMENT}"),
                                                                         "预审与办理")]})
    try:
        ready = asyncio.gather(*(r.ready.wait() for r in runners))
        done, _ = await asyncio.wait([ready, *tasks], timeout=60, return_when=asyncio.FIRST_COMPLETED)
        assert ready in done, f"not ready: {[t.exception() for t in tasks if t.done()]}"
        yield Exchange(kafka_bootstrap, keyring, producer, http, release_receipts)
    finally:
        await http.aclose()
        for runner in runners:
            runner.stop()
        for relay in relays:
            relay.stop()
        for job in jobs:
            job.stop()
        await asyncio.wait(tasks, timeout=15)
        await producer.stop()


def accepted(case_id: str) -> CaseAccepted:
    now = datetime.now(UTC)
    return CaseAccepted(
        case_id=case_id, bundle_code="T", bundle_name_zh="测试一件事", bundle_name_en="A test one-thing",
        catalogue_version="2026.11-1", lead_department=DEPARTMENT,
        applicant=Applicant(name="王芳", id_type="resident_id", id_number="11010519491231002X"),
        channel=Channel.WINDOW, delivery_method=DeliveryMethod.WINDOW,
        items=(CaseItem(item_code="V-01", name_zh="退役军人优待证", name_en="Veteran's preferential card",
                        department=DEPARTMENT, time_limit_days=5),),
        form={}, accepted_at=now, accepted_on=now.date(),
    )


async def test_a_department_on_http_polls_answers_and_dispatch_concludes_once(exchange: Exchange,
                                                                              unique_name: str) -> None:
    case_id = f"OT{unique_name}"
    await exchange.publish(Envelope.wrap(accepted(case_id), source="intake", subject=case_id), "intake",
                           CASE_DOSSIER.name)
    path = f"/departments/{DEPARTMENT}"

    review = await exchange.polled("review", case_id)
    assert review["request"]["item_code"] == "V-01" and review["event_type"] == "dispatch.review.requested"
    answered = await exchange.gateway.post(f"{path}/reviews", json={"request_id": review["request_id"]})
    assert answered.status_code == 201, answered.text

    handling = await exchange.polled("handling", case_id)
    assert handling["request"]["task_id"] == f"{case_id}/V-01" and handling["request"]["attempt"] == 1
    answer = {"request_id": handling["request_id"], "outcome": "approved", "document_no": "VET-2026-0001"}
    first = await exchange.gateway.post(f"{path}/results", json=answer)
    again = await exchange.gateway.post(f"{path}/results", json=answer)  # the department's retry
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["event_id"] == again.json()["event_id"]

    concluded = [w for w in await exchange.read(CASE_STREAM.name, case_id, 3)  # reviewed, released, concluded
                 if w["type"] == "dispatch.task.concluded"]
    assert len(concluded) == 1  # one effect
    assert (concluded[0]["data"]["outcome"], concluded[0]["data"]["document_no"]) == ("approved", "VET-2026-0001")

    # On the bus: two receipts and two answers, each signed by the department, on its one chain.
    answers = await exchange.read(DEPARTMENT_RESULTS.name, case_id, 4)
    assert sorted(w["type"] for w in answers) == ["department.request.received", "department.request.received",
                                                   "department.result.returned", "department.review.returned"]
    for wire in answers:
        exchange.keyring.verify_envelope(wire)
        assert wire["source"] == f"dept.{DEPARTMENT}" and wire["data"]["department"] == DEPARTMENT
    assert verify_chain(answers).intact
    result = next(w for w in answers if w["type"] == "department.result.returned")
    assert result["id"] == first.json()["event_id"]


async def test_a_request_sent_again_is_stored_once_and_receipted_identically(exchange: Exchange,
                                                                            unique_name: str) -> None:
    """Dispatch re-sends a request it heard no receipt for, with the same request id (a new envelope)."""
    case_id = f"OT{unique_name}"
    await exchange.publish(Envelope.wrap(accepted(case_id), source="intake", subject=case_id), "intake",
                           CASE_DOSSIER.name)
    review = await exchange.polled("review", case_id)
    [sent] = [w for w in await exchange.read(department_requests(DEPARTMENT).name, case_id, 1)
              if w["type"] == "dispatch.review.requested"]
    again = Envelope.model_validate({k: v for k, v in sent.items() if k not in ("chain", "signature")})
    await exchange.publish(again.model_copy(update={"id": uuid4()}), "dispatch",
                           department_requests(DEPARTMENT).name)

    receipts = [w for w in await exchange.read(DEPARTMENT_RESULTS.name, case_id, 2)
                if w["type"] == "department.request.received"]
    assert len(receipts) == 2
    assert receipts[0]["id"] == receipts[1]["id"] and receipts[0]["data"] == receipts[1]["data"]
    page = (await exchange.gateway.get(f"/departments/{DEPARTMENT}/requests")).json()
    assert [r["request_id"] for r in page["requests"] if r["case_id"] == case_id] == [review["request_id"]]


@pytest.mark.parametrize("exchange", [{"answer_timeout_s": 0.5, "hold_receipts": True}], indirect=True)
async def test_a_request_re_sent_for_want_of_a_receipt_is_stored_once_and_a_late_answer_has_one_effect(
        exchange: Exchange, unique_name: str) -> None:
    """应答时限: the gateway's receipts are held back, so dispatch re-sends the request (same request id, same
    envelope) until they flow; the gateway stored it once and receipts it once; the department's answer, late
    after the re-sends, concludes the task once."""
    case_id = f"OT{unique_name}"
    await exchange.publish(Envelope.wrap(accepted(case_id), source="intake", subject=case_id), "intake",
                           CASE_DOSSIER.name)
    review = await exchange.polled("review", case_id)
    sent = [w for w in await exchange.read(department_requests(DEPARTMENT).name, case_id, 2)]
    assert len(sent) >= 2 and {w["id"] for w in sent} == {review["request_id"]}  # re-sent under the same id
    exchange.release_receipts()

    path = f"/departments/{DEPARTMENT}"
    assert (await exchange.gateway.post(f"{path}/reviews", json={"request_id": review["request_id"]})).status_code == 201
    handling = await exchange.polled("handling", case_id)
    answer = {"request_id": handling["request_id"], "outcome": "approved"}
    assert (await exchange.gateway.post(f"{path}/results", json=answer)).status_code == 201

    concluded = [w for w in await exchange.read(CASE_STREAM.name, case_id, 3)  # reviewed, released, concluded
                 if w["type"] == "dispatch.task.concluded"]
    assert len(concluded) == 1
    answered = (await exchange.gateway.get(f"{path}/requests", params={"state": "answered"})).json()["requests"]
    assert sorted(r["kind"] for r in answered if r["case_id"] == case_id) == ["handling", "review"]  # once each
    receipts = [w for w in await exchange.read(DEPARTMENT_RESULTS.name, case_id, 4)
                if w["type"] == "department.request.received"]
    assert sorted(w["data"]["kind"] for w in receipts) == ["handling", "review"]  # one receipt per request
