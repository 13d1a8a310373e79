"""Dispatch's use cases on its unit of work in memory (``fakes.py``): one case in, department requests out, results
joined. The same aggregates and messages as in production; the tables and outbox are covered on PostgreSQL in
``test_dispatch_repositories.py``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import pytest

from contracts.department.v2 import Decision, Finding, ResultReturned, ReviewReturned
from contracts.envelope import Envelope, EventPayload
from contracts.intake.v1 import (
    Applicant,
    CaseAccepted,
    CaseCorrected,
    CaseItem,
    Channel,
    DeliveryMethod,
    MaterialProvision,
    MaterialRef,
)
from contracts.topics import CASE_STREAM, LICENCE_REQUESTS, department_requests
from dispatch.domain.deadlines import DeadlinePolicy, RequestState
from dispatch.domain.errors import ForeignResult, RedriveRefused, UnknownRequest, UnknownTask
from dispatch.domain.model import Task, request_id_for, review_id_for
from dispatch.service_layer.deadlines import DeadlineRound, deadline_round, redrive
from dispatch.service_layer.handlers import (
    case_accepted,
    case_corrected,
    result_returned,
    review_returned,
)
from dispatch.service_layer.unit_of_work import DispatchUnitOfWork

from .fakes import FakeDispatch, Staged

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

Handler = Callable[[DispatchUnitOfWork, Envelope, Any], Awaitable[None]]


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
                materials=(MaterialRef(code=f"{code}-M1", name_zh="申请表", provision=MaterialProvision.UPLOAD,
                                       document="sha256:1"),
                           MaterialRef(code=f"{code}-M2", name_zh="居民户口簿", provision=MaterialProvision.SHARING,
                                       shared_from="registry.population")),
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
def dispatch_db() -> FakeDispatch:
    return FakeDispatch()


async def handle(
    database: FakeDispatch, handler: Handler, payload: EventPayload, *, source: str, envelope: Envelope | None = None
) -> Envelope:
    envelope = envelope or Envelope.wrap(payload, source=source, subject=getattr(payload, "case_id", "x"))
    async with database.unit_of_work() as uow:
        await handler(uow, envelope, payload)
    return envelope



async def tasks(database: FakeDispatch, case_id: str = CASE) -> dict[str, Task]:
    case = database.cases.get(case_id)
    return dict(case.tasks) if case is not None else {}


async def outbox(database: FakeDispatch, event_type: str | None = None) -> list[Staged]:
    return database.staged(event_type)


async def statuses(database: FakeDispatch) -> dict[str, str]:
    return {code: t.status for code, t in (await tasks(database)).items()}


async def result(
    database: FakeDispatch,
    code: str,
    outcome: Decision,
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
        reason_zh=None if outcome is Decision.APPROVED else "理由",
        reason_en=None,
        decided_at=datetime.now(UTC),
    )
    return await handle(database, result_returned, payload, source=source or f"dept.{department}")


async def review(database: FakeDispatch, code: str, *deficiencies: Finding, round_: int = 1,
                 source: str | None = None) -> Envelope:
    department = P01[code][0]
    payload = ReviewReturned(
        request_id=review_id_for(task_id(code), round_), case_id=CASE, item_code=code, department=department,
        round=round_, deficiencies=deficiencies, reviewed_at=datetime.now(UTC))
    return await handle(database, review_returned, payload, source=source or f"dept.{department}")


async def accept_reviewed(database: FakeDispatch, payload: CaseAccepted | None = None) -> Envelope:
    """Accepted, and every department's preliminary review passed (预审通过): handling starts."""
    payload = payload or accepted()
    envelope = await handle(database, case_accepted, payload, source="intake")
    for item in payload.items:
        await review(database, item.item_code)
    return envelope


def deficiency(kind: Literal["material", "field"], what: str) -> Finding:
    return Finding(kind=kind, code=what, reason_zh="不清晰", reason_en="illegible")


def data(rows: list[Staged]) -> list[dict[str, Any]]:
    return [r.envelope["data"] for r in rows]


