"""Efficiency figures from supervision's records, for the API and, once a day, for analysts on the bus.

What leaves on ``analytics.supervision.figures`` names departments, items and windows only: no applicant.
Rectification clocks of bad reviews (差评整改) and their cards are left out: they time a department's answer
to a review after the case, not its handling of the case.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from uuid import NAMESPACE_URL, uuid5

from contracts.supervision.v1 import FiguresPublished
from contracts.topics import SUPERVISION_FIGURES
from contracts.workdays import WorkingCalendar
from exchange.db.database import Database
from supervision.adapters.views import figure_facts
from supervision.domain.figures import Figure, figures

__all__ = ["DIMENSIONS", "DailyFigures", "current_figures"]

DIMENSIONS = ("department", "item", "window")


async def current_figures(database: Database, by: str, calendar: WorkingCalendar) -> list[Figure]:
    return figures(by, *await figure_facts(database, calendar))


class DailyFigures:
    """Today's figures on the analytics topic, once per (day, dimension, key). The scan calls it every round;
    only the first round of a day reads the records, and a restart the same day sends nothing new (claims)."""

    def __init__(self, database: Database, calendar: WorkingCalendar) -> None:
        self.database = database
        self.calendar = calendar
        self.published_for: date | None = None

    async def publish(self, today: date) -> int:
        if self.published_for == today:
            return 0
        clocks, cards = await figure_facts(self.database, self.calendar)
        published = 0
        async with self.database.unit_of_work() as uow:
            for by in DIMENSIONS:
                for figure in figures(by, clocks, cards):
                    event_id = uuid5(NAMESPACE_URL, f"onething:figures:{today}:{by}:{figure.key}")
                    if await uow.claim("supervision.figures", event_id):
                        uow.emit(FiguresPublished(day=today, by=by, **asdict(figure),  # type: ignore[arg-type]
                                                  finished=figure.items_finished),
                                 subject=f"{by}:{figure.key}", topics=[SUPERVISION_FIGURES], event_id=event_id)
                        published += 1
        self.published_for = today
        return published
