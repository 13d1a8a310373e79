"""Rating's events as they go out (领域事件 → 契约消息): the one place they become contract payloads, each on the case
stream under a deterministic id, so a repeat of the same step is the same event."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from contracts.rating.v1 import (
    AppealDecided,
    AppealFiled,
    InvitationSent,
    RatingSubmitted,
    RectificationCalledBack,
    RectificationClosed,
    RectificationOpened,
    RectificationReported,
    Touchpoint,
)
from exchange.db.service_work import Message
from rating.domain import model
from rating.domain.model import CaseEvent, Order, OrderEvent, RatedCase

__all__ = ["case_messages", "order_messages"]


def _event_id(*parts: object) -> UUID:
    return uuid5(NAMESPACE_URL, "onething:" + ":".join(str(p) for p in parts))


def case_messages(case: RatedCase, event: CaseEvent) -> list[Message]:
    facts = case.facts
    match event:
        case model.Invited(invitation=i, text_zh=text_zh, text_en=text_en):
            return [Message(InvitationSent(
                invitation_id=i.invitation_id, case_id=case.case_id, channel=i.channel, touchpoints=i.touchpoints,
                invited_at=i.invited_at, text_zh=text_zh, text_en=text_en,
            ), event_id=_event_id("invitation-sent", i.invitation_id))]
        case model.Rated(rating=r):
            window_facing = r.touchpoint is not Touchpoint.ITEM  # the window's staff answer for these
            return [Message(RatingSubmitted(
                rating_id=r.rating_id, case_id=case.case_id, level=r.level, tags=r.tags, submitted_at=r.submitted_at,
                touchpoint=r.touchpoint, item_code=r.item_code, department=r.department,
                bundle_code=facts.bundle_code, channel=facts.channel,
                window_id=facts.window_id if window_facing else None,
                staff_id=facts.staff_id if window_facing else None, rated_via=r.rated_via,
            ), event_id=_event_id("rating-submitted", r.rating_id))]


def order_messages(order: Order, event: OrderEvent) -> list[Message]:
    rid, case_id, dept = order.rectification_id, order.case_id, order.department
    match event:
        case model.Opened(tags=tags, text_zh=text_zh, text_en=text_en):
            return [Message(RectificationOpened(
                rectification_id=rid, case_id=case_id, department=dept, rating_id=order.rating_id,
                touchpoint=order.touchpoint, item_code=order.item_code, level=order.level, tags=tags,
                limit_working_days=order.limit_working_days, opened_on=order.opened_on, text_zh=text_zh,
                text_en=text_en,
            ), event_id=_event_id("rectification-opened", rid))]
        case model.Reported(measures_zh=measures, evidence=evidence, reported_on=on, round=round_):
            return [Message(RectificationReported(rectification_id=rid, case_id=case_id, department=dept,
                                                  measures_zh=measures, evidence=evidence, reported_on=on),
                            event_id=_event_id("rectification-reported", rid, round_))]
        case model.CalledBack(outcome=outcome, attempt=attempt, called_on=on):
            return [Message(RectificationCalledBack(rectification_id=rid, case_id=case_id, department=dept,
                                                    outcome=outcome, attempt=attempt, called_on=on),
                            event_id=_event_id("rectification-called-back", rid, attempt))]
        case model.Closed(how=how, evidence=evidence, closed_on=on):
            return [Message(RectificationClosed(rectification_id=rid, case_id=case_id, department=dept, how=how,
                                                evidence=evidence, closed_on=on),
                            event_id=_event_id("rectification-closed", rid))]
        case model.AppealFiled(appeal=a):
            return [Message(AppealFiled(
                appeal_id=a.appeal_id, rectification_id=rid, rating_id=order.rating_id, case_id=case_id,
                department=dept, grounds=a.grounds, reason_zh=a.reason_zh, evidence=a.evidence, filed_on=a.filed_on,
            ), event_id=_event_id("appeal-filed", a.appeal_id))]
        case model.AppealDecided(appeal_id=appeal_id, upheld=upheld, reason_zh=reason, decided_by=by, decided_on=on):
            return [Message(AppealDecided(
                appeal_id=appeal_id, rectification_id=rid, rating_id=order.rating_id, case_id=case_id,
                department=dept, upheld=upheld, reason_zh=reason, decided_by=by, decided_on=on,
            ), event_id=_event_id("appeal-decided", appeal_id))]
