"""The current satisfaction figures, for the API: the latest value of each figure the stream processor
published on ``analytics.rating.figures``, kept in rating's database so every replica answers alike."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from contracts.envelope import Envelope
from contracts.rating.v1 import FigureBy, FigurePeriod, RatingFigures
from exchange.db.database import Database
from exchange.db.unit_of_work import UnitOfWork
from rating.adapters.tables import RatingFigureRow

__all__ = ["current_figures", "figures_updated"]


async def figures_updated(uow: UnitOfWork, envelope: Envelope, payload: RatingFigures) -> None:
    """The latest record of a figure is the figure: the topic has one partition and one writer per key, read in
    order (a repeat is dropped by the inbox). Versions are not compared: a rebuild starts them at 1 again."""
    key = (payload.period.value, payload.period_start, payload.by.value, payload.key)
    row = await uow.get_for_update(RatingFigureRow, key)
    row = row or RatingFigureRow(period=key[0], period_start=key[1], by=key[2], key=key[3], version=0, figures={})
    row.version, row.figures, row.good_rate = payload.version, payload.model_dump(mode="json"), payload.good_rate
    uow.session.add(row)


async def current_figures(database: Database, period: FigurePeriod, by: FigureBy,
                          period_start: date | None) -> list[RatingFigures]:
    """One period's figures (the latest period if none is named), worst good rate first."""
    async with database.sessions() as session:
        query = select(RatingFigureRow).where(col(RatingFigureRow.period) == period.value,
                                              col(RatingFigureRow.by) == by.value)
        if period_start is None:
            latest = (await session.exec(query.order_by(col(RatingFigureRow.period_start).desc()))).first()
            if latest is None:
                return []
            period_start = latest.period_start
        rows = (await session.exec(query.where(col(RatingFigureRow.period_start) == period_start))).all()
    figures = [RatingFigures.model_validate(r.figures) for r in rows]
    return sorted(figures, key=lambda f: (f.good_rate if f.good_rate is not None else 2.0, f.key))
