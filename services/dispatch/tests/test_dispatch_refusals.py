"""拒收通知 on the real broker and PostgreSQL: dispatch, wired as its process wires it, refuses a forged, a
foreign and a malformed answer; each department hears of each of its own on the topic it reads; the case goes
on as if nothing had come, and the department's real answer is still taken."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from sqlmodel import col, select

from contracts.department.v1 import ResultReturned, ReviewReturned
from contracts.dispatch.v1 import REFUSAL_TEXTS, Outcome, RefusalReason
from contracts.envelope import Envelope, EventPayload, canonical_bytes
from contracts.intake.v1 import Applicant, CaseAccepted, CaseItem, Channel, DeliveryMethod
from contracts.topics import (
    ALL_TOPICS,
    CASE_DOSSIER,
    CASE_STREAM,
    DEPARTMENT_RESULTS,
    dead_letter_topic,
    department_requests,
)
from dispatch.adapters.tables import DispatchTask
from dispatch.bootstrap import build
from dispatch.config import DispatchSettings
from dispatch.domain.errors import UnknownTask
from dispatch.domain.review import ReviewStatus
from dispatch.service_layer.refusals import refusal_notifier
from exchange.chain import GENESIS, link
from exchange.db.database import Database
from exchange.kafka.admin import ensure_topics
from exchange.kafka.producer import Producer, record_of
from exchange.outbox import OutboxRelay
from exchange.runtime import Platform
from exchange.signing import KeyRing
from exchange.testing.outbox import outbox
from exchange.testing.topics import records

pytestmark = pytest.mark.integration


@dataclass
class Dispatch:
    bootstrap: str
    database: Database
    keyring: KeyRing
    producer: Producer

    async def send(self, topic: str, key: str, value: bytes) -> None:
        await self.producer.send(topic, key, value)

    async def answer(self, payload: EventPayload, *, source: str, case_id: str, signer: str | None = None) -> dict[str, Any]:
        """An answer from ``source`` on the results topic, signed by ``signer``'s key (``source``'s by default)."""
        wire = link(Envelope.wrap(payload, source=source, subject=case_id).to_wire(), GENESIS)
        if signer is None:
            wire = self.keyring.signer(source).sign_envelope(wire)
        else:  # a forgery: claims ``source`` and its key id, signed with another's key
            value = self.keyring.signer(signer).sign_bytes(canonical_bytes(wire))
            wire = {**wire, "signature": {"alg": "Ed25519", "key_id": source, "value": value}}
        await self.send(DEPARTMENT_RESULTS.name, case_id, record_of(wire)[0])
        return wire

    async def read(self, topic: str, key: str, count: int) -> list[dict[str, Any]]:
        """Every record of ``topic`` under ``key`` (JSON, or ``{"raw": bytes}``), once ``count`` arrived."""
        # 60 s: the shared dispatch first works through what earlier tests left on the results topic
        found = await records(self.bootstrap, topic, keep=lambda r: r.key == key.encode(), count=count,
                              quiet_polls=5, timeout_s=60)
        return [json.loads(r.value) if r.value and r.value.startswith(b"{") else {"raw": r.value} for r in found]


@pytest.fixture
async def dispatch(kafka_bootstrap: str, keys_dir: Path,
                   migrated_database: Callable[[str], Awaitable[Database]]) -> AsyncIterator[Dispatch]:
    """Dispatch's consumers (from its own ``build``) and its outbox relay, running."""
    database = await migrated_database("dispatch")
    settings = DispatchSettings(kafka_bootstrap=kafka_bootstrap, keys_dir=keys_dir, topic_partitions=1,
                                kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=300)
    keyring = KeyRing(keys_dir)
    await ensure_topics(kafka_bootstrap, ALL_TOPICS, 1)
    producer = Producer(kafka_bootstrap, client_id="dispatch-refusal-tests")
    await producer.start()
    platform = Platform(settings, keyring, keyring.signer("dispatch"), producer, database)
    parts = build(platform)
    relay = OutboxRelay(database, producer, platform.signer, poll_interval_s=0.05)
    tasks = [asyncio.create_task(r.run()) for r in parts.consumers] + [asyncio.create_task(relay.run())]
    try:
        ready = asyncio.gather(*(r.ready.wait() for r in parts.consumers))
        done, _ = await asyncio.wait([ready, *tasks], timeout=60, return_when=asyncio.FIRST_COMPLETED)
        assert ready in done, f"dispatch not ready: {[t.exception() for t in tasks if t.done()]}"
        yield Dispatch(kafka_bootstrap, database, keyring, producer)
    finally:
        for runner in parts.consumers:
            runner.stop()
        relay.stop()
        await asyncio.wait(tasks, timeout=15)
        await producer.stop()


