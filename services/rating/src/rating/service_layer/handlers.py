"""Rating use cases: invitations at acceptance and delivery, one rating per touchpoint, and the bad-review
loop (差评 → 整改单 → 整改反馈 → 回访 → 办结, 申诉复核), following supervision's clock of each order."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.departments import department
from contracts.envelope import Envelope
from contracts.intake.v1 import CaseDelivered, CaseRegistered
from contracts.rating.v1 import (
    AppealDecided,
    AppealFiled,
    Evidence,
    InvitationSent,
    InvitedTouchpoint,
    RatingLevel,
    RatingSubmitted,
    RectificationCalledBack,
    RectificationClosed,
    RectificationOpened,
    RectificationReported,
    Touchpoint,
)
from contracts.supervision.v1 import CardIssued, ClockAdjusted, ClockStarted, OrderIssued
from exchange.db.unit_of_work import UnitOfWork
from rating.adapters.tables import AppealRow, RatingCase, RatingInvitation, RatingRow, RectificationRow
from rating.config import RatingSettings
from rating.domain.errors import AlreadyRated, CaseUnknown, NotInvited, OrderUnknown, UnrelatedRater
from rating.domain.ratings import (
    RATING_PROXY_ROLES,
    CaseFacts,
    RatingInput,
    acceptance_touchpoints,
    delivery_touchpoints,
    rating_id_for,
    touchpoint_key,
)
from rating.domain.rectification import AppealStatus, CallbackOutcome, Rectification, State

__all__ = ["LoopPolicy", "RatingLoop", "appeal_id_for", "invited_touchpoints", "rectification_id_for"]

logger = logging.getLogger(__name__)


def rectification_id_for(rating_id: str) -> str:
    """Deterministic: one bad review opens one order, however often it is handled."""
    return str(uuid5(NAMESPACE_URL, f"onething:rectification:{rating_id}"))


def appeal_id_for(rectification_id: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"onething:appeal:{rectification_id}"))


def _event_id(*parts: object) -> UUID:
    return uuid5(NAMESPACE_URL, "onething:" + ":".join(str(p) for p in parts))


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


async def rated_by(session: AsyncSession, case_id: str, ids: Iterable[str | None], rater_key: bytes | None) -> bool:
    """Whether any of ``ids`` may rate (and so see) the case: its applicant, or a relative or agent for them."""
    case = await session.get(RatingCase, case_id)
    return case is not None and any(_facts(case).may_rate(i, rater_key) for i in ids if i)


def _facts(row: RatingCase) -> CaseFacts:
    return CaseFacts(row.case_id, row.bundle_code, row.lead_department, row.channel, row.window_id, row.staff_id,
                     frozenset(row.rater_digests))


def _rectification(row: RectificationRow) -> Rectification:
    return Rectification(row.rectification_id, row.department, State(row.state), row.unreachable_since_report,
                         row.reopened, AppealStatus(row.appeal) if row.appeal else None,
                         row.closed_how)  # type: ignore[arg-type]


def _store(row: RectificationRow, order: Rectification) -> None:
    row.state, row.unreachable_since_report = order.state.value, order.unreachable_since_report
    row.reopened, row.appeal, row.closed_how = order.reopened, order.appeal.value if order.appeal else None, \
        order.closed_how


async def invited_touchpoints(session: AsyncSession, case_id: str) -> dict[str, InvitedTouchpoint]:
    """The touchpoints the case's invitations opened, by :func:`touchpoint_key`."""
    rows = (await session.exec(select(RatingInvitation).where(col(RatingInvitation.case_id) == case_id))).all()
    touchpoints = (InvitedTouchpoint.model_validate(t) for row in rows for t in row.touchpoints)
    return {touchpoint_key(t.touchpoint, t.item_code): t for t in touchpoints}


