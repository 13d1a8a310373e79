"""Dispatch's repositories and unit of work on the real PostgreSQL: aggregates go into their tables and come back
the same, and what they record reaches the outbox in the same transaction, or nothing does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts.department.v1 import RequestKind
from contracts.department.v2 import Decision, DecisionAtReview, ReviewReturned
from contracts.dispatch.v1 import Deficiency
from contracts.envelope import Envelope
from dispatch.domain.deadlines import RequestState
from dispatch.domain.errors import ForeignResult
from dispatch.domain.model import Case, Task
from dispatch.domain.requests import DepartmentRequest
from dispatch.domain.review import Phase, ReviewStatus
from dispatch.domain.sequencing import TaskStatus
from dispatch.service_layer.handlers import case_accepted, review_returned
from dispatch.service_layer.unit_of_work import dispatch_work, in_dispatch_work
from exchange.db.database import Database
from exchange.testing.outbox import outbox

from .test_dispatch_handlers import CASE, accepted, deficiency

pytestmark = pytest.mark.integration


@pytest.fixture
async def dispatch_db(migrated_database: Callable[[str], Awaitable[Database]]) -> Database:
    return await migrated_database("dispatch")


def a_case_in_every_state() -> Case:
    """Every field of a case and its tasks away from its default, so a column left out would show."""
    opened = accepted()
    now = datetime(2026, 1, 12, 9, 30, tzinfo=UTC)
    first, second, *_ = opened.items
    found = Deficiency(item_code=first.item_code, department=first.department, kind="material",
                       code=f"{first.item_code}-M1", reason_zh="不清晰", reason_en="illegible")
    done = Task(task_id=f"{CASE}/{first.item_code}", item_code=first.item_code, item_name_zh=first.name_zh,
                department=first.department, requires=(), time_limit_days=5, promised_limit_days=2,
                form_fields=("newborn_name",), yields_licence=True, licence_type="birth-medical-certificate",
                materials=first.materials, status=TaskStatus.APPROVED, attempt=2, request_id=str(uuid4()),
                document_no="BMC-1", reason_zh="准予", released_at=now, concluded_at=now + timedelta(hours=1),
                review_status=ReviewStatus.DEFICIENT, review_request_id=str(uuid4()), deficiencies=(found,),
                decision_at_review=DecisionAtReview(outcome=Decision.REJECTED, reason_zh="不符合条件",
                                                    reason_en="conditions not met", document_no="D-1"))
    waiting = Task(task_id=f"{CASE}/{second.item_code}", item_code=second.item_code, item_name_zh=second.name_zh,
                   department=second.department, requires=(first.item_code,), time_limit_days=7,
                   promised_limit_days=None, form_fields=None, yields_licence=False, licence_type=None, materials=())
    return Case(case_id=CASE, bundle_code="P-01", applicant=opened.applicant, form=dict(opened.form),
                accepted_at=now, fast_track=True, tasks={done.item_code: done, waiting.item_code: waiting},
                phase=Phase.AWAITING_CORRECTION, review_round=2)


async def test_a_case_comes_back_as_it_was_saved_and_changes_are_kept(dispatch_db: Database) -> None:
    case = a_case_in_every_state()
    async with dispatch_work(dispatch_db) as uow:
        uow.cases.add(case)
    async with dispatch_work(dispatch_db) as uow:
        loaded = await uow.cases.get_for_update(CASE)
        assert loaded == case
        assert loaded is not None and await uow.cases.exists(CASE) and not await uow.cases.exists("nope")
        loaded.form["household_address"] = "东城区1号"
        loaded.tasks["P-01-02"].status = TaskStatus.RELEASED
    async with dispatch_work(dispatch_db) as uow:
        again = await uow.cases.get_for_update(CASE)
    assert again is not None and again.form["household_address"] == "东城区1号"
    assert again.tasks["P-01-02"].status is TaskStatus.RELEASED
    assert again == replace(case, form={**case.form, "household_address": "东城区1号"}, tasks={
        **case.tasks, "P-01-02": replace(case.tasks["P-01-02"], status=TaskStatus.RELEASED)})


async def test_a_request_comes_back_as_it_was_saved(dispatch_db: Database) -> None:
    sent_at = datetime(2026, 1, 12, 9, 30, tzinfo=UTC)
    request = DepartmentRequest.sent(uuid4(), case_id=CASE, task_id=f"{CASE}/P-01-01", item_code="P-01-01",
                                     department="health", kind=RequestKind.HANDLING, at=sent_at)
    async with dispatch_work(dispatch_db) as uow:
        uow.requests.add(request)
    async with dispatch_work(dispatch_db) as uow:
        loaded = await uow.requests.get_for_update(request.request_id)
        assert loaded == request
        assert loaded is not None
        loaded.resent(sent_at + timedelta(seconds=30))
        loaded.park(sent_at + timedelta(seconds=90))
    async with dispatch_work(dispatch_db) as uow:
        parked = await uow.requests.get_for_update(request.request_id)
    assert parked is not None and (parked.state, parked.sends, parked.total_sends, parked.parkings) == (
        RequestState.PARKED, 2, 2, 1)
    [undeliverable] = await outbox(dispatch_db, "dispatch.request.undeliverable")
    assert undeliverable.key == CASE and undeliverable.envelope["data"]["kind"] == "handling"


async def test_what_a_use_case_records_is_staged_with_its_state_or_not_at_all(dispatch_db: Database) -> None:
    async def handle(use_case: Callable[..., Awaitable[None]], payload: object, source: str) -> None:
        envelope = Envelope.wrap(payload, source=source, subject=CASE)  # type: ignore[arg-type]
        async with dispatch_db.unit_of_work(cause=envelope) as uow:
            await in_dispatch_work(use_case)(uow, envelope, payload)

    await handle(case_accepted, accepted(), "intake")
    assert len(await outbox(dispatch_db, "dispatch.review.requested")) == 5
    async with dispatch_work(dispatch_db) as uow:
        case = await uow.cases.get_for_update(CASE)
        assert case is not None
        review_id = case.tasks["P-01-01"].review_request_id
        assert review_id is not None and await uow.requests.get_for_update(review_id) is not None

    before = len(await outbox(dispatch_db))
    [review] = [r.envelope["data"] for r in await outbox(dispatch_db, "dispatch.review.requested")
                if r.envelope["data"]["item_code"] == "P-01-01"]
    # A review of the health department's P-01-01, with a finding, signed by the police.
    answer = ReviewReturned(request_id=review["request_id"], case_id=CASE, item_code=review["item_code"],
                            department=review["department"], round=1, reviewed_at=datetime.now(UTC),
                            deficiencies=(deficiency("field", "newborn_name"),))
    with pytest.raises(ForeignResult):
        await handle(review_returned, answer, "dept.police")
    assert len(await outbox(dispatch_db)) == before  # refused: nothing staged, nothing changed
    async with dispatch_work(dispatch_db) as uow:
        request = await uow.requests.get_for_update(review["request_id"])
    assert request is not None and request.state is RequestState.OPEN
