"""Rating's aggregates without I/O: a rated case takes one rating per invited touchpoint from someone who may rate
it; a rectification order records each step of its life once, and an upheld appeal withdraws it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.intake.v1 import rater_digest
from contracts.rating.v1 import RatingLevel, Touchpoint
from rating.domain.errors import AlreadyRated, NotInvited, UnrelatedRater, WrongState
from rating.domain.model import (
    AppealDecided,
    AppealFiled,
    CalledBack,
    Closed,
    Opened,
    Order,
    Rated,
    RatedCase,
    Reported,
)
from rating.domain.ratings import CaseFacts, RatingInput, acceptance_touchpoints
from rating.domain.rectification import State

CASE, APPLICANT, KEY = "OT20260110ABCDEF123456", "11010519491231002X", b"k" * 32
NOW, TODAY = datetime(2026, 1, 12, 9, tzinfo=UTC), date(2026, 1, 12)
SUPERVISORS = frozenset({"supervision"})


def accepted() -> RatedCase:
    case = RatedCase(CaseFacts(CASE, "P-01", "health", "window", "W-1", "S-1",
                               frozenset({rater_digest(CASE, APPLICANT, KEY)})), accepted_at=NOW)
    case.invite("acceptance", acceptance_touchpoints("approval"), NOW, text_zh="请评价", text_en="please rate")
    return case


def rating(level: RatingLevel = RatingLevel.VERY_DISSATISFIED, rater: str = APPLICANT) -> RatingInput:
    return RatingInput(case_id=CASE, touchpoint=Touchpoint.ACCEPTANCE, level=level, rater_id_number=rater)


def test_one_rating_per_invited_touchpoint_by_someone_who_may_rate() -> None:
    case = accepted()
    with pytest.raises(UnrelatedRater):
        case.rate(rating(rater="11010519491231003X"), KEY, NOW)
    with pytest.raises(NotInvited):
        case.rate(RatingInput(case_id=CASE, touchpoint=Touchpoint.DELIVERY, level=RatingLevel.SATISFIED,
                              rater_id_number=APPLICANT), KEY, NOW)
    rated = case.rate(rating(), KEY, NOW)
    assert rated.department == "approval" and [type(e) for e in case.collect()][-1] is Rated
    with pytest.raises(AlreadyRated):
        case.rate(rating(RatingLevel.SATISFIED), KEY, NOW)
    case.withdraw(rated.rating_id)
    assert case.ratings[rated.rating_id].removed


def test_an_order_records_each_step_once_and_an_upheld_appeal_closes_it() -> None:
    case = accepted()
    order = Order.opened(CASE, case.rate(rating(), KEY, NOW), limit_working_days=5, today=TODAY)
    order.report("dept.approval", "已整改", (), TODAY)
    order.call_back("supervision", SUPERVISORS, "not_satisfied", 2, None, TODAY)  # reopened
    with pytest.raises(WrongState):
        order.call_back("supervision", SUPERVISORS, "satisfied", 2, None, TODAY)  # no report since
    appeal = order.file_appeal("dept.approval", "untrue", "评价不实", (), TODAY)
    order.decide_appeal("supervision", SUPERVISORS, True, "成立", TODAY)
    assert order.state is State.CLOSED and order.rules.closed_how == "appeal_upheld" and appeal.upheld is True
    assert [type(e) for e in order.collect()] == [Opened, Reported, CalledBack, AppealFiled, AppealDecided, Closed]