def accepted(case_id: str) -> CaseAccepted:
    now = datetime.now(UTC)
    # Departments whose request topics no other test's consumer reads (the simulators' tests read health's).
    items = {"T-01": ("civil-affairs", ()), "T-02": ("justice", ("T-01",))}
    return CaseAccepted(
        case_id=case_id, bundle_code="T", bundle_name_zh="测试一件事", bundle_name_en="A test one-thing",
        catalogue_version="2026.11-1", lead_department="civil-affairs",
        applicant=Applicant(name="王芳", id_type="resident_id", id_number="11010519491231002X"),
        channel=Channel.WINDOW, delivery_method=DeliveryMethod.WINDOW,
        items=tuple(CaseItem(item_code=code, name_zh=f"事项{code}", name_en=f"Item {code}", department=dept,
                             time_limit_days=5, requires=requires) for code, (dept, requires) in items.items()),
        form={}, accepted_at=now, accepted_on=now.date(),
    )


async def tasks_of(database: Database, case_id: str) -> dict[str, DispatchTask]:
    async with database.sessions() as session:
        rows = (await session.exec(select(DispatchTask).where(col(DispatchTask.case_id) == case_id))).all()
    return {t.item_code: t for t in rows}


async def test_each_department_hears_of_its_refused_answers_and_nothing_else_changes(
    dispatch: Dispatch, unique_name: str
) -> None:
    case_id = f"OT{unique_name}"
    intake = dispatch.keyring.signer("intake")
    case = intake.sign_envelope(link(Envelope.wrap(accepted(case_id), source="intake", subject=case_id).to_wire(), GENESIS))
    await dispatch.send(CASE_DOSSIER.name, case_id, record_of(case)[0])
    [first_review] = await dispatch.read(department_requests("civil-affairs").name, case_id, 1)
    request = first_review["data"]

    def review(department: str) -> ReviewReturned:
        return ReviewReturned(request_id=uuid.UUID(request["request_id"]), case_id=case_id, item_code="T-01",
                              department=department, round=1, reviewed_at=datetime.now(UTC))

    forged = await dispatch.answer(review("civil-affairs"), source="dept.civil-affairs", case_id=case_id,
                                   signer="dept.justice")
    await dispatch.send(DEPARTMENT_RESULTS.name, case_id, record_of(forged)[0])  # sent again: told again
    foreign = await dispatch.answer(review("justice"), source="dept.justice", case_id=case_id)
    timeless = link(Envelope.wrap(review("civil-affairs"), source="dept.civil-affairs", subject=case_id).to_wire(),
                    GENESIS)
    del timeless["time"]
    malformed = dispatch.keyring.signer("dept.civil-affairs").sign_envelope(timeless)  # signed right, but no envelope
    await dispatch.send(DEPARTMENT_RESULTS.name, case_id, record_of(malformed)[0])
    await dispatch.send(DEPARTMENT_RESULTS.name, case_id, b"\x00 not json")
    unknown = ResultReturned(request_id=uuid.uuid4(), case_id=case_id, task_id=f"{case_id}/T-99", item_code="T-99",
                             department="civil-affairs", attempt=1, outcome=Outcome.APPROVED,
                             decided_at=datetime.now(UTC))
    stray = await dispatch.answer(unknown, source="dept.civil-affairs", case_id=case_id)
    # A v1 result asking for corrections while handling: v2 cannot say it, so it is malformed, told as R-14.
    asks = ResultReturned(request_id=uuid.uuid4(), case_id=case_id, task_id=f"{case_id}/T-01", item_code="T-01",
                          department="civil-affairs", attempt=1, outcome=Outcome.NEEDS_CORRECTION,
                          decided_at=datetime.now(UTC))
    correction = await dispatch.answer(asks, source="dept.civil-affairs", case_id=case_id)

    civil = [w for w in await dispatch.read(department_requests("civil-affairs").name, case_id, 6)
             if w["type"] == "dispatch.answer.refused"]
    justice = [w for w in await dispatch.read(department_requests("justice").name, case_id, 1)
               if w["type"] == "dispatch.answer.refused"]
    by_event = {w["data"]["refused_event_id"]: w["data"] for w in civil}
    assert len(civil) == 5 and set(by_event) == {forged["id"], malformed["id"], stray["id"], correction["id"]}
    assert len({w["data"]["offset"] for w in civil if w["data"]["refused_event_id"] == forged["id"]}) == 2
    assert by_event[forged["id"]]["reason"] == RefusalReason.SIGNATURE_INVALID
    assert by_event[malformed["id"]]["reason"] == RefusalReason.MALFORMED
    assert by_event[stray["id"]]["reason"] == RefusalReason.UNKNOWN_TASK
    assert by_event[correction["id"]]["reason"] == RefusalReason.CORRECTION_OUTSIDE_REVIEW
    [notice] = justice
    assert (notice["data"]["reason"], notice["data"]["refused_event_id"]) == (RefusalReason.FOREIGN_TASK, foreign["id"])
    for wire in (*civil, *justice):
        dispatch.keyring.verify_envelope(wire)  # signed by dispatch, on dispatch's chain
        data = wire["data"]
        assert wire["source"] == "dispatch" and wire["subject"] == case_id and data["case_id"] == case_id
        assert (data["message_zh"], data["message_en"]) == REFUSAL_TEXTS[RefusalReason(data["reason"])]
        assert data["topic"] == DEPARTMENT_RESULTS.name and "王芳" not in json.dumps(wire, ensure_ascii=False)
    assert by_event[forged["id"]]["refused_event_type"] == "department.review.returned"

    # The platform keeps every refused record as a dead letter; the case is untouched by them.
    dead = await dispatch.read(dead_letter_topic(DEPARTMENT_RESULTS.name, "dispatch").name, case_id, 7)
    assert len(dead) == 7
    tasks = await tasks_of(dispatch.database, case_id)
    assert tasks["T-01"].review_status == ReviewStatus.PENDING
    assert await dispatch.read(CASE_STREAM.name, case_id, 0) == []  # nothing released, nothing concluded

    # The civil affairs bureau's own answer is still taken.
    await dispatch.answer(review("civil-affairs"), source="dept.civil-affairs", case_id=case_id)
    for _ in range(100):
        if (await tasks_of(dispatch.database, case_id))["T-01"].review_status == ReviewStatus.PASSED:
            break
        await asyncio.sleep(0.1)
    assert (await tasks_of(dispatch.database, case_id))["T-01"].review_status == ReviewStatus.PASSED


