"""Dispatch's handlers on the real PostgreSQL: one case in, department requests out, results joined."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlmodel import col, select

from contracts.department.v1 import ResultReturned
from contracts.dispatch.v1 import Outcome
from contracts.envelope import Envelope, EventPayload
from contracts.intake.v1 import Applicant, CaseAccepted, CaseCorrected, CaseItem, Channel, DeliveryMethod
from contracts.topics import CASE_STREAM, department_requests
from dispatch.adapters.tables import DispatchCase, DispatchTask
from dispatch.domain.errors import ForeignResult, UnknownTask
from dispatch.service_layer.handlers import case_accepted, case_corrected, request_id_for, result_returned
from exchange.db.database import Database
from exchange.db.tables import OutboxMessage
from exchange.db.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration

CASE = "OT20260110ABCDEF123456"
HOLDER = "11010519491231002X"
P01: dict[str, tuple[str, tuple[str, ...]]] = {  # item -> (department, prerequisites), as the catalogue has it
    "P-01-01": ("health", ()),
    "P-01-02": ("health", ()),
    "P-01-03": ("police", ("P-01-01",)),
    "P-01-04": ("medical-insurance", ("P-01-03",)),
    "P-01-05": ("hrss", ("P-01-03", "P-01-04")),
}
LICENCES = {
    "P-01-01": "birth-medical-certificate",
    "P-01-02": "vaccination-certificate",
    "P-01-05": "social-security-card",
}

Handler = Callable[[UnitOfWork, Envelope, EventPayload], Awaitable[None]]


def accepted(case_id: str = CASE, items: tuple[str, ...] = tuple(P01)) -> CaseAccepted:
    now = datetime.now(UTC)
    return CaseAccepted(
        case_id=case_id,
        bundle_code="P-01",
        bundle_name_zh="新生儿出生一件事",
        bundle_name_en="Newborn birth",
        catalogue_version="2026.11-1",
        lead_department="health",
        applicant=Applicant(name="王芳", id_type="resident_id", id_number=HOLDER, phone="13800138000"),
        channel=Channel.WINDOW,
        delivery_method=DeliveryMethod.WINDOW,
        items=tuple(
            CaseItem(
                item_code=code,
                name_zh=f"事项{code}",
                name_en=f"Item {code}",
                department=P01[code][0],
                time_limit_days=5,
                requires=tuple(r for r in P01[code][1] if r in items),
                yields_licence=code in LICENCES,
                licence_type=LICENCES.get(code),
            )
            for code in items
        ),
        form={"newborn_name": "李小明", "birth_hospital": "市妇幼保健院"},
        accepted_at=now,
        accepted_on=now.date(),
    )


def task_id(code: str, case_id: str = CASE) -> str:
    return f"{case_id}/{code}"


@pytest.fixture
async def dispatch_db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("dispatch")


async def handle(
    database: Database, handler: Handler, payload: EventPayload, *, source: str, envelope: Envelope | None = None
) -> Envelope:
    envelope = envelope or Envelope.wrap(payload, source=source, subject=getattr(payload, "case_id", "x"))
    async with database.unit_of_work(cause=envelope) as uow:
        await handler(uow, envelope, payload)
    return envelope


async def outbox(database: Database, event_type: str | None = None) -> list[OutboxMessage]:
    async with database.sessions() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.seq)))).all()
    return [r for r in rows if event_type is None or r.envelope["type"] == event_type]


async def tasks(database: Database, case_id: str = CASE) -> dict[str, DispatchTask]:
    async with database.sessions() as session:
        rows = (await session.exec(select(DispatchTask).where(col(DispatchTask.case_id) == case_id))).all()
    return {t.item_code: t for t in rows}


async def statuses(database: Database) -> dict[str, str]:
    return {code: t.status for code, t in (await tasks(database)).items()}


async def result(
    database: Database,
    code: str,
    outcome: Outcome,
    *,
    attempt: int = 1,
    source: str | None = None,
    document_no: str | None = None,
    request_id: UUID | None = None,
) -> Envelope:
    department = P01[code][0]
    payload = ResultReturned(
        request_id=request_id or request_id_for(task_id(code), attempt),
        case_id=CASE,
        task_id=task_id(code),
        item_code=code,
        department=department,
        attempt=attempt,
        outcome=outcome,
        document_no=document_no,
        reason_zh=None if outcome is Outcome.APPROVED else "理由",
        reason_en=None,
        decided_at=datetime.now(UTC),
    )
    return await handle(database, result_returned, payload, source=source or f"dept.{department}")


def data(rows: list[OutboxMessage]) -> list[dict[str, Any]]:
    return [r.envelope["data"] for r in rows]


async def test_accepted_case_becomes_tasks_and_releases_the_parallel_heads(dispatch_db: Database) -> None:
    cause = await handle(dispatch_db, case_accepted, accepted(), source="intake")

    found = await tasks(dispatch_db)
    assert {c: (t.department, tuple(t.requires)) for c, t in found.items()} == P01
    assert {c: t.status for c, t in found.items()} == {
        "P-01-01": "released",
        "P-01-02": "released",
        "P-01-03": "waiting",
        "P-01-04": "waiting",
        "P-01-05": "waiting",
    }
    assert found["P-01-01"].request_id == str(request_id_for(task_id("P-01-01"), 1))

    requests = await outbox(dispatch_db, "dispatch.request.sent")
    assert len(requests) == 2
    assert {r.topic for r in requests} == {"exchange.dept.health.requests"} == {department_requests("health").name}
    assert {r.key for r in requests} == {CASE}
    assert sorted(d["item_code"] for d in data(requests)) == ["P-01-01", "P-01-02"]
    for row in requests:  # the envelope id is the deterministic request id, which departments dedupe on
        assert (
            row.event_id
            == row.envelope["data"]["request_id"]
            == str(request_id_for(row.envelope["data"]["task_id"], 1))
        )
        assert row.envelope["data"]["evidence"] == [] and row.envelope["data"]["attempt"] == 1
        assert row.envelope["data"]["applicant"]["id_number"] == HOLDER
        assert row.envelope["causation_id"] == str(cause.id)
        assert row.envelope["correlation_id"] == str(cause.correlation_id)

    released = await outbox(dispatch_db, "dispatch.task.released")
    assert len(released) == 2
    assert {(r.topic, r.key) for r in released} == {(CASE_STREAM.name, CASE)}
    assert sorted(d["item_code"] for d in data(released)) == ["P-01-01", "P-01-02"]
    assert len(await outbox(dispatch_db)) == 4


async def test_the_same_case_accepted_twice_creates_tasks_once(dispatch_db: Database) -> None:
    payload = accepted()
    envelope = await handle(dispatch_db, case_accepted, payload, source="intake")
    await handle(dispatch_db, case_accepted, payload, source="intake", envelope=envelope)  # redelivered
    await handle(dispatch_db, case_accepted, payload, source="intake")  # re-announced under a new id
    assert len(await tasks(dispatch_db)) == 5
    async with dispatch_db.sessions() as session:
        assert len((await session.exec(select(DispatchCase))).all()) == 1
    assert len(await outbox(dispatch_db, "dispatch.request.sent")) == 2
    assert len(await outbox(dispatch_db, "dispatch.task.released")) == 2


async def test_approval_releases_the_next_item_with_evidence(dispatch_db: Database) -> None:
    await handle(dispatch_db, case_accepted, accepted(), source="intake")
    await result(dispatch_db, "P-01-01", Outcome.APPROVED, document_no="BMC-2026-000123")

    assert await statuses(dispatch_db) == {
        "P-01-01": "approved",
        "P-01-02": "released",
        "P-01-03": "released",
        "P-01-04": "waiting",
        "P-01-05": "waiting",
    }
    [concluded] = data(await outbox(dispatch_db, "dispatch.task.concluded"))
    assert concluded["item_code"] == "P-01-01" and concluded["outcome"] == "approved"
    assert concluded["document_no"] == "BMC-2026-000123" and concluded["licence_type"] == "birth-medical-certificate"
    assert concluded["holder_id"] == HOLDER

    [police] = [
        r for r in await outbox(dispatch_db, "dispatch.request.sent") if r.envelope["data"]["item_code"] == "P-01-03"
    ]
    assert police.topic == "exchange.dept.police.requests" and police.key == CASE
    assert police.envelope["data"]["evidence"] == [
        {"item_code": "P-01-01", "department": "health", "document_no": "BMC-2026-000123"},
    ]
    assert police.envelope["data"]["form"] == {"newborn_name": "李小明", "birth_hospital": "市妇幼保健院"}
    released = [d["item_code"] for d in data(await outbox(dispatch_db, "dispatch.task.released"))]
    assert sorted(released) == ["P-01-01", "P-01-02", "P-01-03"]


async def test_whole_case_joins_in_order(dispatch_db: Database) -> None:
    await handle(dispatch_db, case_accepted, accepted(), source="intake")
    for code in ("P-01-02", "P-01-01", "P-01-03", "P-01-04"):
        await result(dispatch_db, code, Outcome.APPROVED, document_no=f"DOC-{code}")
        assert (await statuses(dispatch_db))["P-01-05"] == ("released" if code == "P-01-04" else "waiting")
    [hrss] = [r for r in await outbox(dispatch_db, "dispatch.request.sent") if r.topic == "exchange.dept.hrss.requests"]
    assert [e["item_code"] for e in hrss.envelope["data"]["evidence"]] == ["P-01-03", "P-01-04"]
    await result(dispatch_db, "P-01-05", Outcome.APPROVED, document_no="SSC-1")
    assert set((await statuses(dispatch_db)).values()) == {"approved"}
    assert len(await outbox(dispatch_db, "dispatch.task.concluded")) == 5
    assert len(await outbox(dispatch_db, "dispatch.request.sent")) == 5


async def test_result_signed_by_another_department_is_foreign(dispatch_db: Database) -> None:
    await handle(dispatch_db, case_accepted, accepted(), source="intake")
    before = len(await outbox(dispatch_db))
    with pytest.raises(ForeignResult):
        await result(dispatch_db, "P-01-01", Outcome.APPROVED, source="dept.police", document_no="FAKE")
    with pytest.raises(ForeignResult):
        await result(dispatch_db, "P-01-01", Outcome.APPROVED, source="dispatch", document_no="FAKE")
    assert (await statuses(dispatch_db))["P-01-01"] == "released"
    assert len(await outbox(dispatch_db)) == before


async def test_result_for_an_unknown_task(dispatch_db: Database) -> None:
    with pytest.raises(UnknownTask):
        await result(dispatch_db, "P-01-01", Outcome.APPROVED)
    await handle(dispatch_db, case_accepted, accepted(items=("P-01-02",)), source="intake")
    with pytest.raises(UnknownTask):
        await result(dispatch_db, "P-01-01", Outcome.APPROVED)


async def test_result_with_a_wrong_request_id_is_ignored(dispatch_db: Database) -> None:
    await handle(dispatch_db, case_accepted, accepted(), source="intake")
    await result(dispatch_db, "P-01-01", Outcome.APPROVED, request_id=request_id_for(task_id("P-01-01"), 7))
    assert (await statuses(dispatch_db))["P-01-01"] == "released"
    assert await outbox(dispatch_db, "dispatch.task.concluded") == []


async def test_rejection_marks_every_dependant_not_processed(dispatch_db: Database) -> None:
    await handle(dispatch_db, case_accepted, accepted(), source="intake")
    await result(dispatch_db, "P-01-01", Outcome.REJECTED)

    assert await statuses(dispatch_db) == {
        "P-01-01": "rejected",
        "P-01-02": "released",
        "P-01-03": "not_processed",
        "P-01-04": "not_processed",
        "P-01-05": "not_processed",
    }
    concluded = {d["item_code"]: d for d in data(await outbox(dispatch_db, "dispatch.task.concluded"))}
    assert {c: d["outcome"] for c, d in concluded.items()} == {
        "P-01-01": "rejected",
        "P-01-03": "not_processed",
        "P-01-04": "not_processed",
        "P-01-05": "not_processed",
    }
    for code in ("P-01-03", "P-01-04", "P-01-05"):
        assert concluded[code]["attempt"] == 1 and concluded[code]["reason_zh"] == "前置事项未通过，本事项未办理"
    assert len(await outbox(dispatch_db, "dispatch.request.sent")) == 2  # nothing went to police/insurance/hrss

    await result(dispatch_db, "P-01-02", Outcome.APPROVED, document_no="VAC-1")
    assert set((await statuses(dispatch_db)).values()) <= {"approved", "rejected", "not_processed"}  # joined


async def test_needs_correction_then_corrected_is_sent_again_as_attempt_two(dispatch_db: Database) -> None:
    await handle(dispatch_db, case_accepted, accepted(), source="intake")
    await result(dispatch_db, "P-01-01", Outcome.NEEDS_CORRECTION)
    assert (await statuses(dispatch_db))["P-01-01"] == "needs_correction"
    assert (await statuses(dispatch_db))["P-01-03"] == "waiting"  # held, not failed
    [concluded] = data(await outbox(dispatch_db, "dispatch.task.concluded"))
    assert concluded["outcome"] == "needs_correction"

    corrected = CaseCorrected(case_id=CASE, item_codes=("P-01-01",), round=1, form={"birth_hospital": "东院"})
    await handle(dispatch_db, case_corrected, corrected, source="intake")

    task = (await tasks(dispatch_db))["P-01-01"]
    second = request_id_for(task_id("P-01-01"), 2)
    assert (task.status, task.attempt, task.request_id) == ("released", 2, str(second))
    assert second != request_id_for(task_id("P-01-01"), 1)
    assert second == request_id_for(task_id("P-01-01"), 2)  # deterministic
    again = [r for r in await outbox(dispatch_db, "dispatch.request.sent") if r.event_id == str(second)]
    assert len(again) == 1
    assert again[0].topic == "exchange.dept.health.requests"
    assert again[0].envelope["data"]["attempt"] == 2
    assert again[0].envelope["data"]["form"]["birth_hospital"] == "东院"
    released = [d for d in data(await outbox(dispatch_db, "dispatch.task.released")) if d["item_code"] == "P-01-01"]
    assert [d["attempt"] for d in released] == [1, 2]

    # A late answer to attempt 1 is stale; the answer to attempt 2 counts and unblocks the police.
    await result(dispatch_db, "P-01-01", Outcome.APPROVED, attempt=1, document_no="OLD")
    assert (await statuses(dispatch_db))["P-01-01"] == "released"
    await result(dispatch_db, "P-01-01", Outcome.APPROVED, attempt=2, document_no="BMC-2")
    assert (await statuses(dispatch_db))["P-01-03"] == "released"

    # The same correction announced again re-sends nothing.
    await handle(dispatch_db, case_corrected, corrected, source="intake")
    assert (
        len(
            [
                r
                for r in await outbox(dispatch_db, "dispatch.request.sent")
                if r.envelope["data"]["item_code"] == "P-01-01"
            ]
        )
        == 2
    )


async def test_prerequisite_not_selected_does_not_block(dispatch_db: Database) -> None:
    # The applicant selected P-01-03 and P-01-04 only (intake drops requires outside the selection).
    await handle(dispatch_db, case_accepted, accepted(items=("P-01-03", "P-01-04")), source="intake")
    assert await statuses(dispatch_db) == {"P-01-03": "released", "P-01-04": "waiting"}


async def test_correction_for_an_unknown_case(dispatch_db: Database) -> None:
    with pytest.raises(UnknownTask):
        await handle(
            dispatch_db, case_corrected, CaseCorrected(case_id="nope", item_codes=("X",), round=1), source="intake"
        )


def test_request_id_depends_on_task_and_attempt() -> None:
    ids = {request_id_for(task_id(c), a) for c in P01 for a in (1, 2, 3)}
    assert len(ids) == 15
    assert request_id_for("a/b", 1) == request_id_for("a/b", 1)
