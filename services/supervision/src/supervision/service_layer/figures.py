"""Efficiency figures from supervision's records, for the API and, once a day, for analysts on the bus.

What leaves on ``analytics.supervision.figures`` names departments, items and windows only: no applicant.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from uuid import NAMESPACE_URL, uuid5

from sqlmodel import select

from contracts.supervision.v1 import FiguresPublished
from contracts.topics import SUPERVISION_FIGURES
from contracts.workdays import WorkingCalendar
from exchange.db.database import Database
from supervision.adapters.tables import SupervisionCard, SupervisionCase, SupervisionClock
from supervision.domain.figures import CardFact, ClockFact, Figure, figures
from supervision.service_layer.ledger import to_clock

__all__ = ["DIMENSIONS", "current_figures", "publish_daily"]

DIMENSIONS = ("department", "item", "window")


async def current_figures(database: Database, by: str, calendar: WorkingCalendar) -> list[Figure]:
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
        if not row.item_code:
            continue  # the case's own clock is counted through its items
        clock = to_clock(row)
        clock_facts.append(ClockFact(row.case_id, keys(row.case_id, row.department, row.item_code),
                                     clock.on_time(calendar), clock.handling_days(calendar)))
    card_facts = [CardFact(c.case_id, keys(c.case_id, c.department, c.item_code), c.colour) for c in cards]
    return figures(by, clock_facts, card_facts)


async def publish_daily(database: Database, today: date, calendar: WorkingCalendar) -> int:
    """Today's figures on the analytics topic, once per (day, dimension, key): a repeated scan sends nothing new."""
    published = 0
    for by in DIMENSIONS:
        rows = await current_figures(database, by, calendar)
        async with database.unit_of_work() as uow:
            for figure in rows:
                event_id = uuid5(NAMESPACE_URL, f"onething:figures:{today}:{by}:{figure.key}")
                if await uow.claim("supervision.figures", event_id):
                    uow.emit(FiguresPublished(day=today, by=by, **asdict(figure)),  # type: ignore[arg-type]
                             subject=f"{by}:{figure.key}", topics=[SUPERVISION_FIGURES], event_id=event_id)
                    published += 1
    return published
