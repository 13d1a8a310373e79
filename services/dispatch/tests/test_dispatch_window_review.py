"""委托窗口初审: a department that entrusted its preliminary review to the window gets no review request; the window's
checks at acceptance passed its items (「“一窗”……进行一次性初审」「前台综合受理、后台分类审批」, INT-14). The round
concludes when the departments still asked have reviewed, or at once when none is. On dispatch's unit of work in
memory (``fakes.py``), as ``test_dispatch_handlers.py``; the setting and the repositories on their real parts below
and in ``test_dispatch_repositories.py``."""

from __future__ import annotations

from functools import partial

import pytest
from pydantic import ValidationError

from contracts.intake.v1 import CaseCorrected
from dispatch.config import DispatchSettings
from dispatch.domain.review import WindowReview
from dispatch.service_layer.handlers import case_accepted, case_corrected

from .fakes import FakeDispatch
from .test_dispatch_decided_at_review import APPROVED, on_the_spot
from .test_dispatch_decided_at_review import review as review_deciding
from .test_dispatch_handlers import CASE, accepted, data, deficiency, handle, outbox, review, statuses, task_id

EVERY = WindowReview.parse("*")
HEALTH = WindowReview.parse("health")  # P-01-01 and P-01-02; police, medical insurance and hrss still review


@pytest.fixture
def dispatch_db() -> FakeDispatch:
    return FakeDispatch()


async def accept(database: FakeDispatch, window: WindowReview, payload: object = None) -> None:
    await handle(database, partial(case_accepted, window=window), payload or accepted(), source="intake")


async def test_with_every_department_entrusting_the_window_handling_starts_at_acceptance(
        dispatch_db: FakeDispatch) -> None:
    await accept(dispatch_db, EVERY)
    assert await outbox(dispatch_db, "dispatch.review.requested") == []
    [concluded] = data(await outbox(dispatch_db, "dispatch.review.concluded"))
    assert concluded["deficiencies"] == []
    assert concluded["window_reviewed"] == ["P-01-01", "P-01-02", "P-01-03", "P-01-04", "P-01-05"]
    released = sorted(d["item_code"] for d in data(await outbox(dispatch_db, "dispatch.task.released")))
    assert released == ["P-01-01", "P-01-02"]  # the rest wait for their prerequisites, as ever
    # 应答时限 is kept for the handling requests sent, and no review request is waited for.
    assert {(r.task_id, r.kind.value) for r in dispatch_db.requests.values()} == {
        (task_id("P-01-01"), "handling"), (task_id("P-01-02"), "handling")}


async def test_the_departments_still_asked_conclude_the_round(dispatch_db: FakeDispatch) -> None:
    await accept(dispatch_db, HEALTH)
    asked = sorted(d["item_code"] for d in data(await outbox(dispatch_db, "dispatch.review.requested")))
    assert asked == ["P-01-03", "P-01-04", "P-01-05"]
    for code in ("P-01-03", "P-01-04"):
        await review(dispatch_db, code)
    assert await outbox(dispatch_db, "dispatch.review.concluded") == []  # hrss has not reviewed yet
    assert await outbox(dispatch_db, "dispatch.task.released") == []
    await review(dispatch_db, "P-01-05")
    [concluded] = data(await outbox(dispatch_db, "dispatch.review.concluded"))
    assert (concluded["deficiencies"], concluded["window_reviewed"]) == ([], ["P-01-01", "P-01-02"])
    assert sorted(d["item_code"] for d in data(await outbox(dispatch_db, "dispatch.task.released"))) == [
        "P-01-01", "P-01-02"]


async def test_a_review_sent_anyway_for_an_entrusted_item_changes_nothing(dispatch_db: FakeDispatch) -> None:
    await accept(dispatch_db, HEALTH)
    await review(dispatch_db, "P-01-01", deficiency("material", "P-01-01-M1"))  # never asked: stale
    for code in ("P-01-03", "P-01-04", "P-01-05"):
        await review(dispatch_db, code)
    [concluded] = data(await outbox(dispatch_db, "dispatch.review.concluded"))
    assert concluded["deficiencies"] == []
    assert (await statuses(dispatch_db))["P-01-01"] == "released"


async def test_the_departments_findings_still_make_one_notice_and_the_correction_releases_every_item(
        dispatch_db: FakeDispatch) -> None:
    await accept(dispatch_db, HEALTH)
    await review(dispatch_db, "P-01-03", deficiency("field", "newborn_name"))
    for code in ("P-01-04", "P-01-05"):
        await review(dispatch_db, code)
    [concluded] = data(await outbox(dispatch_db, "dispatch.review.concluded"))
    assert [d["code"] for d in concluded["deficiencies"]] == ["newborn_name"]
    assert concluded["window_reviewed"] == ["P-01-01", "P-01-02"]
    assert await outbox(dispatch_db, "dispatch.task.released") == []  # the applicant corrects first
    await handle(dispatch_db, case_corrected, CaseCorrected(case_id=CASE, item_codes=("P-01-03",), round=1,
                                                            form={"newborn_name": "王小明"}), source="intake")
    assert sorted(d["item_code"] for d in data(await outbox(dispatch_db, "dispatch.task.released"))) == [
        "P-01-01", "P-01-02"]


async def test_an_entrusted_on_the_spot_item_is_handled_as_usual(dispatch_db: FakeDispatch) -> None:
    """即审即办 rides on the department's review; without one the item goes to its department to be handled."""
    await accept(dispatch_db, HEALTH, on_the_spot("P-01-01"))
    for code in ("P-01-03", "P-01-04", "P-01-05"):
        await review_deciding(dispatch_db, code, decision=APPROVED)  # not asked to decide: not taken
    assert await outbox(dispatch_db, "dispatch.task.concluded") == []
    assert sorted(d["item_code"] for d in data(await outbox(dispatch_db, "dispatch.request.sent"))) == [
        "P-01-01", "P-01-02"]


def test_the_setting_names_known_departments_or_every_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert WindowReview.parse("") == WindowReview()
    assert not WindowReview.parse("").covers("health")
    assert WindowReview.parse(" health , police ") == WindowReview(departments=frozenset({"health", "police"}))
    assert EVERY.covers("bank") and HEALTH.covers("health") and not HEALTH.covers("police")
    for wrong in ("*,health", "helth"):
        with pytest.raises(ValueError):
            WindowReview.parse(wrong)
    monkeypatch.setenv("ONETHING_DISPATCH_WINDOW_REVIEW", "health,police")
    assert DispatchSettings().window_review() == WindowReview(departments=frozenset({"health", "police"}))
    monkeypatch.setenv("ONETHING_DISPATCH_WINDOW_REVIEW", "polce")
    with pytest.raises(ValidationError, match="unknown department code 'polce'"):
        DispatchSettings()
