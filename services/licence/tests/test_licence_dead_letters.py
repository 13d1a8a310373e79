"""A cause fixed later, then re-driven (docs/reliability.md, the worked example): the health commission's seal key is
not installed when its approval arrives, so licence dead-letters the conclusion; the key is installed, the dead
letter re-driven, and the licence is issued once. Real broker, real PostgreSQL, licence's own handlers."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from contracts.dispatch.v1 import LicenceRequested
from contracts.envelope import Envelope
from contracts.topics import LICENCE_REQUESTS, dead_letter_topic
from exchange.db.database import Database
from exchange.dead_letters import DeadLetterQuery, DeadLetterStore, Redriver
from exchange.kafka.admin import ensure_topics
from exchange.kafka.consumer import ConsumerRunner
from exchange.kafka.producer import Producer, record_of
from exchange.settings import ExchangeSettings
from exchange.signing import KeyRing
from exchange.testing.outbox import outbox
from licence.adapters.tables import LicenceRow
from licence.entrypoints.consumers import build_handlers
from licence.service_layer.issuers import Issuers

pytestmark = pytest.mark.integration


async def licences(database: Database) -> int:
    async with database.sessions() as session:
        return (await session.exec(select(func.count()).select_from(LicenceRow))).one()


async def test_a_seal_installed_late_then_redriven_issues_the_licence_once(
    licence_db: Database, keys_dir: Path, kafka_bootstrap: str, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    shutil.copytree(keys_dir, keys)
    seal = keys / "private" / "licence" / "seal.health.key"
    seal.rename(tmp_path / "seal.health.key")  # not installed yet
    keyring = KeyRing(keys, holder="licence")
    issuers = Issuers(keyring, region="430100", region_name_zh="长沙市", public_url="http://licence.test")
    topic = replace(LICENCE_REQUESTS, name=f"test.{uuid.uuid4().hex[:8]}.licence.requests", partitions=1)
    await ensure_topics(kafka_bootstrap, [topic, dead_letter_topic(topic.name, "licence")], 1)
    producer = Producer(kafka_bootstrap, client_id="licence-tests")
    await producer.start()
    settings = ExchangeSettings(kafka_bootstrap=kafka_bootstrap, kafka_session_timeout_ms=2000,
                                kafka_heartbeat_interval_ms=300, topic_partitions=1)
    runner = ConsumerRunner(group="licence", topics=[topic], settings=settings, keyring=keyring, producer=producer,
                            database=licence_db, handlers=build_handlers(issuers))
    store = DeadLetterStore(licence_db)

    approval = LicenceRequested(
        case_id="C-9", task_id="C-9/P-01-01", item_code="P-01-01", department="health", attempt=1,
        document_no="湘卫出证〔2026〕9号", licence_type="birth-medical-certificate", holder_id="430102202611210011",
        holder_name="张小明", concluded_at=datetime.now(UTC))
    envelope = Envelope.wrap(approval, source="dispatch", subject="C-9")
    value, headers = record_of(KeyRing(keys).signer("dispatch").sign_envelope(envelope.to_wire()))
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.wait_for(runner.ready.wait(), 20)
        await producer.send(topic.name, "C-9", value, headers)
        for _ in range(300):
            if (await store.find(DeadLetterQuery(), limit=1))[1]:
                break
            await asyncio.sleep(0.05)
        [letter], _ = await store.find(DeadLetterQuery(case_id="C-9"), limit=10)
        assert (letter.error_type, letter.event_id, letter.event_type) == (
            "FileNotFoundError", str(envelope.id), LicenceRequested.event_type)
        assert "seal.health" in letter.error_message
        assert await licences(licence_db) == 0

        (tmp_path / "seal.health.key").rename(seal)  # the operator installs the seal
        redriver = Redriver(store, [runner])
        result = await redriver.redrive(letter.id)
        assert result is not None and result.outcome == "redriven"
        assert await licences(licence_db) == 1
        issued = len(await outbox(licence_db))
        assert issued == 2  # the holder's licence events, and the case stream's word of it

        again = await redriver.redrive(letter.id)
        assert again is not None and again.outcome == "already_applied"
        assert await licences(licence_db) == 1 and len(await outbox(licence_db)) == issued
    finally:
        runner.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        await producer.stop()
