"""Intake's case events as they go out (领域事件 → 契约消息): a delivery is the result (``CaseDelivered``) and the
one notice to the applicant on the channel they applied through (``CaseNotified``), both on the case stream."""

from __future__ import annotations

from contracts.intake.v1 import CaseDelivered, CaseNotified, Channel, DeliveredItem, DeliveryMethod
from exchange.db.service_work import Message
from intake.domain.model import Case, CaseEvent, Delivered, Noted

__all__ = ["case_messages"]


def case_messages(case: Case, event: CaseEvent) -> list[Message]:
    match event:
        case Delivered(at=at):
            assert case.notice_zh is not None and case.notice_en is not None  # written with the delivery
            return [
                Message(CaseDelivered(
                    case_id=case.case_id, method=DeliveryMethod(case.delivery_method),
                    items=tuple(DeliveredItem(item_code=i.item_code, department=i.department, outcome=i.status.value,
                                              document_no=i.document_no, licence_id=i.licence_id)
                                for i in case.state.items.values()),
                    delivered_at=at,
                )),
                Message(CaseNotified(case_id=case.case_id, channel=Channel(case.channel), text_zh=case.notice_zh,
                                     text_en=case.notice_en)),
            ]
        case Noted():
            return []  # the case's own timeline (the repository writes it), not a message
