"""The licence service as the e-licence archive (电子证照库): a lookup is answered with the holder's licences."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

import pytest
from sqlmodel import col, select

from contracts.dispatch.v1 import LicenceRequested
from contracts.envelope import Envelope
from contracts.sharing.v1 import LookupRequested, SubjectKind
from contracts.topics import SHARING_ANSWERS, SHARING_REQUESTS
from exchange.db.database import Database
from exchange.db.tables import OutboxMessage
from exchange.kafka.producer import Producer
from exchange.runtime import Platform
from exchange.signing import KeyRing
from licence.adapters.tables import LicenceRow
from licence.bootstrap import build
from licence.config import LicenceSettings
from licence.domain.licences import licence_id_for
from licence.entrypoints.consumers import SHARING_GROUP, SHARING_TOPICS, build_sharing_handlers

HOLDER = "430104198803090213"


def test_answers_lookups_in_a_group_of_its_own() -> None:
    assert (SHARING_GROUP, SHARING_TOPICS) == ("licence.sharing", (SHARING_REQUESTS,))
    assert set(build_sharing_handlers()) == {LookupRequested.event_type}


async def ask(database: Database, subject_id: str, draft_id: str) -> tuple[LookupRequested, Envelope]:
    payload = LookupRequested(
        request_id=uuid4(), draft_id=draft_id, subject_kind=SubjectKind.PERSON, subject_id=subject_id,
        authorisation_id="AUTH-1", purpose_zh="表单预填", requested_at=datetime.now(UTC),
    )
    envelope = Envelope.wrap(payload, source="intake", subject=subject_id)
    async with database.unit_of_work(cause=envelope) as uow:
        await build_sharing_handlers()[LookupRequested.event_type](uow, envelope, payload)
    return payload, envelope


async def answer_to(database: Database, draft_id: str) -> OutboxMessage:
    async with database.sessions() as session:
        rows = (await session.exec(select(OutboxMessage).where(col(OutboxMessage.key) == draft_id))).all()
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.integration
async def test_the_service_runs_the_archive_consumer(licence_db: Database, keyring: KeyRing) -> None:
    platform = Platform(LicenceSettings(), keyring, keyring.signer("licence"), Producer("127.0.0.1:1", "t"), licence_db)
    groups = {runner.group: runner for runner in build(platform).consumers}
    assert set(groups) == {"licence", SHARING_GROUP}
    sharing = groups[SHARING_GROUP]
    assert sharing.topics == SHARING_TOPICS and sharing.handles(LookupRequested.event_type)
    assert not sharing.handles(LicenceRequested.event_type) and sharing.database is licence_db


@pytest.mark.integration
async def test_archive_answer_lists_the_holders_valid_licences(licence_db: Database, approve: Any) -> None:
    await approve("C-1", "P-01-01", holder_id=HOLDER)
    await approve("C-1", "P-01-05", holder_id=HOLDER, department="hrss", licence_type="social-security-card")
    await approve("C-2", "P-01-01", holder_id="someone-else")
    await approve("C-0", "P-08-01", holder_id=HOLDER, department="civil-affairs", licence_type="marriage-certificate")
    async with licence_db.unit_of_work() as uow:  # revoked and suspended licences are no evidence
        revoked = await uow.get_for_update(LicenceRow, licence_id_for("C-0", "P-08-01"))
        assert revoked is not None
        revoked.state = "revoked"
        uow.session.add(revoked)

    request, cause = await ask(licence_db, HOLDER, "D-1")
    row = await answer_to(licence_db, "D-1")
    assert row.topic == SHARING_ANSWERS.name
    env = Envelope.model_validate(row.envelope)
    assert (env.type, env.source, env.subject) == ("sharing.lookup.answered", "licence", "D-1")
    assert env.causation_id == cause.id and env.correlation_id == cause.correlation_id
    assert env.id == uuid5(NAMESPACE_URL, f"onething:lookup:{request.request_id}:licence")
    assert env.data["registry"] == "licence" and env.data["found"] is True
    assert env.data["subject_id"] == HOLDER and env.data["request_id"] == str(request.request_id)
    async with licence_db.sessions() as session:
        numbers = {code: (await session.get(LicenceRow, licence_id_for("C-1", code))) for code in ("P-01-01", "P-01-05")}
    assert env.data["licences"] == {  # licence type → the licence number a form field takes
        "birth-medical-certificate": numbers["P-01-01"].number,  # type: ignore[union-attr]
        "social-security-card": numbers["P-01-05"].number,  # type: ignore[union-attr]
    }
    assert {c["credentialSubject"]["number"] for c in env.data["credentials"]} == set(env.data["licences"].values())


@pytest.mark.integration
async def test_a_holder_without_licences_is_not_found(licence_db: Database, approve: Any) -> None:
    await approve("C-3", "P-01-01", holder_id=HOLDER)
    await ask(licence_db, "430104199901010000", "D-2")
    env = Envelope.model_validate((await answer_to(licence_db, "D-2")).envelope)
    assert env.data["found"] is False and env.data["licences"] == {}