async def test_accepted_case_is_reviewed_by_every_department_at_once(dispatch_db: FakeDispatch) -> None:
    await handle(dispatch_db, case_accepted, accepted(), source="intake")
    reviews = await outbox(dispatch_db, "dispatch.review.requested")
    # Sequential items too: every deficiency is found in one round.
    assert sorted((r.topic, r.envelope["data"]["item_code"]) for r in reviews) == sorted(
        (department_requests(dept).name, code) for code, (dept, _) in P01.items())
    assert {r.event_id for r in reviews} == {str(review_id_for(task_id(c), 1)) for c in P01}
    assert await outbox(dispatch_db, "dispatch.request.sent") == []
    assert set((await statuses(dispatch_db)).values()) == {"waiting"}
    for code in list(P01)[:-1]:
        await review(dispatch_db, code)
    assert await outbox(dispatch_db, "dispatch.review.concluded") == []  # the last review is still out
    await review(dispatch_db, "P-01-05")
    [concluded] = data(await outbox(dispatch_db, "dispatch.review.concluded"))
    assert concluded["round"] == 1 and concluded["deficiencies"] == []


async def test_each_department_is_sent_its_items_fields_of_the_one_form_and_no_others(dispatch_db: FakeDispatch) -> None:
    fields = {"P-01-01": ("newborn_name", "birth_hospital"), "P-01-03": ("newborn_name", "household_address")}
    one_form = {"newborn_name": "李小明", "birth_hospital": "市妇幼保健院", "household_address": "北京市东城区某街道1号",
                "bank_account": "6222020200112233445"}
    payload = accepted(items=("P-01-01", "P-01-03"))
    payload = payload.model_copy(update={"form": one_form, "items": tuple(
        i.model_copy(update={"form_fields": fields[i.item_code]}) for i in payload.items)})
    await handle(dispatch_db, case_accepted, payload, source="intake")
    sent = {r.envelope["data"]["item_code"]: r.envelope["data"]["form"]
            for r in await outbox(dispatch_db, "dispatch.review.requested")}
    assert sent == {"P-01-01": {"newborn_name": "李小明", "birth_hospital": "市妇幼保健院"},
                    "P-01-03": {"newborn_name": "李小明", "household_address": "北京市东城区某街道1号"}}
    # Nobody was sent the bank account: no selected item takes it.


async def test_reviewed_case_releases_the_parallel_heads(dispatch_db: FakeDispatch) -> None:
    await accept_reviewed(dispatch_db)

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

    released = await outbox(dispatch_db, "dispatch.task.released")
    assert len(released) == 2
    assert {(r.topic, r.key) for r in released} == {(CASE_STREAM.name, CASE)}
    assert sorted(d["item_code"] for d in data(released)) == ["P-01-01", "P-01-02"]
    assert len(await outbox(dispatch_db)) == 5 + 1 + 4  # reviews, the round's conclusion, requests and releases


async def test_the_same_case_accepted_twice_creates_tasks_once(dispatch_db: FakeDispatch) -> None:
    payload = accepted()
    envelope = await handle(dispatch_db, case_accepted, payload, source="intake")
    await handle(dispatch_db, case_accepted, payload, source="intake", envelope=envelope)  # redelivered
    await handle(dispatch_db, case_accepted, payload, source="intake")  # re-announced under a new id
    assert len(await tasks(dispatch_db)) == 5
    assert len(dispatch_db.cases) == 1
    assert len(await outbox(dispatch_db, "dispatch.review.requested")) == 5


async def test_approval_releases_the_next_item_with_evidence(dispatch_db: FakeDispatch) -> None:
    await accept_reviewed(dispatch_db)
    await result(dispatch_db, "P-01-01", Decision.APPROVED, document_no="BMC-2026-000123")

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
    assert "holder_id" not in concluded and HOLDER not in json.dumps(concluded)  # the case stream names no one
    [licence] = await outbox(dispatch_db, "dispatch.licence.requested")  # the licence service is told whose
    assert licence.topic == LICENCE_REQUESTS.name and licence.key == CASE
    assert (licence.envelope["data"]["holder_id"], licence.envelope["data"]["licence_type"]) == (
        HOLDER, "birth-medical-certificate")

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


