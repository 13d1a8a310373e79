"""Rating rules, pure: who may rate which touchpoint, the input limits, and the bad-review loop's states."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from contracts.identifiers import make_resident_id
from contracts.intake.v1 import rater_key
from contracts.rating.v1 import RatingLevel, Touchpoint
from rating.domain.errors import NotAnswerable, NotSupervisor, OwnOrder, WrongState
from rating.domain.ratings import (
    CaseFacts,
    RatingInput,
    acceptance_touchpoints,
    delivery_touchpoints,
    rater_digest,
    rating_id_for,
)
from rating.domain.rectification import AppealStatus, Rectification, State

APPLICANT = make_resident_id("430102", date(1990, 1, 1), 1)
SUPERVISORS = frozenset({"dept.approval", "supervision"})


def rate(**fields: Any) -> RatingInput:
    return RatingInput.model_validate({"case_id": "C-1", "level": "satisfied", "rater_id_number": APPLICANT,
                                       **fields})


KEY = rater_key(b"\x01" * 32)


def case(*raters: str, key: bytes | None = KEY) -> CaseFacts:
    return CaseFacts("C-1", "P-01", "health", "window", "W-1", "S-1",
                     frozenset(rater_digest("C-1", r, key) for r in raters))


def test_levels_split_into_good_and_bad_with_scores() -> None:
    assert [lv.bad for lv in RatingLevel] == [False, False, False, True, True]
    assert [lv.score for lv in RatingLevel] == [5, 4, 3, 2, 1]
    assert RatingLevel.VERY_DISSATISFIED.name_zh == "非常不满意"


def test_one_id_per_touchpoint() -> None:
    ids = {rating_id_for("C-1", Touchpoint.ACCEPTANCE), rating_id_for("C-1", Touchpoint.DELIVERY),
           rating_id_for("C-1", Touchpoint.ITEM, "A"), rating_id_for("C-1", Touchpoint.ITEM, "B"),
           rating_id_for("C-2", Touchpoint.DELIVERY)}
    assert len(ids) == 5
    assert rating_id_for("C-1", Touchpoint.ITEM, "A") == rating_id_for("C-1", Touchpoint.ITEM, "A")


def test_only_the_applicant_or_their_relative_rates() -> None:
    relative = make_resident_id("430102", date(1965, 1, 1), 2)
    facts = case(APPLICANT, relative)
    assert facts.may_rate(APPLICANT, KEY) and facts.may_rate(f" {relative.lower()} ", KEY)
    assert not facts.may_rate(make_resident_id("430102", date(1970, 1, 1), 3), KEY)
    assert not case(APPLICANT).may_rate(relative, KEY)
    assert APPLICANT not in "".join(facts.rater_digests)  # digests, not ID numbers


def test_rater_digests_are_keyed_so_a_reader_of_the_stream_cannot_test_guesses() -> None:
    """Someone who reads the case stream knows the case id; without the raters' key a guessed ID number gives
    another digest. A case registered before keying (plain digests) is still rated by its own."""
    keyed = case(APPLICANT)
    [published] = keyed.rater_digests
    assert published.startswith("k1:") and rater_digest("C-1", APPLICANT) != published
    assert not keyed.may_rate(APPLICANT, rater_key(b"\x02" * 32))  # another key: not recognised
    assert case(APPLICANT, key=None).may_rate(APPLICANT, KEY)  # from before keying


def test_touchpoints_at_acceptance_and_delivery() -> None:
    assert [(t.touchpoint, t.department) for t in acceptance_touchpoints("approval")] == [
        (Touchpoint.ACCEPTANCE, "approval")]
    invited = delivery_touchpoints(case(APPLICANT), [("P-01-03", "police"), ("P-01-01", "health")])
    assert [(t.touchpoint, t.item_code, t.department) for t in invited] == [
        (Touchpoint.DELIVERY, None, "health"), (Touchpoint.ITEM, "P-01-01", "health"),
        (Touchpoint.ITEM, "P-01-03", "police")]


def test_input_limits_and_tags() -> None:
    assert rate(tags=["efficient", "efficient", " courteous "]).tags == ["efficient", "courteous"]
    assert rate(comment="   ").comment is None
    for bad in ({"tags": ["不在词表"]}, {"tags": ["efficient"] * 11}, {"comment": "x" * 501},
                {"level": "so-so"}, {"touchpoint": "item"}, {"item_code": "P-01-01"},
                {"rated_via": "pigeon"}, {"rater_id_number": ""}, {"extra": 1}):
        with pytest.raises(ValidationError):
            rate(**bad)
    assert rate(touchpoint="item", item_code="P-01-01").item_code == "P-01-01"


def order() -> Rectification:
    return Rectification("RX-1", "police")


def test_report_then_satisfied_call_back_closes() -> None:
    reported = order().report("dept.police")
    assert reported.state is State.REPORTED
    closed = reported.call_back("dept.approval", SUPERVISORS, "satisfied", 3)
    assert (closed.state, closed.closed_how) == (State.CLOSED, "rectified")


def test_not_satisfied_reopens_and_unreachable_closes_after_the_limit() -> None:
    reopened = order().report("dept.police").call_back("dept.approval", SUPERVISORS, "not_satisfied", 3)
    assert (reopened.state, reopened.reopened) == (State.OPEN, 1)
    again = reopened.report("dept.police")
    once = again.call_back("dept.approval", SUPERVISORS, "unreachable", 2)
    assert once.state is State.REPORTED and once.unreachable_since_report == 1
    twice = once.call_back("dept.approval", SUPERVISORS, "unreachable", 2)
    assert (twice.state, twice.closed_how) == (State.CLOSED, "unreachable")


def test_who_may_do_what() -> None:
    with pytest.raises(NotAnswerable):
        order().report("dept.health")
    with pytest.raises(NotSupervisor):
        order().report("dept.police").call_back("dept.police", SUPERVISORS, "satisfied", 3)
    with pytest.raises(WrongState):
        order().call_back("dept.approval", SUPERVISORS, "satisfied", 3)  # nothing reported yet
    with pytest.raises(WrongState):
        order().report("dept.police").report("dept.police")
    own = Rectification("RX-2", "approval").file_appeal("dept.approval")
    with pytest.raises(OwnOrder):
        own.decide_appeal("dept.approval", SUPERVISORS, upheld=True)
    assert own.decide_appeal("supervision", SUPERVISORS, upheld=True).state is State.CLOSED  # another supervisor
    with pytest.raises(OwnOrder):
        Rectification("RX-2", "approval").report("dept.approval").call_back("dept.approval", SUPERVISORS,
                                                                             "satisfied", 3)


def test_appeal_once_upheld_withdraws_rejected_goes_on() -> None:
    pending = order().file_appeal("dept.police")
    assert pending.appeal is AppealStatus.PENDING
    with pytest.raises(WrongState):
        pending.file_appeal("dept.police")
    upheld = pending.decide_appeal("dept.approval", SUPERVISORS, upheld=True)
    assert (upheld.state, upheld.closed_how, upheld.appeal) == (State.CLOSED, "appeal_upheld", AppealStatus.UPHELD)
    rejected = pending.decide_appeal("dept.approval", SUPERVISORS, upheld=False)
    assert (rejected.state, rejected.appeal) == (State.OPEN, AppealStatus.REJECTED)
    with pytest.raises(WrongState):
        rejected.decide_appeal("dept.approval", SUPERVISORS, upheld=True)
    with pytest.raises(WrongState):
        upheld.file_appeal("dept.police")
    closed_meanwhile = pending.report("dept.police").call_back("dept.approval", SUPERVISORS, "satisfied", 3)
    kept = closed_meanwhile.decide_appeal("dept.approval", SUPERVISORS, upheld=True)
    assert (kept.state, kept.closed_how, kept.appeal) == (State.CLOSED, "rectified", AppealStatus.UPHELD)


def test_settings_refuse_an_unknown_centre_department(monkeypatch: pytest.MonkeyPatch) -> None:
    from rating.config import RatingSettings

    monkeypatch.setenv("ONETHING_RATING_CENTRE_DEPARTMENT", "nosuch")
    with pytest.raises(ValidationError, match="unknown department code"):
        RatingSettings()
    monkeypatch.setenv("ONETHING_RATING_CENTRE_DEPARTMENT", "market")
    assert RatingSettings().rating_centre_department == "market"
