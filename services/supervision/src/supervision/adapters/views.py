"""Supervision's read side: what it shows of a case (clocks with their ledgers, cards, orders, flags, the projected
completion and the department currently blocking it, for the API and ``onething case``), its audit trail, the facts
the efficiency figures are counted from, and the clocks the scan visits."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlmodel import col, select

from contracts.departments import department
from contracts.workdays import PROVISIONAL_NOTE_EN, PROVISIONAL_NOTE_ZH, WorkingCalendar
from exchange.db.database import Database
from supervision.adapters.repositories import ledger_of
from supervision.adapters.tables import (
    SupervisionAudit,
    SupervisionCard,
    SupervisionCase,
    SupervisionClock,
    SupervisionFlag,
    SupervisionOrder,
)
from supervision.domain.board import BoardCard, ClockNow, LateCount, late_clocks_by_department, open_cards
from supervision.domain.figures import CardFact, ClockFact
from supervision.domain.messages import MESSAGES
from supervision.domain.projection import ItemPlan, project

__all__ = ["board_cards", "case_audit", "case_view", "figure_facts", "item_clocks", "late_departments",
           "rectification_clocks"]


def _clock_view(row: SupervisionClock, today: date, calendar: WorkingCalendar) -> dict[str, Any]:
    clock = ledger_of(row)
    due = clock.due_on(calendar, today)
    state = ("finished" if clock.finished_on else "suspended" if clock.suspended
             else "overdue" if today > due else "running")
    return {
        "clock_id": row.clock_id, "item_code": row.item_code or None, "department": row.department,
        "attempt": row.attempt, "budget_days": row.limit_working_days, "statutory_days": row.statutory_working_days,
        "started_on": row.started_on,
        "due_on": due, "due_on_provisional": calendar.is_provisional(clock.started_on, due),
        "finished_on": row.finished_on, "state": state,
        "working_days_left": None if clock.finished_on else clock.working_days_left(calendar, today),
        "suspended_days": clock.suspended_days(calendar, today), "extended_days": clock.extended_days(),
        "on_time": clock.on_time(calendar), "ledger": {"suspensions": row.suspensions, "extensions": row.extensions},
    }


async def case_view(database: Database, case_id: str, today: date, calendar: WorkingCalendar) -> dict[str, Any] | None:
    async with database.sessions() as session:
        case = await session.get(SupervisionCase, case_id)
        if case is None:
            return None
        clocks = (await session.exec(select(SupervisionClock).where(col(SupervisionClock.case_id) == case_id)
                                     .order_by(col(SupervisionClock.item_code), col(SupervisionClock.attempt)))).all()
        cards = (await session.exec(select(SupervisionCard).where(col(SupervisionCard.case_id) == case_id)
                                    .order_by(col(SupervisionCard.issued_on)))).all()
        orders = (await session.exec(select(SupervisionOrder).where(col(SupervisionOrder.case_id) == case_id))).all()
        flags = (await session.exec(select(SupervisionFlag).where(col(SupervisionFlag.case_id) == case_id))).all()
    case_clock = next((c for c in clocks if c.kind == "case"), None)
    item_clocks = [c for c in clocks if c.kind == "item"]  # a rectification clock neither projects nor blocks
    waiting = case_clock is not None and ledger_of(case_clock).suspended
    # An item is due when its latest clock says: extensions and re-projections change the clock, nothing else.
    due_by_item = {c.item_code: ledger_of(c).due_on(calendar, today) for c in item_clocks}
    plans = [ItemPlan(i["item_code"], i["department"], tuple(i["requires"]), i["limit_days"], i["status"],
                      due_by_item.get(i["item_code"]),
                      date.fromisoformat(i["concluded_on"]) if i.get("concluded_on") else None) for i in case.items]
    projection = project(plans, today, calendar, waiting_for_applicant=waiting, start=case.accepted_on)
    case_clock_view = _clock_view(case_clock, today, calendar) if case_clock else None
    item_views = [_clock_view(c, today, calendar) for c in item_clocks]
    rectification_views = [{**_clock_view(c, today, calendar), "rectification_id": c.task_id}
                           for c in clocks if c.kind == "rectification"]
    completion = projection.completion if case.delivered_on is None else case.delivered_on
    completion_provisional = case.delivered_on is None and calendar.is_provisional(case.accepted_on, completion)
    provisional = completion_provisional or any(
        v["due_on_provisional"] for v in (case_clock_view, *item_views, *rectification_views) if v)
    blocking = projection.blocking_department
    return {
        "case_id": case_id, "bundle_code": case.bundle_code, "today": today, "accepted_on": case.accepted_on,
        "delivered_on": case.delivered_on, "window_id": case.window_id, "staff_id": case.staff_id,
        "case_clock": case_clock_view,
        "clocks": item_views,
        "rectification_clocks": rectification_views,
        # 暂定: a date counted over a year whose holiday arrangement is not yet published; it moves when it is
        "calendar_note_zh": PROVISIONAL_NOTE_ZH if provisional else None,
        "calendar_note_en": PROVISIONAL_NOTE_EN if provisional else None,
        "cards": [{"card_id": c.card_id, "colour": c.colour, "reason": c.reason, "item_code": c.item_code or None,
                   "department": c.department, "due_on": c.due_on, "issued_on": c.issued_on, "text_zh": c.text_zh}
                  for c in cards],
        "orders": [{"order_id": o.order_id, "card_id": o.card_id, "item_code": o.item_code or None,
                    "department": o.department, "respond_by": o.respond_by, "issued_on": o.issued_on,
                    "kind": o.kind, "text_zh": o.text_zh} for o in orders],
        "flags": [{"flag_id": f.flag_id, "kind": f.kind, "item_codes": f.item_codes, "other_case_id": f.other_case_id,
                   "department": f.department, "material_code": f.material_code, "flagged_on": f.flagged_on,
                   "text_zh": f.text_zh} for f in flags],
        "projection": {
            "completion": completion, "completion_provisional": completion_provisional,
            "critical_path": list(projection.critical_path),
            "blocking_department": None if case.delivered_on else blocking,
            "blocking_department_zh": None if case.delivered_on or blocking is None else (
                MESSAGES.text("blocking_applicant").zh if blocking == "applicant" else department(blocking).name_zh),
            "blocking_item": None if case.delivered_on else projection.blocking_item,
            "due_on": case_clock_view["due_on"] if case_clock_view else None,
            "due_on_provisional": case_clock_view["due_on_provisional"] if case_clock_view else False,
        },
    }


async def item_clocks(database: Database, case_id: str) -> list[SupervisionClock]:
    """The item clocks of a case, by item and attempt."""
    async with database.sessions() as session:
        query = select(SupervisionClock).where(col(SupervisionClock.case_id) == case_id,
                                               col(SupervisionClock.kind) == "item")
        return list((await session.exec(query.order_by(col(SupervisionClock.item_code),
                                                       col(SupervisionClock.attempt)))).all())


async def case_audit(database: Database, case_id: str) -> list[dict[str, Any]]:
    async with database.sessions() as session:
        rows = (await session.exec(select(SupervisionAudit).where(col(SupervisionAudit.case_id) == case_id)
                                   .order_by(col(SupervisionAudit.at), col(SupervisionAudit.event_id)))).all()
    return [{"at": r.at, "event_type": r.event_type, "actor": r.actor, "item_code": r.item_code,
             "event_id": r.event_id, "evidence_sha256": r.evidence_sha256} for r in rows]


async def figure_facts(database: Database, calendar: WorkingCalendar) -> tuple[list[ClockFact], list[CardFact]]:
    """Each item clock's verdict and each card, keyed by department, window and item. Rectification clocks of bad
    reviews (差评整改) and their cards are left out: they time a department's answer to a review after the case,
    not its handling of the case."""
    async with database.sessions() as session:
        clocks = (await session.exec(select(SupervisionClock))).all()
        cards = (await session.exec(select(SupervisionCard))).all()
        windows = {c.case_id: c.window_id or "online" for c in (await session.exec(select(SupervisionCase))).all()}

    def keys(case_id: str, department: str, item_code: str) -> dict[str, str]:
        out = {"department": department, "window": windows.get(case_id, "online")}
        if item_code:
            out["item"] = item_code
        return out

    clock_facts = []
    for row in clocks:
        if row.kind != "item":
            continue  # the case's own clock is counted through its items; a rectification is no handling
        clock = ledger_of(row)
        clock_facts.append(ClockFact(row.case_id, keys(row.case_id, row.department, row.item_code),
                                     clock.on_time(calendar), clock.handling_days(calendar)))
    rectifications = {row.clock_id for row in clocks if row.kind == "rectification"}
    card_facts = [CardFact(c.case_id, keys(c.case_id, c.department, c.item_code), c.colour) for c in cards
                  if c.clock_id not in rectifications]
    return clock_facts, card_facts


def _clock_now(row: SupervisionClock, today: date, calendar: WorkingCalendar) -> ClockNow:
    clock = ledger_of(row)
    return ClockNow(row.clock_id, row.department, row.kind, clock.finished_on is not None,
                    clock.due_on(calendar, today), clock.working_days_left(calendar, today))


def _names(code: str) -> dict[str, str]:
    try:
        known = department(code)
    except KeyError:  # a department no longer in the table: its code is all there is
        return {"department_zh": code, "department_en": code}
    return {"department_zh": known.name_zh, "department_en": known.name_en}


BOARD_ALL_LIMIT = 1000  # the board's "all cards": the most recent this many


async def board_cards(database: Database, today: date, calendar: WorkingCalendar, *, only_open: bool = True
                      ) -> list[dict[str, Any]]:
    """Every case's cards for the board (open ones unless ``only_open`` is False), each with its case's one-thing,
    its department's names, how far past the limit its clock is and the supervision orders (督办, forced stops)
    issued on it."""
    # Open cards belong to cases not yet delivered: those alone are read, with their clocks, cases and orders chosen
    # in the database (subqueries: no list of ids is sent back, however many there are); ``all`` reads the most
    # recent BOARD_ALL_LIMIT cards.
    undelivered = select(SupervisionCase.case_id).where(col(SupervisionCase.delivered_on).is_(None))
    async with database.sessions() as session:
        clock_ids: Any
        case_ids: Any
        if only_open:
            rows = (await session.exec(select(SupervisionCard).where(col(SupervisionCard.case_id).in_(undelivered))
                                       )).all()
            clock_ids = select(SupervisionCard.clock_id).where(col(SupervisionCard.case_id).in_(undelivered))
            case_ids = undelivered
        else:
            rows = (await session.exec(select(SupervisionCard).order_by(col(SupervisionCard.issued_on).desc())
                                       .limit(BOARD_ALL_LIMIT))).all()
            clock_ids, case_ids = {r.clock_id for r in rows}, {r.case_id for r in rows}
        clocks = (await session.exec(select(SupervisionClock).where(col(SupervisionClock.clock_id).in_(clock_ids))
                                     )).all() if rows else []
        cases = (await session.exec(select(SupervisionCase).where(col(SupervisionCase.case_id).in_(case_ids))
                                    )).all() if rows else []
        orders = (await session.exec(select(SupervisionOrder).where(col(SupervisionOrder.case_id).in_(case_ids))
                                     )).all() if rows else []
    now = {c.clock_id: _clock_now(c, today, calendar) for c in clocks}
    bundles = {c.case_id: c.bundle_code for c in cases}
    delivered = frozenset(c.case_id for c in cases if c.delivered_on is not None)
    cards = [BoardCard(r.card_id, r.clock_id, r.case_id, r.item_code or None, r.department, r.colour, r.reason,
                       r.issued_on, r.due_on, r.text_zh) for r in rows]
    orders_by_card: dict[str, list[dict[str, Any]]] = {}
    for o in orders:
        orders_by_card.setdefault(o.card_id, []).append(
            {"order_id": o.order_id, "kind": o.kind, "respond_by": o.respond_by, "issued_on": o.issued_on,
             "text_zh": o.text_zh})
    return [{**asdict(card), **_names(card.department), "bundle_code": bundles.get(card.case_id),
             "orders": orders_by_card.get(card.card_id, [])}
            for card in open_cards(cards, now, delivered, only_open=only_open)]


async def late_departments(database: Database, today: date, calendar: WorkingCalendar) -> list[dict[str, Any]]:
    """The departments holding running item clocks past their due date, the most first (阻塞部门)."""
    async with database.sessions() as session:
        rows = (await session.exec(select(SupervisionClock).where(col(SupervisionClock.kind) == "item",
                                                                  col(SupervisionClock.finished_on).is_(None)))).all()
    counts: list[LateCount] = late_clocks_by_department([_clock_now(r, today, calendar) for r in rows])
    return [{**asdict(c), **_names(c.department)} for c in counts]


async def rectification_clocks(database: Database, today: date, calendar: WorkingCalendar) -> list[dict[str, Any]]:
    """Every rectification order's clock (差评整改时限), as supervision times it: running and overdue ones first,
    the earliest due first."""
    async with database.sessions() as session:
        rows = (await session.exec(select(SupervisionClock).where(col(SupervisionClock.kind) == "rectification")
                                   )).all()
    out = [{**_clock_view(r, today, calendar), "rectification_id": r.task_id, "case_id": r.case_id,
            **_names(r.department)} for r in rows]
    return sorted(out, key=lambda v: (v["state"] == "finished", v["due_on"], v["rectification_id"]))