async def test_a_redelivered_refusal_is_told_once(migrated_database: Callable[[str], Awaitable[Database]],
                                                  keyring: KeyRing) -> None:
    """The runner hands the same record to the hook again after a crash before its offset commit: one notice."""
    database = await migrated_database("dispatch")
    wire = keyring.signer("dept.police").sign_envelope(Envelope.wrap(
        ReviewReturned(request_id=uuid.uuid4(), case_id="OT-R", item_code="P-01-01", department="police", round=1,
                       reviewed_at=datetime.now(UTC)), source="dept.police", subject="OT-R").to_wire())
    record = ConsumerRecord(topic=DEPARTMENT_RESULTS.name, partition=2, offset=41, timestamp=0, timestamp_type=0,
                            key=b"OT-R", value=record_of(wire)[0], checksum=None, serialized_key_size=4,
                            serialized_value_size=0, headers=())
    notify = refusal_notifier(database)
    for _ in range(2):
        await notify(record, UnknownTask("no task P-01-01 in case OT-R"))
    rows = await outbox(database)
    assert [(r.topic, r.key, r.envelope["type"]) for r in rows] == [
        (department_requests("police").name, "OT-R", "dispatch.answer.refused")]
    data = rows[0].envelope["data"]
    assert (data["reason"], data["refused_event_id"], data["partition"], data["offset"]) == (
        "unknown_task", wire["id"], 2, 41)
    assert rows[0].envelope["causation_id"] == wire["id"]  # the case's flow goes on through the notice
    await notify(replace(record, topic=CASE_STREAM.name), UnknownTask("x"))
    await notify(replace(record, offset=42, value=b"not json"), UnknownTask("x"))
    assert len(await outbox(database)) == 1  # not an answer, or naming nobody: dead letter only
    oversized = {**wire, "subject": "x" * 5000, "type": "y" * 5000}
    await notify(replace(record, offset=43, value=json.dumps(oversized).encode()), UnknownTask("x"))
    [_, told] = await outbox(database)  # what the answer claims is not echoed back beyond a short name
    assert told.envelope["data"]["case_id"] is None and told.envelope["data"]["refused_event_type"] is None
    assert told.key == told.envelope["id"]
