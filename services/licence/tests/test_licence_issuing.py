"""Issuing on the real database: one credential per approval, sealed by the department, on two topics."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from contracts.envelope import Envelope
from contracts.topics import CASE_STREAM, LICENCE_EVENTS, LICENCE_REQUESTS
from credentials.verify import verify_credential
from exchange.db.database import Database
from exchange.db.migrations import upgrade
from exchange.signing import KeyRing
from exchange.testing.outbox import outbox
from licence.adapters.tables import LicenceRow
from licence.domain.errors import IncompleteConclusion, UnknownLicenceType
from licence.domain.licences import licence_id_for
from licence.entrypoints.consumers import TOPICS
from licence.service_layer.issuers import Issuers


async def licence_count(database: Database) -> int:
    async with database.sessions() as session:
        return (await session.exec(select(func.count()).select_from(LicenceRow))).one()


def test_consumes_the_case_stream() -> None:
    assert TOPICS == (LICENCE_REQUESTS,)


@pytest.mark.integration
async def test_one_licence_and_one_event_per_topic_however_often_delivered(
    licence_db: Database, approve: Any, issuers: Issuers, holder: str
) -> None:
    cause = await approve(document_no="湘卫出证〔2026〕7号", times=3)

    assert await licence_count(licence_db) == 1
    rows = await outbox(licence_db)
    assert sorted((r.topic, r.envelope["type"]) for r in rows) == sorted([
        (CASE_STREAM.name, "licence.case.licence_issued"), (LICENCE_EVENTS.name, "licence.licence.issued")])
    by_topic = {r.topic: r for r in rows}
    assert (by_topic[CASE_STREAM.name].key, by_topic[LICENCE_EVENTS.name].key) == ("C-1", holder)
    # The case stream learns which licence, not whose: no holder, no credential.
    on_stream = by_topic[CASE_STREAM.name].envelope["data"]
    assert holder not in json.dumps(on_stream, ensure_ascii=False) and "张小明" not in json.dumps(on_stream, ensure_ascii=False)
    assert on_stream["record_digest"] == by_topic[LICENCE_EVENTS.name].envelope["data"]["record_digest"]
    for row in [by_topic[LICENCE_EVENTS.name]]:
        env = Envelope.model_validate(row.envelope)
        assert env.type == "licence.licence.issued" and env.source == "licence" and env.subject == "C-1"
        assert env.causation_id == cause.id
        data = env.data
        assert data["licence_id"] == licence_id_for("C-1", "P-01-01") and data["number"] == "湘卫出证〔2026〕7号"
        credential = data["credential"]
        # Sealed by the issuing department (卫健委), not by the licence service.
        assert credential["issuer"] == {"id": "urn:onething:issuer:cn-430100:health", "name": "长沙市卫生健康委员会"}
        assert data["signer"] == issuers.seal("health").verification_method == credential["proof"]["verificationMethod"]
        assert credential["credentialSubject"]["licenceName"] == "出生医学证明"
        assert credential["evidence"][0]["id"] == f"urn:uuid:{cause.id}"
        assert "validUntil" not in credential  # 出生医学证明 is long-term
        assert verify_credential(credential, trust=issuers.trust_list(), now=datetime.now(UTC), status=None).valid


@pytest.mark.integration
async def test_status_indices_are_unique_per_department_and_terms_follow_the_type(
    licence_db: Database, approve: Any
) -> None:
    await approve("C-1", "P-01-01")
    await approve("C-2", "P-01-01")
    await approve("C-3", "E-02-03", department="market", licence_type="food-business-licence")
    await approve("C-4", "P-12-01", department="civil-affairs", licence_type="disability-certificate")
    async with licence_db.sessions() as session:
        rows = {r.case_id: r for r in (await session.exec(select(LicenceRow))).all()}
    assert (rows["C-1"].status_index, rows["C-2"].status_index, rows["C-3"].status_index) == (0, 1, 0)
    food = json.loads(rows["C-3"].credential)
    # 残疾人证: the ten years in the type table are assumed, not a cited term, so the licence states none.
    assert rows["C-4"].valid_until is None and "validUntil" not in json.loads(rows["C-4"].credential)
    assert rows["C-3"].valid_until is not None
    assert rows["C-3"].valid_until.year == rows["C-3"].valid_from.year + 5  # 食品经营许可证: five years
    assert food["validUntil"].endswith("T15:59:59Z")  # 23:59:59 China time
    assert food["credentialStatus"][0]["statusListCredential"] == "http://licence.test/status-lists/market/revocation/0"


@pytest.mark.integration
async def test_a_departments_first_licences_issued_at_once_take_indexes_in_turn(
    licence_db: Database, approve: Any
) -> None:
    """Two partitions deliver side by side: neither may fail on the counter or the status index (it was
    dead-lettered as a broken constraint, and that case was never delivered)."""
    await asyncio.gather(*(approve(f"C-{n}", "P-01-02", licence_type="vaccination-certificate")
                           for n in range(4)))
    async with licence_db.sessions() as session:
        indexes = sorted(r.status_index for r in (await session.exec(select(LicenceRow))).all())
    assert indexes == [0, 1, 2, 3]


@pytest.mark.integration
async def test_a_request_without_a_holder_or_of_an_unknown_type_issues_nothing(licence_db: Database,
                                                                               approve: Any) -> None:
    # (Only approved, licence-yielding items are asked for at all: dispatch's rule, in its own tests.)
    with pytest.raises(IncompleteConclusion):
        await approve("C-5", holder_id=" ")
    with pytest.raises(UnknownLicenceType, match="flying-licence"):
        await approve("C-6", licence_type="flying-licence")
    assert await licence_count(licence_db) == 0


async def test_embedded_sqlite_default_migrates_and_issues(tmp_path: Path, keyring: KeyRing, issuers: Issuers) -> None:
    from contracts.dispatch.v1 import LicenceRequested
    from licence.entrypoints.consumers import build_handlers

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'licence.db'}", source="licence")
    try:
        await upgrade(database, "licence")
        await upgrade(database, "licence")  # already at head: nothing to do
        payload = LicenceRequested(
            case_id="C-1", task_id="C-1/P-01-01", item_code="P-01-01", department="health", attempt=1,
            licence_type="birth-medical-certificate", holder_id="430102202611210011", holder_name="张小明",
            concluded_at=datetime.now(UTC),
        )
        envelope = Envelope.wrap(payload, source="dispatch", subject="C-1")
        for _ in range(2):
            async with database.unit_of_work(cause=envelope) as uow:
                await build_handlers(issuers)[LicenceRequested.event_type](uow, envelope, payload)
        assert await licence_count(database) == 1
        assert len(await outbox(database)) == 2
    finally:
        await database.dispose()
