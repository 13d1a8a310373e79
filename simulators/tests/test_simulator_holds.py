"""压件: a held case's requests are receipted at once, parked, and answered when the hold is released, also by a
simulator process started again on the same data dir (the holds are on file)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from contracts.dispatch.v1 import RequestSent
from contracts.envelope import Envelope
from contracts.intake.v1 import Applicant
from contracts.topics import DEPARTMENT_RESULTS, department_requests
from exchange.access.roles import Role
from exchange.kafka.admin import ensure_topics
from exchange.kafka.producer import Producer
from exchange.runtime import Platform
from exchange.signing import KeyRing, ensure_keys
from exchange.testing.access import TestTokens, trusting
from exchange.testing.topics import records
from simulators.config import SimulatorSettings
from simulators.holds import Holds
from simulators.service import build

APPLICANT = Applicant(name="张三", id_type="resident_id", id_number="430104198803090213")


def request(case_id: str, item_code: str = "P-01-03") -> Envelope:
    payload = RequestSent(request_id=uuid.uuid4(), case_id=case_id, task_id=f"{case_id}/{item_code}",
                          item_code=item_code, item_name_zh="出生登记", department="police", attempt=1,
                          applicant=APPLICANT, form={})
    return Envelope.wrap(payload, source="dispatch", subject=case_id, event_id=payload.request_id)


def test_holds_and_parked_requests_survive_a_new_instance_on_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "holds.json"
    holds = Holds(path)
    holds.hold("C-1")
    first, second = request("C-1"), request("C-1", "P-01-04")
    assert holds.park("C-1", "police", first) and holds.park("C-1", "police", second)
    assert holds.park("C-1", "police", first)  # re-sent by the platform: kept once
    assert not holds.park("C-2", "police", request("C-2"))  # not held: the caller answers now
    assert not list(tmp_path.glob(".*.tmp"))  # written whole, then renamed

    again = Holds(path)  # the process restarted
    assert again.view() == [{"case_id": "C-1", "parked": 2}]
    waiting = again.lift("C-1")
    assert [(d, e.id) for d, e in waiting] == [("police", first.id), ("police", second.id)]
    assert not again.park("C-1", "police", request("C-1"))  # lifted: new requests are answered at once
    assert Holds(path).lift("C-1") == waiting  # not yet answered: still on file, answered again under the same ids
    again.answered("C-1")
    assert Holds(path).view() == [] and Holds(path).lift("C-1") == []
    assert json.loads(path.read_text(encoding="utf-8")) == {"cases": [], "parked": {}}


@asynccontextmanager
async def running_simulators(kafka_bootstrap: str, keys_dir: Path, data_dir: Path) -> AsyncIterator[FastAPI]:
    settings = SimulatorSettings(
        kafka_bootstrap=kafka_bootstrap, keys_dir=keys_dir, data_dir=data_dir, topic_partitions=1,
        kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=300, sim_departments=["police"],
        sim_registries=False, sim_latency_ms_min=1, sim_latency_ms_max=5, sim_reject_rate=0.0,  # receipted first
    )
    ensure_keys(keys_dir, ["simulators"], holder="simulators")
    keyring = KeyRing(keys_dir)
    producer = Producer(kafka_bootstrap, client_id="simulator-hold-tests")
    await producer.start()
    parts = build(Platform(settings, keyring, keyring.signer("simulators"), producer, None))
    tasks = [asyncio.create_task(runner.run()) for runner in parts.consumers]
    try:
        ready = asyncio.gather(*(runner.ready.wait() for runner in parts.consumers))
        done, _ = await asyncio.wait([ready, *tasks], timeout=60, return_when=asyncio.FIRST_COMPLETED)
        assert ready in done, f"consumers not ready: {[t.exception() for t in tasks if t.done()]}"
        yield parts.app
    finally:
        for runner in parts.consumers:
            runner.stop()
        await asyncio.wait(tasks, timeout=15)
        await producer.stop()


@pytest.mark.integration
async def test_a_hold_outlives_a_simulator_restart(kafka_bootstrap: str, keys_dir: Path, tmp_path: Path,
                                                   unique_name: str, tokens: TestTokens) -> None:
    case_id = f"H-{unique_name}"
    await ensure_topics(kafka_bootstrap, [DEPARTMENT_RESULTS, department_requests("police")], 1)
    sent = request(case_id)
    producer = Producer(kafka_bootstrap, client_id="hold-test-sender")
    await producer.start()

    async def results(count: int) -> list[str]:
        found = await records(kafka_bootstrap, DEPARTMENT_RESULTS.name, count=count,
                              keep=lambda r: r.key is not None and r.key.decode() == case_id)
        return [json.loads(r.value or b"")["type"] for r in found]

    try:
        async with running_simulators(kafka_bootstrap, keys_dir, tmp_path) as app:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=trusting(app, KeyRing(keys_dir))),
                                         base_url="http://sim", headers=tokens.headers(Role.OPERATOR)) as http:
                assert (await http.post(f"/holds/{case_id}")).status_code == 201
            wire = KeyRing(keys_dir).signer("dispatch").sign_envelope(sent.to_wire())
            await producer.send(department_requests("police").name, case_id, json.dumps(wire).encode())
            assert await results(1) == ["department.request.received"]  # receipted at once, then held
        assert (tmp_path / "simulator-holds.json").exists()

        async with running_simulators(kafka_bootstrap, keys_dir, tmp_path) as app:  # a new process, same data dir
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=trusting(app, KeyRing(keys_dir))),
                                         base_url="http://sim", headers=tokens.headers(Role.OPERATOR)) as http:
                assert (await http.get("/holds")).json() == [{"case_id": case_id, "parked": 1}]
                released = (await http.delete(f"/holds/{case_id}")).json()
                assert released == {"case_id": case_id, "answered": 1}
                assert (await http.get("/holds")).json() == []
            assert await results(2) == ["department.request.received", "department.result.returned"]
    finally:
        await producer.stop()