async def test_each_release_carries_the_items_statutory_and_promised_limits(dispatch_db: FakeDispatch) -> None:
    payload = accepted()
    promised = {"P-01-01": 2, "P-01-02": 5, "P-01-03": 1}  # 承诺时限, the items' shares of the case's R-05 limit
    payload = payload.model_copy(update={"items": tuple(
        i.model_copy(update={"promised_limit_days": promised.get(i.item_code)}) for i in payload.items)})
    await accept_reviewed(dispatch_db, payload)
    await result(dispatch_db, "P-01-01", Decision.APPROVED)
    released = {d["item_code"]: d for d in data(await outbox(dispatch_db, "dispatch.task.released"))}
    assert {c: (d["time_limit_days"], d["promised_limit_days"]) for c, d in released.items()} == {
        "P-01-01": (5, 2), "P-01-02": (5, 5), "P-01-03": (5, 1)}
    assert (await tasks(dispatch_db))["P-01-04"].promised_limit_days is None  # none given: the statutory limit


async def test_whole_case_joins_in_order(dispatch_db: FakeDispatch) -> None:
    await accept_reviewed(dispatch_db)
    for code in ("P-01-02", "P-01-01", "P-01-03", "P-01-04"):
        await result(dispatch_db, code, Decision.APPROVED, document_no=f"DOC-{code}")
        assert (await statuses(dispatch_db))["P-01-05"] == ("released" if code == "P-01-04" else "waiting")
    [hrss] = [r for r in await outbox(dispatch_db, "dispatch.request.sent") if r.topic == "exchange.dept.hrss.requests"]
    assert [e["item_code"] for e in hrss.envelope["data"]["evidence"]] == ["P-01-03", "P-01-04"]
    await result(dispatch_db, "P-01-05", Decision.APPROVED, document_no="SSC-1")
    assert set((await statuses(dispatch_db)).values()) == {"approved"}
    assert len(await outbox(dispatch_db, "dispatch.task.concluded")) == 5
    assert len(await outbox(dispatch_db, "dispatch.request.sent")) == 5


async def test_result_signed_by_another_department_is_foreign(dispatch_db: FakeDispatch) -> None:
    await accept_reviewed(dispatch_db)
    before = len(await outbox(dispatch_db))
    with pytest.raises(ForeignResult):
        await result(dispatch_db, "P-01-01", Decision.APPROVED, source="dept.police", document_no="FAKE")
    with pytest.raises(ForeignResult):
        await result(dispatch_db, "P-01-01", Decision.APPROVED, source="dispatch", document_no="FAKE")
    assert (await statuses(dispatch_db))["P-01-01"] == "released"
    assert len(await outbox(dispatch_db)) == before


async def test_result_for_an_unknown_task(dispatch_db: FakeDispatch) -> None:
    with pytest.raises(UnknownTask):
        await result(dispatch_db, "P-01-01", Decision.APPROVED)
    await accept_reviewed(dispatch_db, accepted(items=("P-01-02",)))
    with pytest.raises(UnknownTask):
        await result(dispatch_db, "P-01-01", Decision.APPROVED)


async def test_result_with_a_wrong_request_id_is_ignored(dispatch_db: FakeDispatch) -> None:
    await accept_reviewed(dispatch_db)
    await result(dispatch_db, "P-01-01", Decision.APPROVED, request_id=request_id_for(task_id("P-01-01"), 7))
    assert (await statuses(dispatch_db))["P-01-01"] == "released"
    assert await outbox(dispatch_db, "dispatch.task.concluded") == []


async def test_rejection_marks_every_dependant_not_processed(dispatch_db: FakeDispatch) -> None:
    await accept_reviewed(dispatch_db)
    await result(dispatch_db, "P-01-01", Decision.REJECTED)

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
    assert await outbox(dispatch_db, "dispatch.licence.requested") == []  # a rejection yields no licence

    await result(dispatch_db, "P-01-02", Decision.APPROVED, document_no="VAC-1")
    assert set((await statuses(dispatch_db)).values()) <= {"approved", "rejected", "not_processed"}  # joined


