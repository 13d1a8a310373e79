"""即审即办: an on-the-spot item (即办件, statutory limit 0 days) that waits for no other item is decided with its
preliminary review, when the whole round finds nothing missing; its release concludes it, and no handling request
crosses the bus. On dispatch's unit of work in memory (``fakes.py``), as ``test_dispatch_handlers.py``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from contracts.department.v2 import Decision, DecisionAtReview, Finding, ReviewReturned
from contracts.intake.v1 import CaseAccepted, CaseCorrected
from dispatch.domain.model import review_id_for
from dispatch.service_layer.handlers import case_accepted, case_corrected, review_returned

from .fakes import FakeDispatch
from .test_dispatch_handlers import CASE, HOLDER, P01, accepted, data, deficiency, handle, outbox, task_id

ON_THE_SPOT = ("P-01-01", "P-01-03")  # P-01-03 waits for P-01-01's document: handled as usual
APPROVED = DecisionAtReview(outcome=Decision.APPROVED, document_no="BMC-2026-000123")


def on_the_spot(*codes: str) -> CaseAccepted:
    payload = accepted()
    return payload.model_copy(update={"items": tuple(
        i.model_copy(update={"time_limit_days": 0}) if i.item_code in codes else i for i in payload.items)})


async def review(database: FakeDispatch, code: str, *deficiencies: Finding,
                 decision: DecisionAtReview | None = None) -> None:
    payload = ReviewReturned(
        request_id=review_id_for(task_id(code), 1), case_id=CASE, item_code=code, department=P01[code][0], round=1,
        deficiencies=deficiencies, reviewed_at=datetime.now(UTC), decision=decision)
    await handle(database, review_returned, payload, source=f"dept.{P01[code][0]}")


@pytest.fixture
def dispatch_db() -> FakeDispatch:
    return FakeDispatch()


async def test_only_an_on_the_spot_item_that_waits_for_none_is_asked_to_decide_at_review(
        dispatch_db: FakeDispatch) -> None:
    await handle(dispatch_db, case_accepted, on_the_spot(*ON_THE_SPOT), source="intake")
    asked = {d["item_code"]: d["decide"] for d in data(await outbox(dispatch_db, "dispatch.review.requested"))}
    assert asked == {"P-01-01": True, "P-01-02": False, "P-01-03": False, "P-01-04": False, "P-01-05": False}


async def test_a_decision_at_review_concludes_the_item_on_release_without_a_handling_request(
        dispatch_db: FakeDispatch) -> None:
    await handle(dispatch_db, case_accepted, on_the_spot(*ON_THE_SPOT), source="intake")
    await review(dispatch_db, "P-01-01", decision=APPROVED)
    assert await outbox(dispatch_db, "dispatch.task.concluded") == []  # kept until the whole round is in
    for code in ("P-01-02", "P-01-03", "P-01-04", "P-01-05"):
        await review(dispatch_db, code)

    [released] = [d for d in data(await outbox(dispatch_db, "dispatch.task.released")) if d["item_code"] == "P-01-01"]
    [concluded] = data(await outbox(dispatch_db, "dispatch.task.concluded"))
    assert released["attempt"] == concluded["attempt"] == 1
    assert (concluded["item_code"], concluded["outcome"], concluded["document_no"], concluded["decided_at_review"]) == (
        "P-01-01", "approved", "BMC-2026-000123", True)
    [licence] = data(await outbox(dispatch_db, "dispatch.licence.requested"))
    assert (licence["item_code"], licence["document_no"], licence["holder_id"]) == (
        "P-01-01", "BMC-2026-000123", HOLDER)
    # No handling request for the item decided; its dependant goes out at once, with the document as evidence.
    sent = {d["item_code"]: d for d in data(await outbox(dispatch_db, "dispatch.request.sent"))}
    assert sorted(sent) == ["P-01-02", "P-01-03"]
    assert [e["document_no"] for e in sent["P-01-03"]["evidence"]] == ["BMC-2026-000123"]
    # Only the requests sent are waited for (应答时限).
    handling = {r.task_id for r in dispatch_db.requests.values() if r.kind.value == "handling"}
    assert handling == {task_id("P-01-02"), task_id("P-01-03")}


async def test_a_rejection_at_review_leaves_what_waits_for_the_item_not_processed(dispatch_db: FakeDispatch) -> None:
    await handle(dispatch_db, case_accepted, on_the_spot(*ON_THE_SPOT), source="intake")
    await review(dispatch_db, "P-01-01", decision=DecisionAtReview(outcome=Decision.REJECTED, reason_zh="不符合条件",
                                                                   reason_en="conditions not met"))
    for code in ("P-01-02", "P-01-03", "P-01-04", "P-01-05"):
        await review(dispatch_db, code)
    outcomes = {d["item_code"]: d["outcome"] for d in data(await outbox(dispatch_db, "dispatch.task.concluded"))}
    assert outcomes == {"P-01-01": "rejected", "P-01-03": "not_processed", "P-01-04": "not_processed",
                        "P-01-05": "not_processed"}
    assert [d["item_code"] for d in data(await outbox(dispatch_db, "dispatch.request.sent"))] == ["P-01-02"]
    assert await outbox(dispatch_db, "dispatch.licence.requested") == []


async def test_after_a_correction_an_item_decided_at_review_is_handled_as_usual(dispatch_db: FakeDispatch) -> None:
    await handle(dispatch_db, case_accepted, on_the_spot(*ON_THE_SPOT), source="intake")
    await review(dispatch_db, "P-01-01", decision=APPROVED)
    await review(dispatch_db, "P-01-02", deficiency("material", "P-01-02-M1"))  # another item's: one notice
    for code in ("P-01-03", "P-01-04", "P-01-05"):
        await review(dispatch_db, code)
    await handle(dispatch_db, case_corrected, CaseCorrected(
        case_id=CASE, item_codes=("P-01-02",), round=1), source="intake")
    # The decision was given on what the correction may have changed: the department handles the item as any other.
    assert await outbox(dispatch_db, "dispatch.task.concluded") == []
    assert sorted(d["item_code"] for d in data(await outbox(dispatch_db, "dispatch.request.sent"))) == [
        "P-01-01", "P-01-02"]


async def test_a_decision_not_asked_for_is_not_taken(dispatch_db: FakeDispatch) -> None:
    await handle(dispatch_db, case_accepted, on_the_spot(), source="intake")  # no item on the spot
    await review(dispatch_db, "P-01-01", decision=APPROVED)
    for code in ("P-01-02", "P-01-03", "P-01-04", "P-01-05"):
        await review(dispatch_db, code)
    assert await outbox(dispatch_db, "dispatch.task.concluded") == []
    assert sorted(d["item_code"] for d in data(await outbox(dispatch_db, "dispatch.request.sent"))) == [
        "P-01-01", "P-01-02"]


def test_a_review_that_finds_something_missing_gives_no_decision() -> None:
    with pytest.raises(ValidationError, match="gives no decision"):
        ReviewReturned(request_id=review_id_for(task_id("P-01-01"), 1), case_id=CASE, item_code="P-01-01",
                       department="health", round=1, deficiencies=(deficiency("material", "P-01-01-M1"),),
                       reviewed_at=datetime.now(UTC), decision=APPROVED)


async def test_a_prerequisite_the_applicant_holds_already_does_not_keep_an_item_from_deciding_at_review(
        dispatch_db: FakeDispatch) -> None:
    # P-01-03 needs P-01-01, which this case does not select (the applicant holds its document already)
    payload = on_the_spot("P-01-03")
    payload = payload.model_copy(update={"items": tuple(
        i.model_copy(update={"requires": ("P-01-01",)}) if i.item_code == "P-01-03" else i
        for i in payload.items if i.item_code != "P-01-01")})
    await handle(dispatch_db, case_accepted, payload, source="intake")
    asked = {d["item_code"]: d["decide"] for d in data(await outbox(dispatch_db, "dispatch.review.requested"))}
    assert asked == {"P-01-02": False, "P-01-03": True, "P-01-04": False, "P-01-05": False}
    for code in ("P-01-02", "P-01-04", "P-01-05"):
        await review(dispatch_db, code)
    await review(dispatch_db, "P-01-03", decision=APPROVED)  # the last review in concludes the round with it
    [concluded] = data(await outbox(dispatch_db, "dispatch.task.concluded"))
    assert (concluded["item_code"], concluded["decided_at_review"]) == ("P-01-03", True)
    # The same review again, after the round: nothing more
    await review(dispatch_db, "P-01-03", decision=APPROVED)
    assert len(await outbox(dispatch_db, "dispatch.task.concluded")) == 1
    assert len(await outbox(dispatch_db, "dispatch.licence.requested")) == 0  # P-01-03 yields none here
