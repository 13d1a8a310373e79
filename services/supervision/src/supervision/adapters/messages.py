"""Supervision's events as they go out (领域事件 → 契约消息), the one place they become contract payloads.

Every event id is derived from what it is about (the clock, the card, the flag, the adjustment's ordinal), so a fact
handled twice announces nothing twice; all go to the case stream, keyed by case. An item clock's start is the one
thing not announced: ``dispatch.task.released`` says all of it, and ``contracts.supervision.clocks`` derives it.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

from contracts.supervision.v1 import (
    CardIssued,
    ClockAdjusted,
    ClockStarted,
    ClockStopped,
    OrderIssued,
    RepeatFlagged,
)
from exchange.db.service_work import Message
from supervision.domain.model import (
    Adjusted,
    Card,
    ClockEvent,
    Flag,
    Started,
    Stopped,
    SupervisedClock,
    order_id_for,
)

__all__ = ["card_messages", "clock_messages", "flag_messages"]


def clock_messages(clock: SupervisedClock, event: ClockEvent) -> list[Message]:
    item_code = clock.item_code or None
    match event:
        case Started() if clock.kind == "item":
            return []  # the release announced it: readers derive the clock (contracts.supervision.clocks)
        case Started():
            return [Message(ClockStarted(
                case_id=clock.case_id, task_id=clock.task_id, item_code=clock.item_code, department=clock.department,
                limit_working_days=clock.limit_working_days, started_on=clock.started_on, due_on=clock.due_on,
                clock_id=clock.clock_id, kind=clock.kind, statutory_working_days=clock.statutory_working_days,
            ), event_id=uuid5(NAMESPACE_URL, f"onething:clock-started:{clock.clock_id}"))]
        case Stopped(on=on, on_time=on_time, handling_days=handling_days):
            return [Message(ClockStopped(
                case_id=clock.case_id, clock_id=clock.clock_id, kind=clock.kind, task_id=clock.task_id,
                item_code=item_code, department=clock.department, due_on=clock.due_on, finished_on=on,
                on_time=on_time, handling_days=handling_days,
            ), event_id=uuid5(NAMESPACE_URL, f"onething:clock-stopped:{clock.clock_id}"))]
        case Adjusted(kind=kind, on=on, reason_zh=reason_zh, days=days, approver=approver, ordinal=ordinal):
            names = {"suspended": f"onething:clock:{clock.clock_id}:suspended:{ordinal}",
                     "resumed": f"onething:clock:{clock.clock_id}:resumed:{ordinal}",
                     "extended": f"onething:extension:{clock.clock_id}:{ordinal}",
                     "reprojected": f"onething:reproject:{clock.clock_id}:{clock.due_on}"}
            return [Message(ClockAdjusted(
                case_id=clock.case_id, clock_id=clock.clock_id, item_code=item_code, kind=kind, days=days,
                reason_zh=reason_zh, approver=approver, due_on=clock.due_on, on=on,
            ), event_id=uuid5(NAMESPACE_URL, names[kind]))]


def card_messages(card: Card) -> list[Message]:
    """A card, and the order it carries."""
    card_id = card.card_id
    messages = [Message(CardIssued(
        card_id=card_id, case_id=card.case_id, clock_id=card.about, item_code=card.item_code or None,
        department=card.department, staff_id=card.staff_id, colour=card.colour, reason=card.reason,
        due_on=card.due_on, working_days_left=card.working_days_left, issued_on=card.issued_on,
        text_zh=card.text_zh, text_en=card.text_en,
    ), event_id=uuid5(NAMESPACE_URL, f"onething:card-issued:{card_id}"))]
    if (order := card.order) is not None:
        order_id = order_id_for(card_id)
        messages.append(Message(OrderIssued(
            order_id=order_id, case_id=card.case_id, card_id=card_id, item_code=card.item_code or None,
            department=card.department, respond_by=order.respond_by, issued_on=card.issued_on,
            text_zh=order.text_zh, text_en=order.text_en, kind=order.kind,
        ), event_id=uuid5(NAMESPACE_URL, f"onething:order-issued:{order_id}")))
    return messages


def flag_messages(flag: Flag) -> list[Message]:
    flag_id = flag.flag_id
    return [Message(RepeatFlagged(
        flag_id=flag_id, case_id=flag.case_id, kind=flag.kind, item_codes=flag.item_codes,
        other_case_id=flag.other_case_id, department=flag.department, material_code=flag.material_code,
        flagged_on=flag.flagged_on, text_zh=flag.text_zh,
    ), event_id=uuid5(NAMESPACE_URL, f"onething:flagged:{flag_id}"))]