async def test_deficiencies_of_every_department_make_one_notice_and_one_correction(dispatch_db: FakeDispatch) -> None:
    await handle(dispatch_db, case_accepted, accepted(), source="intake")
    await review(dispatch_db, "P-01-01", deficiency("material", "P-01-01-M1"))
    await review(dispatch_db, "P-01-05", deficiency("field", "birth_hospital"),
                 deficiency("field", "birth_hospital"))  # said twice, listed once
    for code in ("P-01-02", "P-01-03", "P-01-04"):
        await review(dispatch_db, code)
    [concluded] = data(await outbox(dispatch_db, "dispatch.review.concluded"))
    assert [(d["item_code"], d["code"]) for d in concluded["deficiencies"]] == [
        ("P-01-01", "P-01-01-M1"), ("P-01-05", "birth_hospital")]
    assert await outbox(dispatch_db, "dispatch.request.sent") == []  # nothing handled before the correction
    await review(dispatch_db, "P-01-03")  # a late repeat changes nothing
    assert len(await outbox(dispatch_db, "dispatch.review.concluded")) == 1

    corrected = CaseCorrected(case_id=CASE, item_codes=("P-01-01", "P-01-05"), round=1, form={"birth_hospital": "东院"},
                              materials=(MaterialRef(code="P-01-01-M1", name_zh="确认书", provision=MaterialProvision.UPLOAD,
                                                     document="sha256:new"),))
    await handle(dispatch_db, case_corrected, corrected, source="intake")
    requests = {r.envelope["data"]["item_code"]: r.envelope["data"] for r in await outbox(dispatch_db, "dispatch.request.sent")}
    assert sorted(requests) == ["P-01-01", "P-01-02"]
    assert requests["P-01-01"]["form"]["birth_hospital"] == "东院"
    assert requests["P-01-01"]["attempt"] == 1

    await handle(dispatch_db, case_corrected, corrected, source="intake")  # announced again: nothing re-sent
    assert len(await outbox(dispatch_db, "dispatch.request.sent")) == 2


async def test_review_signed_by_another_department_is_foreign(dispatch_db: FakeDispatch) -> None:
    await handle(dispatch_db, case_accepted, accepted(), source="intake")
    with pytest.raises(ForeignResult):
        await review(dispatch_db, "P-01-01", source="dept.police")


async def test_prerequisite_not_selected_does_not_block(dispatch_db: FakeDispatch) -> None:
    # The applicant selected P-01-03 and P-01-04 only (intake drops requires outside the selection).
    await accept_reviewed(dispatch_db, accepted(items=("P-01-03", "P-01-04")))
    assert await statuses(dispatch_db) == {"P-01-03": "released", "P-01-04": "waiting"}


async def test_correction_for_an_unknown_case(dispatch_db: FakeDispatch) -> None:
    with pytest.raises(UnknownTask):
        await handle(
            dispatch_db, case_corrected, CaseCorrected(case_id="nope", item_codes=("X",), round=1), source="intake"
        )


def test_request_id_depends_on_task_and_attempt() -> None:
    ids = {request_id_for(task_id(c), a) for c in P01 for a in (1, 2, 3)}
    assert len(ids) == 15
    assert review_id_for("a/b", 1) != request_id_for("a/b", 1)
    assert request_id_for("a/b", 1) == request_id_for("a/b", 1)


