"""The supervision scan (电子监察巡检): re-project every open deadline, then issue the cards and orders each
clock has earned, once. Runs on a timer and whenever the supervision clock is moved.

Each clock is handled in its own transaction under a row lock; a card row is unique per (clock, colour)
and its event id is derived from the same pair, so redelivery, a restart or two scanners at once never
issue a card twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from uuid import NAMESPACE_URL, uuid5

from sqlmodel import col, select

from contracts.departments import department
from contracts.supervision.v1 import CardIssued, ClockAdjusted, OrderIssued
from contracts.workdays import WorkingCalendar
from exchange.db.database import Database
from exchange.db.unit_of_work import UnitOfWork
from exchange.periodic import PeriodicJob
from supervision.adapters.tables import SupervisionCard, SupervisionClock, SupervisionOrder
from supervision.domain.cards import CardDue, cards_due
from supervision.service_layer.ledger import to_clock

__all__ = ["Card", "Order", "ScanResult", "Scanner", "card_exists", "card_id_for", "issue_card", "scan"]

logger = logging.getLogger(__name__)


def card_id_for(clock_id: str, colour: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"onething:card:{clock_id}:{colour}"))


@dataclass
class ScanResult:
    today: date
    clocks: int = 0
    yellow: int = 0
    red: int = 0
    orders: int = 0
    reprojected: int = 0


async def scan(database: Database, today: date, calendar: WorkingCalendar, *, threshold: int = 1,
               respond_days: int = 3) -> ScanResult:
    result = ScanResult(today)
    async with database.sessions() as session:
        ids = (await session.exec(select(SupervisionClock.clock_id)
                                  .where(col(SupervisionClock.finished_on).is_(None)))).all()
    for clock_id in ids:
        async with database.unit_of_work() as uow:
            row = await uow.get_for_update(SupervisionClock, clock_id)
            if row is None or row.finished_on is not None:
                continue
            result.clocks += 1
            clock = to_clock(row)
            due = clock.due_on(calendar, today)
            if due != row.due_on and not clock.suspended:  # the calendar changed under an open deadline
                uow.emit(ClockAdjusted(case_id=row.case_id, clock_id=row.clock_id, item_code=row.item_code or None,
                                       kind="reprojected", reason_zh="工作日历调整，重新计算办结期限", due_on=due, on=today),
                         subject=row.case_id, event_id=uuid5(NAMESPACE_URL, f"onething:reproject:{clock_id}:{due}"))
                row.due_on = due
                uow.session.add(row)
                result.reprojected += 1
            issued = frozenset((await uow.session.exec(
                select(SupervisionCard.colour).where(col(SupervisionCard.clock_id) == clock_id))).all())
            for card in cards_due(clock, today, calendar, threshold=threshold, issued=issued):
                _issue(uow, row, card, today, calendar, respond_days)
                result.yellow += card.colour == "yellow"
                result.red += card.colour == "red"
                result.orders += card.colour == "red"
    return result


def _issue(uow: UnitOfWork, row: SupervisionClock, card: CardDue, today: date, calendar: WorkingCalendar,
           respond_days: int) -> None:
    dept = department(row.department)
    left = max(card.working_days_left, 0)
    if row.kind == "rectification":  # 差评整改: the department's answer to a bad review, not its handling
        item_zh, item_en = (f"事项 {row.item_code} ", f"item {row.item_code} ") if row.item_code else ("", "")
        what_zh = f"办件 {row.case_id} {item_zh}的整改单（{dept.name_zh}）"
        what_en = f"the rectification order on case {row.case_id} {item_en}({dept.name_en})"
        yellow = (f"差评整改预警：{what_zh}将于 {card.due_on} 到期，剩余 {left} 个工作日",
                  f"Rectification warning: {what_en} is due {card.due_on}, {left} working days left")
        red = (f"差评整改超期：{what_zh}已超过整改期限 {card.due_on}，发出督办",
               f"Rectification overdue: {what_en} is overdue since {card.due_on}")
        order_zh = f"前完成办件 {row.case_id} 的差评整改并反馈"
        order_en = f"to complete the rectification on case {row.case_id} and report"
    else:
        what_zh = f"办件 {row.case_id} " + (f"事项 {row.item_code}" if row.kind == "item" else "一件事整体时限")
        what_en = f"case {row.case_id} " + (f"item {row.item_code}" if row.kind == "item" else "the whole case")
        yellow = (f"黄牌预警：{what_zh}（{dept.name_zh}）将于 {card.due_on} 到期，剩余 {left} 个工作日",
                  f"Yellow card: {what_en} ({dept.name_en}) is due {card.due_on}")
        red = (f"红牌：{what_zh}（{dept.name_zh}）已超过办结期限 {card.due_on}，发出督办",
               f"Red card: {what_en} ({dept.name_en}) is overdue since {card.due_on}")
        order_zh = f"前办结{what_zh}并说明超期原因"
        order_en = f"to conclude {what_en}"
    if card.colour == "yellow":
        issue_card(uow, Card(row.clock_id, row.case_id, row.item_code, row.department, row.staff_id, "yellow",
                             card.reason, card.due_on, card.working_days_left, *yellow), today)
        return
    respond_by = calendar.add_working_days(today, respond_days)
    issue_card(uow, Card(row.clock_id, row.case_id, row.item_code, row.department, row.staff_id, "red", card.reason,
                         card.due_on, card.working_days_left, *red), today,
               order=Order("overdue", respond_by, f"督办：请{dept.name_zh}于 {respond_by} {order_zh}",
                           f"Supervision order: {dept.name_en} {order_en} by {respond_by}"))


@dataclass(frozen=True, slots=True)
class Card:
    clock_id: str  # the clock, or the finding, the card is about: one card per (clock_id, colour)
    case_id: str
    item_code: str
    department: str
    staff_id: str | None
    colour: str
    reason: str
    due_on: date
    working_days_left: int
    text_zh: str
    text_en: str


@dataclass(frozen=True, slots=True)
class Order:
    kind: str  # overdue | forced_stop
    respond_by: date
    text_zh: str
    text_en: str


async def card_exists(uow: UnitOfWork, clock_id: str, colour: str) -> bool:
    found = await uow.session.exec(select(SupervisionCard.card_id).where(
        col(SupervisionCard.clock_id) == clock_id, col(SupervisionCard.colour) == colour))
    return found.first() is not None


def issue_card(uow: UnitOfWork, card: Card, today: date, *, order: Order | None = None) -> None:
    """One card (and its order) as a row and an event, with ids derived from (clock, colour)."""
    card_id = card_id_for(card.clock_id, card.colour)
    uow.session.add(SupervisionCard(
        card_id=card_id, clock_id=card.clock_id, case_id=card.case_id, item_code=card.item_code,
        department=card.department, staff_id=card.staff_id, colour=card.colour, reason=card.reason,
        due_on=card.due_on, issued_on=today, text_zh=card.text_zh))
    uow.emit(CardIssued(card_id=card_id, case_id=card.case_id, clock_id=card.clock_id,
                        item_code=card.item_code or None, department=card.department, staff_id=card.staff_id,
                        colour=card.colour, reason=card.reason,  # type: ignore[arg-type]
                        due_on=card.due_on, working_days_left=card.working_days_left, issued_on=today,
                        text_zh=card.text_zh, text_en=card.text_en),
             subject=card.case_id, event_id=uuid5(NAMESPACE_URL, f"onething:card-issued:{card_id}"))
    if order is None:
        return
    order_id = str(uuid5(NAMESPACE_URL, f"onething:order:{card_id}"))
    uow.session.add(SupervisionOrder(order_id=order_id, kind=order.kind, card_id=card_id, case_id=card.case_id,
                                     item_code=card.item_code, department=card.department,
                                     respond_by=order.respond_by, issued_on=today, text_zh=order.text_zh))
    uow.emit(OrderIssued(order_id=order_id, case_id=card.case_id, card_id=card_id, item_code=card.item_code or None,
                         department=card.department, respond_by=order.respond_by, issued_on=today,
                         text_zh=order.text_zh, text_en=order.text_en, kind=order.kind),  # type: ignore[arg-type]
             subject=card.case_id, event_id=uuid5(NAMESPACE_URL, f"onething:order-issued:{order_id}"))


class Scanner(PeriodicJob):
    """The scan on a timer (a background job of the supervision process)."""

    def __init__(self, run_once: Callable[[], Awaitable[object]], interval_s: float) -> None:
        super().__init__("supervision scan", run_once, interval_s)
