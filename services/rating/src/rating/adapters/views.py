"""Rating's read side (查询): what its HTTP API reads, straight from the tables. Nothing here changes state."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlmodel import col, select

from contracts.rating.v1 import FigureBy, FigurePeriod, InvitedTouchpoint, RatingFigures, Touchpoint
from exchange.db.database import Database
from rating.adapters.tables import AppealRow, RatingCase, RatingFigureRow, RatingInvitation, RatingRow, RectificationRow
from rating.domain.ratings import CaseFacts, touchpoint_key

__all__ = ["appeal", "case_ratings", "current_figures", "may_rate", "order", "orders", "touchpoints"]


async def may_rate(database: Database, case_id: str, ids: Iterable[str | None], rater_key: bytes | None) -> bool:
    """Whether any of ``ids`` may rate (and so see) the case: its applicant, or a relative or agent for them."""
    async with database.sessions() as session:
        row = await session.get(RatingCase, case_id)
    if row is None:
        return False
    facts = CaseFacts(row.case_id, row.bundle_code, row.lead_department, row.channel, row.window_id, row.staff_id,
                      frozenset(row.rater_digests))
    return any(facts.may_rate(i, rater_key) for i in ids if i)


async def touchpoints(database: Database, case_id: str) -> list[tuple[InvitedTouchpoint, bool]]:
    """The touchpoints the case's invitations opened, each with whether it was rated."""
    async with database.sessions() as session:
        invitations = (await session.exec(
            select(RatingInvitation).where(col(RatingInvitation.case_id) == case_id))).all()
        rated = {touchpoint_key(Touchpoint(r.touchpoint), r.item_code) for r in (await session.exec(
            select(RatingRow).where(col(RatingRow.case_id) == case_id))).all()}
    invited = {touchpoint_key(t.touchpoint, t.item_code): t
               for i in invitations for t in (InvitedTouchpoint.model_validate(t) for t in i.touchpoints)}
    return [(t, key in rated) for key, t in invited.items()]


async def case_ratings(database: Database, case_id: str) -> list[RatingRow]:
    async with database.sessions() as session:
        return list((await session.exec(select(RatingRow).where(col(RatingRow.case_id) == case_id)
                                        .order_by(col(RatingRow.submitted_at)))).all())


async def orders(database: Database, *, department: str | None, state: str | None
                 ) -> list[tuple[RectificationRow, AppealRow | None]]:
    """Rectification orders, oldest first, of one department (None: all), with their appeals."""
    async with database.sessions() as session:
        query = select(RectificationRow).order_by(col(RectificationRow.opened_on))
        if department is not None:
            query = query.where(col(RectificationRow.department) == department)
        if state is not None:
            query = query.where(col(RectificationRow.state) == state)
        rows = (await session.exec(query)).all()
        appeals = {a.rectification_id: a for a in (await session.exec(select(AppealRow).where(
            col(AppealRow.rectification_id).in_([r.rectification_id for r in rows])))).all()}
    return [(r, appeals.get(r.rectification_id)) for r in rows]


async def order(database: Database, rectification_id: str
                ) -> tuple[RectificationRow, AppealRow | None, RatingRow | None] | None:
    """An order with its appeal and the review it answers."""
    async with database.sessions() as session:
        row = await session.get(RectificationRow, rectification_id)
        if row is None:
            return None
        found = (await session.exec(select(AppealRow).where(
            col(AppealRow.rectification_id) == rectification_id))).first()
        return row, found, await session.get(RatingRow, row.rating_id)


async def appeal(database: Database, appeal_id: str) -> AppealRow | None:
    async with database.sessions() as session:
        return await session.get(AppealRow, appeal_id)


async def current_figures(database: Database, period: FigurePeriod, by: FigureBy,
                          period_start: date | None) -> list[RatingFigures]:
    """One period's current satisfaction figures (the latest period if none is named), worst good rate first: the
    latest value of each figure the stream processor published, kept here so every replica answers alike."""
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
