"""Rating's aggregates (好差评聚合): a rated case, and a rectification order with its appeal.

* :class:`RatedCase`: who may rate an accepted case, what its invitations opened (受理即邀评, 办完即评, 一事多评)
  and the one rating each touchpoint got (一事一号一评价).
* :class:`Order`: the rectification order a bad review opens (差评即整改) and its life: report, call-backs,
  closure, one appeal, and supervision's clock of it. The transitions are the pure rules of
  :mod:`rating.domain.rectification`; the order keeps what they decide and records each step.

Methods check the rules, change state and record events (:data:`RatingEvent`); ``adapters.messages`` turns the
events into contract payloads. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal
from uuid import NAMESPACE_URL, uuid5

from contracts.departments import department
from contracts.rating.v1 import Evidence, InvitedTouchpoint, RatingLevel, Touchpoint
from exchange.aggregates import Aggregate
from exchange.messages import Text
from rating.domain.errors import AlreadyRated, NotInvited, UnrelatedRater
from rating.domain.messages import MESSAGES
from rating.domain.ratings import CaseFacts, RatedVia, RatingInput, rating_id_for, touchpoint_key
from rating.domain.rectification import CallbackOutcome, Closure, Rectification, State

__all__ = [
    "Appeal",
    "AppealDecided",
    "AppealFiled",
    "CalledBack",
    "CaseEvent",
    "Closed",
    "Invitation",
    "Invited",
    "Opened",
    "Order",
    "OrderEvent",
    "Rated",
    "RatedCase",
    "Rating",
    "Reported",
    "appeal_id_for",
    "rectification_id_for",
]

Moment = Literal["acceptance", "delivery"]
Grounds = Literal["untrue", "mistaken", "not_answerable"]  # 不实评价 / 误评 / 非本部门责任


def rectification_id_for(rating_id: str) -> str:
    """Deterministic: one bad review opens one order, however often it is handled."""
    return str(uuid5(NAMESPACE_URL, f"onething:rectification:{rating_id}"))


def appeal_id_for(rectification_id: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"onething:appeal:{rectification_id}"))


def invitation_id_for(case_id: str, moment: Moment) -> str:
    return str(uuid5(NAMESPACE_URL, f"onething:invitation:{case_id}:{moment}"))


@dataclass(frozen=True, slots=True)
class Invitation:
    invitation_id: str
    moment: Moment
    touchpoints: tuple[InvitedTouchpoint, ...]
    channel: str
    invited_at: datetime


@dataclass(slots=True)
class Rating:
    rating_id: str
    touchpoint: Touchpoint
    item_code: str | None
    department: str
    level: RatingLevel
    tags: tuple[str, ...]
    comment: str | None
    rated_via: RatedVia
    submitted_at: datetime
    removed: bool = False  # 申诉成立，已剔除: out of the figures


@dataclass(frozen=True, slots=True)
class Invited:
    invitation: Invitation
    text_zh: str
    text_en: str


@dataclass(frozen=True, slots=True)
class Rated:
    rating: Rating


CaseEvent = Invited | Rated


@dataclass
class RatedCase(Aggregate[CaseEvent]):
    """An accepted case as rating needs it: who may rate (digests only), what was invited, what was rated."""

    facts: CaseFacts
    accepted_at: datetime
    delivered_at: datetime | None = None
    invitations: list[Invitation] = field(default_factory=list)
    ratings: dict[str, Rating] = field(default_factory=dict)  # by rating id

    @property
    def case_id(self) -> str:
        return self.facts.case_id

    def invite(self, moment: Moment, touchpoints: tuple[InvitedTouchpoint, ...], at: datetime, *, text_zh: str,
               text_en: str) -> None:
        invitation = Invitation(invitation_id_for(self.case_id, moment), moment, touchpoints, self.facts.channel, at)
        self.invitations.append(invitation)
        self.record(Invited(invitation, text_zh, text_en))

    def deliver(self, at: datetime) -> bool:
        """办完即评 comes once: False when the case was delivered already."""
        if self.delivered_at is not None:
            return False
        self.delivered_at = at
        return True

    def invited(self) -> dict[str, InvitedTouchpoint]:
        """The touchpoints the invitations opened, by :func:`touchpoint_key`."""
        return {touchpoint_key(t.touchpoint, t.item_code): t for i in self.invitations for t in i.touchpoints}

    def rate(self, rating: RatingInput, rater_key: bytes | None, now: datetime) -> Rating:
        """一事一号一评价: the rating of an invited touchpoint, by someone who may rate the case, once."""
        if rating.rater_id_number is None or not self.facts.may_rate(rating.rater_id_number, rater_key):
            raise UnrelatedRater(self.case_id)
        touchpoint = self.invited().get(touchpoint_key(rating.touchpoint, rating.item_code))
        if touchpoint is None:
            raise NotInvited(self.case_id)
        rating_id = rating_id_for(self.case_id, rating.touchpoint, rating.item_code)
        if rating_id in self.ratings:
            raise AlreadyRated(self.case_id)
        rated = Rating(rating_id, rating.touchpoint, rating.item_code, touchpoint.department, rating.level,
                       tuple(rating.tags), rating.comment, rating.rated_via, now)
        self.ratings[rating_id] = rated
        self.record(Rated(replace(rated)))
        return rated

    def withdraw(self, rating_id: str) -> None:
        """申诉成立: the review leaves the figures (the rating stays on file, marked)."""
        self.ratings[rating_id].removed = True


@dataclass(slots=True)
class Appeal:
    appeal_id: str
    grounds: Grounds
    reason_zh: str
    evidence: tuple[Evidence, ...]
    filed_on: date
    upheld: bool | None = None
    decision_zh: str | None = None
    decided_by: str | None = None
    decided_on: date | None = None


@dataclass(frozen=True, slots=True)
class Opened:
    tags: tuple[str, ...]  # the review's reason tags
    text_zh: str
    text_en: str


@dataclass(frozen=True, slots=True)
class Reported:
    measures_zh: str
    evidence: tuple[Evidence, ...]
    reported_on: date
    round: int  # how often the order was reopened before this report


@dataclass(frozen=True, slots=True)
class CalledBack:
    outcome: CallbackOutcome
    attempt: int
    called_on: date


@dataclass(frozen=True, slots=True)
class Closed:
    how: Closure
    evidence: tuple[Evidence, ...]
    closed_on: date


@dataclass(frozen=True, slots=True)
class AppealFiled:
    appeal: Appeal


@dataclass(frozen=True, slots=True)
class AppealDecided:
    appeal_id: str
    upheld: bool
    reason_zh: str
    decided_by: str
    decided_on: date


OrderEvent = Opened | Reported | CalledBack | Closed | AppealFiled | AppealDecided


@dataclass
class Order(Aggregate[OrderEvent]):
    """A rectification order (整改单) and its appeal (申诉)."""

    rectification_id: str
    rating_id: str
    case_id: str
    department: str
    touchpoint: Touchpoint
    item_code: str | None
    level: RatingLevel
    limit_working_days: int
    opened_on: date
    rules: Rectification  # state, re-openings, unreachable call-backs, appeal status, closure
    measures_zh: str | None = None
    evidence: tuple[Evidence, ...] = ()
    reported_on: date | None = None
    callbacks: list[dict[str, object]] = field(default_factory=list)
    closed_on: date | None = None
    clock_id: str | None = None
    due_on: date | None = None  # from supervision's clock
    red_card_id: str | None = None
    escalated_on: date | None = None
    order_id: str | None = None  # supervision's 督办单
    respond_by: date | None = None
    appeal: Appeal | None = None

    @classmethod
    def opened(cls, case_id: str, rating: Rating, *, limit_working_days: int, today: date) -> Order:
        """差评即整改: one order to the answerable department, on a supervision clock."""
        rectification_id = rectification_id_for(rating.rating_id)
        order = cls(rectification_id, rating.rating_id, case_id, rating.department, rating.touchpoint,
                    rating.item_code, rating.level, limit_working_days, today,
                    Rectification(rectification_id, rating.department))
        answerable = department(rating.department)
        # What was rated and the level it got are said in Chinese only (the English names the touchpoint by its code),
        # so these parts have no English counterpart for the catalogue and are put together here.
        what_zh = f"事项 {rating.item_code}" if rating.item_code else {
            Touchpoint.ACCEPTANCE: "受理服务", Touchpoint.DELIVERY: "一件事办理"}[rating.touchpoint]
        rated_zh = f"{what_zh}获评「{rating.level.name_zh}」"
        text = MESSAGES.text("rectification_opened", case_id=case_id, rated=Text(rated_zh, rating.touchpoint.value),
                             department=Text(answerable.name_zh, answerable.name_en), days=limit_working_days)
        order.record(Opened(tags=rating.tags, text_zh=text.zh, text_en=text.en))
        return order

    @property
    def state(self) -> State:
        return self.rules.state

    def report(self, principal: str, measures_zh: str, evidence: tuple[Evidence, ...], today: date) -> None:
        """整改反馈, by the department the order is addressed to."""
        self.rules = self.rules.report(principal)
        self.measures_zh, self.evidence, self.reported_on = measures_zh, evidence, today
        self.record(Reported(measures_zh, evidence, today, self.rules.reopened))

    def call_back(self, principal: str, supervisors: frozenset[str], outcome: CallbackOutcome,
                  max_unreachable: int, note_zh: str | None, today: date) -> None:
        """回访, by a supervisor of another department; the applicant's answer decides."""
        self.rules = self.rules.call_back(principal, supervisors, outcome, max_unreachable)
        attempt = len(self.callbacks) + 1
        self.callbacks = [*self.callbacks, {"attempt": attempt, "outcome": outcome, "note_zh": note_zh,
                                            "by": principal, "on": today.isoformat()}]
        self.record(CalledBack(outcome, attempt, today))
        if self.rules.state is State.CLOSED:
            self._close(today)

    def file_appeal(self, principal: str, grounds: Grounds, reason_zh: str, evidence: tuple[Evidence, ...],
                    today: date) -> Appeal:
        """申诉, once, by the department, while the order is not closed."""
        self.rules = self.rules.file_appeal(principal)
        self.appeal = Appeal(appeal_id_for(self.rectification_id), grounds, reason_zh, evidence, today)
        self.record(AppealFiled(replace(self.appeal)))
        return self.appeal

    def decide_appeal(self, principal: str, supervisors: frozenset[str], upheld: bool, reason_zh: str,
                      today: date) -> Appeal:
        """复核: upheld, the order is withdrawn (closed, unless it closed meanwhile) and the review leaves the
        figures (the caller withdraws the rating); rejected, the order goes on."""
        was_open = self.rules.state is not State.CLOSED
        self.rules = self.rules.decide_appeal(principal, supervisors, upheld)
        appeal = self.appeal
        assert appeal is not None  # the rules refuse a decision when no appeal is pending
        appeal.upheld, appeal.decision_zh, appeal.decided_by, appeal.decided_on = upheld, reason_zh, principal, today
        self.record(AppealDecided(appeal.appeal_id, upheld, reason_zh, principal, today))
        if upheld and was_open:
            self._close(today)
        return appeal

    def _close(self, today: date) -> None:
        """办结: supervision stops the order's clock when it reads this."""
        how = self.rules.closed_how
        assert how is not None  # every closing transition of the rules says how
        self.closed_on = today
        self.record(Closed(how, self.evidence, today))

    # -- supervision's clock of the order (监察计时、督办) -----------------------------------------------------

    def clocked(self, clock_id: str | None, due_on: date) -> None:
        self.clock_id, self.due_on = clock_id, due_on

    def due_changed(self, due_on: date) -> None:
        self.due_on = due_on

    def escalated(self, card_id: str, issued_on: date) -> None:
        """超期即督办: the first red card on the order's clock."""
        if self.red_card_id is None:
            self.red_card_id, self.escalated_on = card_id, issued_on

    def supervised(self, order_id: str, respond_by: date) -> None:
        self.order_id, self.respond_by = order_id, respond_by
