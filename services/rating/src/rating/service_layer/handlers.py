"""Rating use cases: invitations at acceptance and delivery, one rating per touchpoint, and the bad-review
loop (差评 → 整改单 → 整改反馈 → 回访 → 办结, 申诉复核), following supervision's clock of each order."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from contracts.envelope import Envelope
from contracts.intake.v1 import CaseDelivered, CaseRegistered
from contracts.rating.v1 import Evidence
from contracts.supervision.v1 import CardIssued, ClockAdjusted, ClockStarted, OrderIssued
from exchange.messages import Text
from rating.config import RatingSettings
from rating.domain.errors import CaseUnknown, OrderUnknown
from rating.domain.messages import MESSAGES
from rating.domain.model import Appeal, Grounds, Order, RatedCase, Rating, appeal_id_for, rectification_id_for
from rating.domain.ratings import (
    RATING_PROXY_ROLES,
    CaseFacts,
    RatingInput,
    acceptance_touchpoints,
    delivery_touchpoints,
)
from rating.domain.rectification import CallbackOutcome
from rating.service_layer.unit_of_work import RatingUnitOfWork

__all__ = ["LoopPolicy", "RatingLoop", "appeal_id_for", "rectification_id_for"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoopPolicy:
    """The rating service's configurable rules; their defaults live once, in :class:`RatingSettings`."""

    centre_department: str
    rectification_working_days: int
    supervisors: frozenset[str]
    max_unreachable_callbacks: int
    rater_key: bytes | None = None  # keys the rater digests (contracts.intake.v1.rater_key), shared with intake

    @classmethod
    def of(cls, settings: RatingSettings, *, rater_key: bytes | None = None) -> LoopPolicy:
        return cls(rater_key=rater_key, centre_department=settings.rating_centre_department,
                   rectification_working_days=settings.rating_rectification_working_days,
                   supervisors=frozenset(settings.rating_supervisors),
                   max_unreachable_callbacks=settings.rating_max_unreachable_callbacks)


