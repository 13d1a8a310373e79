"""Department answer deadlines (部门应答时限) end to end on the real broker, dispatch on PostgreSQL and on the
embedded SQLite: a silent department is asked again under the same request id, the request is parked,
``dispatch.request.undeliverable`` goes out on the case stream, supervision cards the department once, an operator
re-drives the request, and the department, answering again, completes the task.

Dispatch runs its own parts (consumer runner on the results topic, outbox relay, deadline job); the simulated
department is the simulators process's ``build()`` with its fault mode set over its HTTP API; supervision's
case-stream handlers take the case's facts as read back from the case stream.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.envelope import Envelope
from contracts.intake.v1 import Applicant, CaseAccepted, CaseItem, Channel, DeliveryMethod
from contracts.registry import decode_payload
from contracts.topics import CASE_STREAM, DEPARTMENT_RESULTS, department_requests
from contracts.workdays import national_calendar
from dispatch.adapters.tables import DispatchRequest, DispatchTask
from dispatch.config import DispatchSettings
from dispatch.domain.deadlines import DeadlinePolicy
from dispatch.domain.model import review_id_for
from dispatch.entrypoints.api import create_app as dispatch_app
from dispatch.entrypoints.consumers import dispatch_handlers
from dispatch.service_layer.deadlines import AnswerDeadlines
from dispatch.service_layer.handlers import case_accepted
from dispatch.service_layer.unit_of_work import in_dispatch_work
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.kafka.admin import ensure_topics
from exchange.kafka.consumer import ConsumerRunner
from exchange.kafka.producer import Producer
from exchange.outbox import OutboxRelay
from exchange.runtime import Platform
from exchange.signing import KeyRing, ensure_keys
from exchange.testing.access import TestTokens, trusting
from exchange.testing.case_stream import on_the_case_stream
from exchange.testing.outbox import outbox
from exchange.testing.topics import records
from simulators.config import SimulatorSettings
from simulators.service import build as build_simulators
from supervision.entrypoints.consumers import handlers as supervision_handlers
from supervision.service_layer.handlers import CaseStream

pytestmark = pytest.mark.integration

DEPARTMENT, ITEM = "hrss", "P-01-05"
RESENDS = 2


def accepted(case_id: str) -> CaseAccepted:
    now = datetime.now(UTC)
    return CaseAccepted(
        case_id=case_id, bundle_code="P-01", bundle_name_zh="新生儿出生一件事", bundle_name_en="Newborn birth",
        catalogue_version="test", lead_department=DEPARTMENT,
        applicant=Applicant(name="王芳", id_type="resident_id", id_number="11010519491231002X"),
        channel=Channel.WINDOW, delivery_method=DeliveryMethod.WINDOW,
        items=(CaseItem(item_code=ITEM, name_zh="社会保障卡申领", name_en="Social security card", department=DEPARTMENT,
                        time_limit_days=5),),
        form={"newborn_name": "李小明"}, accepted_at=now, accepted_on=now.date(),
    )


async def start_at_the_end(bootstrap: str, group: str, topic: str) -> None:
    """The group begins with what is sent from now on (the session's broker holds other tests' answers)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.commit(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


class Part(Protocol):
    async def run(self) -> None: ...

    def stop(self) -> None: ...


@asynccontextmanager
async def running(*parts: Part) -> AsyncIterator[None]:
    """Run the parts until the block ends, then stop them as the service host does (a part left running would take
    the next test's partitions)."""
    tasks = [asyncio.create_task(part.run()) for part in parts]
    try:
        yield
        for task in tasks:
            assert not task.done(), task.exception()  # nothing died on the way
    finally:
        for part in parts:
            part.stop()
        _, still = await asyncio.wait(tasks, timeout=15)
        for task in still:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 120) -> None:
    for _ in range(int(timeout_s / 0.2)):
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {timeout_s}s: {what}")


async def request_row(database: Database, request_id: UUID) -> DispatchRequest | None:
    async with database.sessions() as session:
        return await session.get(DispatchRequest, str(request_id))