class RatingLoop:
    """Every rating use case, on one policy; ``today`` is the day in China (injectable for tests)."""

    def __init__(self, policy: LoopPolicy, today: Callable[[], date]) -> None:
        self.policy = policy
        self.today = today

    # --- invitations (评价邀请) -------------------------------------------------------------------------

    async def case_registered(self, uow: UnitOfWork, envelope: Envelope, payload: CaseRegistered) -> None:
        """受理即邀评: remember who may rate (the digests intake published: the applicant, and a relative or
        agent acting for them) and invite a rating of the acceptance."""
        if await uow.session.get(RatingCase, payload.case_id) is not None:
            return
        raters = {r.digest for r in payload.raters if r.acting_as == "applicant" or r.acting_as in RATING_PROXY_ROLES}
        uow.session.add(RatingCase(
            case_id=payload.case_id, bundle_code=payload.bundle_code, lead_department=payload.lead_department,
            channel=payload.channel.value, window_id=payload.window_id, staff_id=payload.staff_id,
            rater_digests=sorted(raters), accepted_at=payload.accepted_at,
        ))
        self._invite(uow, payload.case_id, "acceptance", payload.channel.value, payload.accepted_at,
                     acceptance_touchpoints(self.policy.centre_department),
                     f"您申请的「{payload.bundle_name_zh}」已受理（办件编号 {payload.case_id}），请对受理服务进行评价",
                     f"Your application '{payload.bundle_name_en}' was accepted (case {payload.case_id}); "
                     "please rate the service at acceptance")

    async def case_delivered(self, uow: UnitOfWork, envelope: Envelope, payload: CaseDelivered) -> None:
        """办完即评: invite a rating of the whole one-thing and of each department's item."""
        case = await uow.get_for_update(RatingCase, payload.case_id)
        if case is None:
            logger.warning("case %s delivered but never seen accepted: no invitation", payload.case_id)
            return
        if case.delivered_at is not None:
            return
        case.delivered_at = payload.delivered_at
        uow.session.add(case)
        self._invite(uow, case.case_id, "delivery", case.channel, payload.delivered_at,
                     delivery_touchpoints(_facts(case), [(i.item_code, i.department) for i in payload.items]),
                     f"您的办件 {case.case_id} 已办结送达，请对本次一件事办理及各部门服务进行评价（一事多评）",
                     f"Case {case.case_id} is done and delivered; please rate the one-thing and each department")

    def _invite(self, uow: UnitOfWork, case_id: str, moment: str, channel: str, at: datetime,
                touchpoints: tuple[InvitedTouchpoint, ...], text_zh: str, text_en: str) -> None:
        invitation_id = str(uuid5(NAMESPACE_URL, f"onething:invitation:{case_id}:{moment}"))
        uow.session.add(RatingInvitation(invitation_id=invitation_id, case_id=case_id, moment=moment,
                                         touchpoints=[t.model_dump(mode="json") for t in touchpoints],
                                         channel=channel, invited_at=at))
        uow.emit(InvitationSent(invitation_id=invitation_id, case_id=case_id, channel=channel,
                                touchpoints=touchpoints, invited_at=at, text_zh=text_zh, text_en=text_en),
                 subject=case_id, event_id=_event_id("invitation-sent", invitation_id))

    # --- ratings (评价) --------------------------------------------------------------------------------

    async def submit_rating(self, uow: UnitOfWork, rating: RatingInput) -> RatingRow:
        """一事一号一评价: store the rating of an invited touchpoint by its rater, announce it, and open a
        rectification order when it is a bad review (差评)."""
        case = await uow.session.get(RatingCase, rating.case_id)
        if case is None:
            raise CaseUnknown(rating.case_id)
        if rating.rater_id_number is None or not _facts(case).may_rate(rating.rater_id_number, self.policy.rater_key):
            raise UnrelatedRater(rating.case_id)
        touchpoint = (await invited_touchpoints(uow.session, case.case_id)).get(touchpoint_key(rating.touchpoint, rating.item_code))
        if touchpoint is None:
            raise NotInvited(rating.case_id)
        rating_id = rating_id_for(case.case_id, rating.touchpoint, rating.item_code)
        if await uow.session.get(RatingRow, rating_id) is not None:
            raise AlreadyRated(rating.case_id)
        row = RatingRow(rating_id=rating_id, case_id=case.case_id, touchpoint=rating.touchpoint.value,
                        item_code=rating.item_code, department=touchpoint.department, level=rating.level.value,
                        tags=list(rating.tags), comment=rating.comment, rated_via=rating.rated_via,
                        submitted_at=datetime.now(UTC))
        uow.session.add(row)
        window_facing = rating.touchpoint is not Touchpoint.ITEM
        uow.emit(RatingSubmitted(
            rating_id=rating_id, case_id=case.case_id, level=rating.level, tags=tuple(row.tags),
            submitted_at=row.submitted_at, touchpoint=rating.touchpoint, item_code=rating.item_code,
            department=row.department, bundle_code=case.bundle_code, channel=case.channel,
            window_id=case.window_id if window_facing else None, staff_id=case.staff_id if window_facing else None,
            rated_via=rating.rated_via,
        ), subject=case.case_id, event_id=_event_id("rating-submitted", rating_id))
        if rating.level.bad:
            self._open_rectification(uow, row)
        return row

    def _open_rectification(self, uow: UnitOfWork, rating: RatingRow) -> None:
        """差评即整改: one order to the answerable department, on a supervision clock."""
        rectification_id = rectification_id_for(rating.rating_id)
        today, days = self.today(), self.policy.rectification_working_days
        dept = department(rating.department)
        uow.session.add(RectificationRow(
            rectification_id=rectification_id, rating_id=rating.rating_id, case_id=rating.case_id,
            department=rating.department, touchpoint=rating.touchpoint, item_code=rating.item_code,
            level=rating.level, limit_working_days=days, opened_on=today, state=State.OPEN.value))
        what_zh = f"事项 {rating.item_code}" if rating.item_code else {"acceptance": "受理服务", "delivery": "一件事办理"}[
            rating.touchpoint]
        uow.emit(RectificationOpened(
            rectification_id=rectification_id, case_id=rating.case_id, rating_id=rating.rating_id,
            touchpoint=Touchpoint(rating.touchpoint), item_code=rating.item_code, department=rating.department,
            level=RatingLevel(rating.level), tags=tuple(rating.tags), limit_working_days=days, opened_on=today,
            text_zh=f"差评整改：办件 {rating.case_id} 的{what_zh}获评「{RatingLevel(rating.level).name_zh}」，"
                    f"请{dept.name_zh}于 {days} 个工作日内核实整改并反馈",
            text_en=f"Bad review of case {rating.case_id} ({rating.touchpoint}): {dept.name_en} to rectify and "
                    f"report back within {days} working days",
        ), subject=rating.case_id, event_id=_event_id("rectification-opened", rectification_id))

    # --- the order's life (整改、回访、办结) -------------------------------------------------------------

    async def _order(self, uow: UnitOfWork, rectification_id: str) -> RectificationRow:
        row = await uow.get_for_update(RectificationRow, rectification_id)
        if row is None:
            raise OrderUnknown(rectification_id)
        return row

    async def report(self, uow: UnitOfWork, rectification_id: str, principal: str, measures_zh: str,
                     evidence: tuple[Evidence, ...]) -> RectificationRow:
        row = await self._order(uow, rectification_id)
        _store(row, _rectification(row).report(principal))
        row.measures_zh, row.evidence, row.reported_on = measures_zh, [e.model_dump() for e in evidence], self.today()
        uow.session.add(row)
        uow.emit(RectificationReported(rectification_id=rectification_id, case_id=row.case_id,
                                       department=row.department, measures_zh=measures_zh, evidence=evidence,
                                       reported_on=row.reported_on),
                 subject=row.case_id, event_id=_event_id("rectification-reported", rectification_id, row.reopened))
        return row

    async def call_back(self, uow: UnitOfWork, rectification_id: str, principal: str, outcome: CallbackOutcome,
                        note_zh: str | None) -> RectificationRow:
        row = await self._order(uow, rectification_id)
        _store(row, _rectification(row).call_back(principal, self.policy.supervisors, outcome,
                                                  self.policy.max_unreachable_callbacks))
        attempt = len(row.callbacks) + 1
        row.callbacks = [*row.callbacks, {"attempt": attempt, "outcome": outcome, "note_zh": note_zh, "by": principal,
                                          "on": self.today().isoformat()}]
        uow.session.add(row)
        uow.emit(RectificationCalledBack(rectification_id=rectification_id, case_id=row.case_id,
                                         department=row.department, outcome=outcome, attempt=attempt,
                                         called_on=self.today()),
                 subject=row.case_id, event_id=_event_id("rectification-called-back", rectification_id, attempt))
        if row.state == State.CLOSED.value:
            self._close(uow, row)
        return row

    def _close(self, uow: UnitOfWork, row: RectificationRow) -> None:
        """办结: supervision stops the order's clock when it reads this."""
        assert row.closed_how is not None
        row.closed_on = self.today()
        uow.session.add(row)
        uow.emit(RectificationClosed(rectification_id=row.rectification_id, case_id=row.case_id,
                                     department=row.department, how=row.closed_how,  # type: ignore[arg-type]
                                     evidence=tuple(Evidence.model_validate(e) for e in row.evidence),
                                     closed_on=row.closed_on),
                 subject=row.case_id, event_id=_event_id("rectification-closed", row.rectification_id))

    # --- appeals (申诉复核) ------------------------------------------------------------------------------

    async def file_appeal(self, uow: UnitOfWork, rectification_id: str, principal: str, grounds: str,
                          reason_zh: str, evidence: tuple[Evidence, ...]) -> AppealRow:
        row = await self._order(uow, rectification_id)
        _store(row, _rectification(row).file_appeal(principal))
        uow.session.add(row)
        appeal = AppealRow(appeal_id=appeal_id_for(rectification_id), rectification_id=rectification_id,
                           rating_id=row.rating_id, case_id=row.case_id, department=row.department, grounds=grounds,
                           reason_zh=reason_zh, evidence=[e.model_dump() for e in evidence], filed_on=self.today())
        uow.session.add(appeal)
        uow.emit(AppealFiled(appeal_id=appeal.appeal_id, rectification_id=rectification_id, rating_id=row.rating_id,
                             case_id=row.case_id, department=row.department, grounds=grounds,  # type: ignore[arg-type]
                             reason_zh=reason_zh, evidence=evidence, filed_on=appeal.filed_on),
                 subject=row.case_id, event_id=_event_id("appeal-filed", appeal.appeal_id))
        return appeal

    async def decide_appeal(self, uow: UnitOfWork, appeal_id: str, principal: str, upheld: bool,
                            reason_zh: str) -> AppealRow:
        appeal = await uow.get_for_update(AppealRow, appeal_id)
        if appeal is None:
            raise OrderUnknown(appeal_id)
        row = await self._order(uow, appeal.rectification_id)
        was_open = row.state != State.CLOSED.value
        _store(row, _rectification(row).decide_appeal(principal, self.policy.supervisors, upheld))
        appeal.upheld, appeal.decision_zh, appeal.decided_by, appeal.decided_on = upheld, reason_zh, principal, \
            self.today()
        uow.session.add(appeal)
        uow.emit(AppealDecided(appeal_id=appeal_id, rectification_id=row.rectification_id, rating_id=row.rating_id,
                               case_id=row.case_id, department=row.department, upheld=upheld, reason_zh=reason_zh,
                               decided_by=principal, decided_on=appeal.decided_on),
                 subject=row.case_id, event_id=_event_id("appeal-decided", appeal_id))
        if upheld:  # 申诉成立: the review leaves the figures and the order is withdrawn
            rating = await uow.get_for_update(RatingRow, row.rating_id)
            assert rating is not None
            rating.removed = True
            uow.session.add(rating)
            if was_open:
                self._close(uow, row)
        uow.session.add(row)
        return appeal

    # --- supervision's clock of each order (监察计时、督办) -------------------------------------------

    async def clock_started(self, uow: UnitOfWork, envelope: Envelope, payload: ClockStarted) -> None:
        """The order's due date, counted by supervision on its working-day calendar."""
        if payload.kind != "rectification":
            return
        row = await uow.get_for_update(RectificationRow, payload.task_id)
        if row is not None:
            row.clock_id, row.due_on = payload.clock_id, payload.due_on
            uow.session.add(row)

    async def clock_adjusted(self, uow: UnitOfWork, envelope: Envelope, payload: ClockAdjusted) -> None:
        row = await self._by_clock(uow, payload.clock_id)
        if row is not None:
            row.due_on = payload.due_on
            uow.session.add(row)

    async def card_issued(self, uow: UnitOfWork, envelope: Envelope, payload: CardIssued) -> None:
        """超期即督办: a red card on an order's clock means the rectification is overdue and escalated."""
        if payload.colour != "red":
            return
        row = await self._by_clock(uow, payload.clock_id)
        if row is not None and row.red_card_id is None:
            row.red_card_id, row.escalated_on = payload.card_id, payload.issued_on
            uow.session.add(row)

    async def order_issued(self, uow: UnitOfWork, envelope: Envelope, payload: OrderIssued) -> None:
        row = (await uow.session.exec(select(RectificationRow).where(
            col(RectificationRow.red_card_id) == payload.card_id))).first()
        if row is not None:
            row.order_id, row.respond_by = payload.order_id, payload.respond_by
            uow.session.add(row)

    async def _by_clock(self, uow: UnitOfWork, clock_id: str) -> RectificationRow | None:
        return (await uow.session.exec(select(RectificationRow).where(
            col(RectificationRow.clock_id) == clock_id).with_for_update())).first()