class RatingLoop:
    """Every rating use case, on one policy; ``today`` is the day in China (injectable for tests)."""

    def __init__(self, policy: LoopPolicy, today: Callable[[], date]) -> None:
        self.policy = policy
        self.today = today

    # --- invitations (评价邀请) -------------------------------------------------------------------------

    async def case_registered(self, uow: RatingUnitOfWork, envelope: Envelope, payload: CaseRegistered) -> None:
        """受理即邀评: remember who may rate (the digests intake published: the applicant, and a relative or
        agent acting for them) and invite a rating of the acceptance."""
        if await uow.cases.exists(payload.case_id):
            return
        raters = {r.digest for r in payload.raters if r.acting_as == "applicant" or r.acting_as in RATING_PROXY_ROLES}
        case = RatedCase(CaseFacts(payload.case_id, payload.bundle_code, payload.lead_department,
                                   payload.channel.value, payload.window_id, payload.staff_id, frozenset(raters)),
                         accepted_at=payload.accepted_at)
        invitation = MESSAGES.text("rating_invited_at_acceptance",
                                   bundle=Text(payload.bundle_name_zh, payload.bundle_name_en), case_id=payload.case_id)
        case.invite("acceptance", acceptance_touchpoints(self.policy.centre_department), payload.accepted_at,
                    text_zh=invitation.zh, text_en=invitation.en)
        uow.cases.add(case)

    async def case_delivered(self, uow: RatingUnitOfWork, envelope: Envelope, payload: CaseDelivered) -> None:
        """办完即评: invite a rating of the whole one-thing and of each department's item."""
        case = await uow.cases.get(payload.case_id, for_update=True)
        if case is None:
            logger.warning("case %s delivered but never seen accepted: no invitation", payload.case_id)
            return
        if not case.deliver(payload.delivered_at):
            return
        invitation = MESSAGES.text("rating_invited_at_delivery", case_id=case.case_id)
        case.invite("delivery", delivery_touchpoints(case.facts, [(i.item_code, i.department) for i in payload.items]),
                    payload.delivered_at, text_zh=invitation.zh, text_en=invitation.en)

    # --- ratings (评价) --------------------------------------------------------------------------------

    async def submit_rating(self, uow: RatingUnitOfWork, rating: RatingInput) -> Rating:
        """一事一号一评价: the rating of an invited touchpoint by its rater, and a rectification order when it is a
        bad review (差评即整改)."""
        case = await uow.cases.get(rating.case_id, for_update=True)  # two ratings of one case take turns on it
        if case is None:
            raise CaseUnknown(rating.case_id)
        rated = case.rate(rating, self.policy.rater_key, datetime.now(UTC))
        if rated.level.bad:
            uow.orders.add(Order.opened(case.case_id, rated, limit_working_days=self.policy.rectification_working_days,
                                        today=self.today()))
        return rated

    # --- the order's life (整改、回访、办结) -------------------------------------------------------------

    async def _order(self, uow: RatingUnitOfWork, rectification_id: str) -> Order:
        order = await uow.orders.get(rectification_id)
        if order is None:
            raise OrderUnknown(rectification_id)
        return order

    async def report(self, uow: RatingUnitOfWork, rectification_id: str, principal: str, measures_zh: str,
                     evidence: tuple[Evidence, ...]) -> Order:
        order = await self._order(uow, rectification_id)
        order.report(principal, measures_zh, evidence, self.today())
        return order

    async def call_back(self, uow: RatingUnitOfWork, rectification_id: str, principal: str, outcome: CallbackOutcome,
                        note_zh: str | None) -> Order:
        order = await self._order(uow, rectification_id)
        order.call_back(principal, self.policy.supervisors, outcome, self.policy.max_unreachable_callbacks, note_zh,
                        self.today())
        return order

    # --- appeals (申诉复核) ------------------------------------------------------------------------------

    async def file_appeal(self, uow: RatingUnitOfWork, rectification_id: str, principal: str, grounds: Grounds,
                          reason_zh: str, evidence: tuple[Evidence, ...]) -> Appeal:
        order = await self._order(uow, rectification_id)
        return order.file_appeal(principal, grounds, reason_zh, evidence, self.today())

    async def decide_appeal(self, uow: RatingUnitOfWork, appeal_id: str, principal: str, upheld: bool,
                            reason_zh: str) -> Appeal:
        order = await uow.orders.with_appeal(appeal_id)
        if order is None:
            raise OrderUnknown(appeal_id)
        appeal = order.decide_appeal(principal, self.policy.supervisors, upheld, reason_zh, self.today())
        if upheld:  # 申诉成立: the review leaves the figures
            case = await uow.cases.get(order.case_id, for_update=True)
            if case is None:
                raise CaseUnknown(order.case_id)
            case.withdraw(order.rating_id)
        return appeal

    # --- supervision's clock of each order (监察计时、督办) -------------------------------------------

    async def clock_started(self, uow: RatingUnitOfWork, envelope: Envelope, payload: ClockStarted) -> None:
        """The order's due date, counted by supervision on its working-day calendar."""
        if payload.kind != "rectification":
            return
        order = await uow.orders.get(payload.task_id)
        if order is not None:
            order.clocked(payload.clock_id, payload.due_on)

    async def clock_adjusted(self, uow: RatingUnitOfWork, envelope: Envelope, payload: ClockAdjusted) -> None:
        order = await uow.orders.on_clock(payload.clock_id)
        if order is not None:
            order.due_changed(payload.due_on)

    async def card_issued(self, uow: RatingUnitOfWork, envelope: Envelope, payload: CardIssued) -> None:
        """超期即督办: a red card on an order's clock means the rectification is overdue and escalated."""
        if payload.colour != "red":
            return
        order = await uow.orders.on_clock(payload.clock_id)
        if order is not None:
            order.escalated(payload.card_id, payload.issued_on)

    async def order_issued(self, uow: RatingUnitOfWork, envelope: Envelope, payload: OrderIssued) -> None:
        order = await uow.orders.with_red_card(payload.card_id)
        if order is not None:
            order.supervised(payload.order_id, payload.respond_by)