async def task_status(database: Database, case_id: str) -> str | None:
    async with database.sessions() as session:
        task = await session.get(DispatchTask, f"{case_id}/{ITEM}")
    return task.status if task else None


async def test_a_silent_department_is_asked_again_parked_carded_and_re_driven(
        kafka_bootstrap: str, keys_dir: Path, keyring: KeyRing, tmp_path: Path, unique_name: str, tokens: TestTokens,
        migrated_each_database: Callable[[str], Awaitable[Database]]) -> None:
    dispatch_db, supervision_db = await migrated_each_database("dispatch"), await migrated_each_database("supervision")
    case_id = f"OT{unique_name.upper()}"
    review_id = review_id_for(f"{case_id}/{ITEM}", 1)
    fast = {"kafka_bootstrap": kafka_bootstrap, "keys_dir": keys_dir, "kafka_session_timeout_ms": 2000,
            "kafka_heartbeat_interval_ms": 300}
    await ensure_topics(kafka_bootstrap, [CASE_STREAM, DEPARTMENT_RESULTS, department_requests(DEPARTMENT)], None)
    group = f"dispatch-{unique_name}"
    await start_at_the_end(kafka_bootstrap, group, DEPARTMENT_RESULTS.name)
    ensure_keys(keys_dir, ["simulators"], holder="simulators")
    producer = Producer(kafka_bootstrap, client_id=f"deadlines-{unique_name}")
    await producer.start()

    sims = build_simulators(Platform(
        SimulatorSettings(**fast, data_dir=tmp_path, sim_departments=[DEPARTMENT], sim_registries=False,
                          sim_latency_ms_min=0, sim_latency_ms_max=5, sim_reject_rate=0.0, sim_correction_rate=0.0),
        keyring, keyring.signer("simulators"), producer, None))
    settings = DispatchSettings(**fast)
    dispatch = ConsumerRunner(group=group, topics=[DEPARTMENT_RESULTS], settings=settings, keyring=keyring,
                              producer=producer, database=dispatch_db, handlers=dispatch_handlers())
    relay = OutboxRelay(dispatch_db, producer, keyring.signer("dispatch"), poll_interval_s=0.05)
    deadlines = AnswerDeadlines(dispatch_db, DeadlinePolicy(timeout_s=1.5, max_resends=RESENDS), interval_s=0.2)
    sim_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=trusting(sims.app, keyring)), base_url="http://sim",
                                 headers=tokens.headers(Role.OPERATOR))
    ops = httpx.AsyncClient(transport=httpx.ASGITransport(app=trusting(dispatch_app(dispatch_db), keyring)),
                            base_url="http://dispatch", headers=tokens.headers(Role.OPERATOR))
    try:
        silent = await sim_http.post("/faults", json={"mode": "silent", "departments": [DEPARTMENT]})
        assert silent.status_code == 200 and silent.json()["mode"] == "silent"
        async with running(*sims.consumers, dispatch, relay, deadlines):
            await until(lambda: _ready(dispatch, *sims.consumers), "consumers assigned")
            intake = Envelope.wrap(accepted(case_id), source="intake", subject=case_id)
            async with dispatch_db.unit_of_work(cause=intake) as uow:  # as dispatch's case-stream consumer would
                await in_dispatch_work(case_accepted)(uow, intake, decode_payload(intake))

            await until(lambda: _state(dispatch_db, review_id, "parked"), "the review request parked")
            sent = await records(kafka_bootstrap, department_requests(DEPARTMENT).name, count=1 + RESENDS,
                                 keep=lambda r: r.key == case_id.encode(), timeout_s=120)
            wires = [json.loads(r.value or b"") for r in sent]
            assert len(wires) == 1 + RESENDS  # sent, then re-sent RESENDS times: the same request under its id
            assert {w["id"] for w in wires} == {str(review_id)} and all(w["data"] == wires[0]["data"] for w in wires)
            # The department took each send and dropped it (its consumer may be behind after a group rebalance).
            await until(lambda: _dropped(sim_http, 1 + RESENDS), "the silent department took every send")
            assert await _departments(sim_http) == {"dropped": 1 + RESENDS, "receipted": 0, "reviewed": 0}

            stream = await _case_stream(kafka_bootstrap, keyring, case_id, count=1)
            assert [e.type for e in stream] == ["dispatch.request.undeliverable"]
            for _ in range(2):  # supervision reads it, and reads it again (redelivered)
                await _supervise(supervision_db, [Envelope.wrap(on_the_case_stream(accepted(case_id)), source="intake",
                                                                subject=case_id),
                                                  *stream])
            [card] = [r.envelope["data"] for r in await outbox(supervision_db, "supervision.card.issued")]
            assert (card["reason"], card["colour"], card["department"], card["item_code"]) == (
                "undeliverable", "yellow", DEPARTMENT, ITEM)
            assert str(review_id) in card["text_zh"]

            assert (await sim_http.post("/faults", json={"mode": "none"})).json()["mode"] == "none"
            # From here the department answers: give it a deadline a loaded machine keeps, so no second parking.
            deadlines.policy = DeadlinePolicy(timeout_s=30, max_resends=RESENDS)
            redriven = await ops.post(f"/requests/{review_id}/redrive")  # what onething redrive-request sends
            assert redriven.status_code == 200 and redriven.json()["state"] in ("open", "received", "answered")
            await until(lambda: _status(dispatch_db, case_id, "approved"), "the department's approval")

        # Sent 1 + RESENDS times before parking, then re-driven (a busy machine may have re-sent once more before
        # the receipt came back: that repeat is answered under the same ids and applied once).
        review = await request_row(dispatch_db, review_id)
        assert review is not None and (review.state, review.parkings) == ("answered", 1)
        assert review.total_sends >= 2 + RESENDS
        async with dispatch_db.sessions() as session:
            task = await session.get(DispatchTask, f"{case_id}/{ITEM}")
        assert task is not None and task.request_id is not None
        handling = await request_row(dispatch_db, UUID(task.request_id))
        assert handling is not None and handling.state == "answered" and handling.parkings == 0
        assert len(await outbox(dispatch_db, "dispatch.task.concluded")) == 1
        assert len(await outbox(dispatch_db, "dispatch.request.undeliverable")) == 1
        assert (await ops.post(f"/requests/{review_id}/redrive")).status_code == 409  # answered: nothing to re-drive
    finally:
        await sim_http.aclose()
        await ops.aclose()
        await producer.stop()