async def test_a_finding_beyond_the_published_list_is_dropped_and_reported(dispatch_db: FakeDispatch) -> None:
    case = accepted()
    first = case.items[0]
    reused = MaterialRef(code=f"{first.item_code}-M3", name_zh="预防接种证", provision=MaterialProvision.LICENCE,
                         licence_id="L-1", licence_number="YF-1")  # 免提交: proven by the applicant's e-licence
    case = case.model_copy(update={"items": (first.model_copy(update={"materials": (*first.materials, reused)}),
                                             *case.items[1:])})
    await handle(dispatch_db, case_accepted, case, source="intake")
    # 清单之外: a material the item does not list, a field the case does not have.
    await review(dispatch_db, "P-01-01", deficiency("material", "P-01-01-M9"),
                 deficiency("field", "favourite_colour"), deficiency("material", "P-01-01-M2"),
                 deficiency("material", "P-01-01-M3"))
    beyond = data(await outbox(dispatch_db, "dispatch.finding.beyond_list"))
    assert sorted(b["code"] for b in beyond) == ["P-01-01-M2", "P-01-01-M3", "P-01-01-M9", "favourite_colour"]
    # The household register is fetched by sharing and the vaccination certificate is a verified e-licence:
    # asking the applicant for either is asking again (SUP-05), never a correction.
    assert {b["code"]: b["already_held"] for b in beyond} == {
        "P-01-01-M2": True, "P-01-01-M3": True, "P-01-01-M9": False, "favourite_colour": False}
    assert {b["department"] for b in beyond} == {"health"}
    assert (await tasks(dispatch_db))["P-01-01"].review_status == "passed"  # the case is not held by it


# 应答时限: the deadline round and the operator's re-drive (the outbox and the HTTP edge on PostgreSQL in
# ``test_dispatch_answer_deadlines.py``)


def relay_publishes(database: FakeDispatch) -> None:
    for staged in database.outbox:
        staged.published = True


async def test_an_unreceipted_request_is_sent_again_then_parked_then_re_driven(dispatch_db: FakeDispatch) -> None:
    policy = DeadlinePolicy(timeout_s=10, max_resends=1)
    await handle(dispatch_db, case_accepted, accepted(items=("P-01-01",)), source="intake")
    [request_id] = dispatch_db.requests
    sent = dispatch_db.requests[request_id].first_sent_at
    # The first send is still in the outbox: its wait starts again, nothing is counted.
    assert await deadline_round(dispatch_db.unit_of_work, policy, sent + timedelta(seconds=10)) == DeadlineRound()
    relay_publishes(dispatch_db)
    assert await deadline_round(dispatch_db.unit_of_work, policy, sent + timedelta(seconds=19)) == DeadlineRound()
    assert await deadline_round(dispatch_db.unit_of_work, policy, sent + timedelta(seconds=20)) == DeadlineRound(
        resent=1)
    [review] = dispatch_db.staged("dispatch.review.requested")
    assert review.event_id == request_id and not review.published  # the very envelope, to be sent again
    relay_publishes(dispatch_db)
    parked_at = sent + timedelta(seconds=40)
    assert await deadline_round(dispatch_db.unit_of_work, policy, parked_at) == DeadlineRound(parked=1)
    request = dispatch_db.requests[request_id]
    assert (request.state, request.sends, request.total_sends, request.parkings) == (RequestState.PARKED, 2, 2, 1)
    assert len(dispatch_db.staged("dispatch.request.undeliverable")) == 1
    assert await deadline_round(dispatch_db.unit_of_work, policy, parked_at + timedelta(hours=1)) == DeadlineRound()

    async with dispatch_db.unit_of_work() as uow:
        redriven = await redrive(uow, request_id, parked_at + timedelta(hours=2))
    assert (redriven.state, redriven.sends, redriven.total_sends) == (RequestState.OPEN, 1, 3)
    assert dispatch_db.requests[request_id].state is RequestState.OPEN and not review.published  # sent again


async def test_a_re_drive_of_an_answered_or_unknown_request_is_refused_and_changes_nothing(
    dispatch_db: FakeDispatch,
) -> None:
    await handle(dispatch_db, case_accepted, accepted(items=("P-01-01",)), source="intake")
    [request_id] = dispatch_db.requests
    dispatch_db.requests[request_id].answered(datetime.now(UTC))
    with pytest.raises(RedriveRefused):
        async with dispatch_db.unit_of_work() as uow:
            await redrive(uow, request_id, datetime.now(UTC))
    with pytest.raises(UnknownRequest):
        async with dispatch_db.unit_of_work() as uow:
            await redrive(uow, str(UUID(int=7)), datetime.now(UTC))
    request = dispatch_db.requests[request_id]
    assert (request.state, request.total_sends) == (RequestState.ANSWERED, 1)