async def _ready(*runners: ConsumerRunner) -> bool:
    return all(r.ready.is_set() for r in runners)


async def _state(database: Database, request_id: UUID, state: str) -> bool:
    row = await request_row(database, request_id)
    return row is not None and row.state == state


async def _status(database: Database, case_id: str, status: str) -> bool:
    return await task_status(database, case_id) == status


async def _dropped(http: httpx.AsyncClient, count: int) -> bool:
    return bool((await _departments(http))["dropped"] >= count)


async def _departments(http: httpx.AsyncClient) -> dict[str, Any]:
    [dept] = (await http.get("/departments")).json()
    return {k: dept[k] for k in ("dropped", "receipted", "reviewed")}


async def _case_stream(bootstrap: str, keyring: KeyRing, case_id: str, count: int) -> list[Envelope]:
    found = await records(bootstrap, CASE_STREAM.name, count=count, keep=lambda r: r.key == case_id.encode(),
                          timeout_s=120)
    envelopes = []
    for r in found:
        envelope, wire = Envelope.from_bytes(r.value or b"")
        keyring.verify_envelope(wire)
        envelopes.append(envelope)
    return envelopes


async def _supervise(database: Database, envelopes: list[Envelope]) -> None:
    stream = supervision_handlers(CaseStream(national_calendar()))
    for envelope in envelopes:
        async with database.unit_of_work(cause=envelope) as uow:
            await stream[envelope.type](uow, envelope, decode_payload(envelope))


