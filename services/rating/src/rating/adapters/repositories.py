"""Rating's repositories (仓储): rated cases (with their invitations and ratings) and rectification orders (with
their appeals), loaded from their tables as aggregates and written back. The only SQL of rating's write side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from contracts.rating.v1 import Evidence, InvitedTouchpoint, RatingFigures, RatingLevel, Touchpoint
from exchange.db.identity import Loaded
from exchange.db.unit_of_work import UnitOfWork
from rating.adapters.tables import (
    AppealRow,
    RatingCase,
    RatingFigureRow,
    RatingInvitation,
    RatingRow,
    RectificationRow,
)
from rating.domain.model import Appeal, Invitation, Order, RatedCase, Rating
from rating.domain.ratings import CaseFacts
from rating.domain.rectification import AppealStatus, Rectification, State

__all__ = ["SqlFigures", "SqlOrders", "SqlRatedCases"]


@dataclass
class _CaseRows:
    row: RatingCase
    invitations: set[str]  # the ids stored already
    ratings: dict[str, RatingRow]


class SqlRatedCases:
    """Rated cases, one transaction's worth."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._loaded: Loaded[RatedCase, _CaseRows] = Loaded()

    async def get(self, case_id: str, *, for_update: bool = False) -> RatedCase | None:
        """The case with its invitations and ratings; locked with ``for_update`` (a delivery and its invitation)."""
        if (loaded := self._loaded.get(case_id)) is not None:
            return loaded
        session = self._uow.session
        row = await (self._uow.get_for_update(RatingCase, case_id) if for_update else session.get(RatingCase, case_id))
        if row is None:
            return None
        invitations = (await session.exec(
            select(RatingInvitation).where(col(RatingInvitation.case_id) == case_id))).all()
        ratings = {r.rating_id: r for r in (await session.exec(
            select(RatingRow).where(col(RatingRow.case_id) == case_id))).all()}
        case = RatedCase(
            CaseFacts(row.case_id, row.bundle_code, row.lead_department, row.channel, row.window_id, row.staff_id,
                      frozenset(row.rater_digests)),
            accepted_at=row.accepted_at, delivered_at=row.delivered_at,
            invitations=[Invitation(i.invitation_id, i.moment, tuple(InvitedTouchpoint.model_validate(t)  # type: ignore[arg-type]
                                                                     for t in i.touchpoints), i.channel, i.invited_at)
                         for i in invitations],
            ratings={rid: _rating(r) for rid, r in ratings.items()})
        return self._loaded.keep(case_id, case, _CaseRows(row, {i.invitation_id for i in invitations}, ratings))

    async def exists(self, case_id: str) -> bool:
        return case_id in self._loaded or await self._uow.session.get(RatingCase, case_id) is not None

    def add(self, case: RatedCase) -> None:
        facts = case.facts
        row = RatingCase(case_id=facts.case_id, bundle_code=facts.bundle_code, lead_department=facts.lead_department,
                         channel=facts.channel, window_id=facts.window_id, staff_id=facts.staff_id,
                         rater_digests=sorted(facts.rater_digests), accepted_at=case.accepted_at)
        self._loaded.keep(facts.case_id, case, _CaseRows(row, set(), {}))

    @property
    def seen(self) -> list[RatedCase]:
        return self._loaded.aggregates

    def save(self) -> None:
        session = self._uow.session
        for case, rows in self._loaded:
            row, stored_invitations, rating_rows = rows.row, rows.invitations, rows.ratings
            row.delivered_at = case.delivered_at
            session.add(row)
            for i in case.invitations:
                if i.invitation_id not in stored_invitations:
                    session.add(RatingInvitation(
                        invitation_id=i.invitation_id, case_id=case.case_id, moment=i.moment,
                        touchpoints=[t.model_dump(mode="json") for t in i.touchpoints], channel=i.channel,
                        invited_at=i.invited_at))
                    stored_invitations.add(i.invitation_id)
            for rating_id, r in case.ratings.items():
                stored = rating_rows.get(rating_id)
                if stored is None:
                    stored = rating_rows[rating_id] = RatingRow(
                        rating_id=rating_id, case_id=case.case_id, touchpoint=r.touchpoint.value,
                        item_code=r.item_code, department=r.department, level=r.level.value, tags=list(r.tags),
                        comment=r.comment, rated_via=r.rated_via, submitted_at=r.submitted_at)
                stored.removed = r.removed
                session.add(stored)


def _rating(row: RatingRow) -> Rating:
    return Rating(row.rating_id, Touchpoint(row.touchpoint), row.item_code, row.department, RatingLevel(row.level),
                  tuple(row.tags), row.comment, row.rated_via, row.submitted_at, row.removed)


@dataclass
class _OrderRows:
    row: RectificationRow
    appeal: AppealRow | None


class SqlOrders:
    """Rectification orders, one transaction's worth, each locked when loaded (a report and a call-back take
    turns)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._loaded: Loaded[Order, _OrderRows] = Loaded()

    async def get(self, rectification_id: str) -> Order | None:
        if (order := self._loaded.get(rectification_id)) is not None:
            return order
        return await self._load(await self._uow.get_for_update(RectificationRow, rectification_id))

    async def with_appeal(self, appeal_id: str) -> Order | None:
        appeal = await self._uow.session.get(AppealRow, appeal_id)
        return None if appeal is None else await self.get(appeal.rectification_id)

    async def on_clock(self, clock_id: str) -> Order | None:
        return await self._load((await self._uow.session.exec(select(RectificationRow).where(
            col(RectificationRow.clock_id) == clock_id).with_for_update())).first())

    async def with_red_card(self, card_id: str) -> Order | None:
        return await self._load((await self._uow.session.exec(select(RectificationRow).where(
            col(RectificationRow.red_card_id) == card_id).with_for_update())).first())

    async def _load(self, row: RectificationRow | None) -> Order | None:
        if row is None:
            return None
        if (order := self._loaded.get(row.rectification_id)) is not None:
            return order
        appeal = (await self._uow.session.exec(select(AppealRow).where(
            col(AppealRow.rectification_id) == row.rectification_id))).first()
        return self._loaded.keep(row.rectification_id, _order(row, appeal), _OrderRows(row, appeal))

    def add(self, order: Order) -> None:
        row = RectificationRow(
            rectification_id=order.rectification_id, rating_id=order.rating_id, case_id=order.case_id,
            department=order.department, touchpoint=order.touchpoint.value, item_code=order.item_code,
            level=order.level.value, limit_working_days=order.limit_working_days, opened_on=order.opened_on,
            state=order.state.value)
        self._loaded.keep(order.rectification_id, order, _OrderRows(row, None))

    @property
    def seen(self) -> list[Order]:
        return self._loaded.aggregates

    def save(self) -> None:
        session = self._uow.session
        for order, rows in self._loaded:
            row, appeal_row, rectification_id = rows.row, rows.appeal, order.rectification_id
            _write(order, row)
            session.add(row)
            if order.appeal is not None:
                if appeal_row is None:
                    appeal_row = AppealRow(
                        appeal_id=order.appeal.appeal_id, rectification_id=rectification_id, rating_id=order.rating_id,
                        case_id=order.case_id, department=order.department, grounds=order.appeal.grounds,
                        reason_zh=order.appeal.reason_zh, evidence=_evidence(order.appeal.evidence),
                        filed_on=order.appeal.filed_on)
                    rows.appeal = appeal_row
                a = order.appeal
                appeal_row.upheld, appeal_row.decision_zh = a.upheld, a.decision_zh
                appeal_row.decided_by, appeal_row.decided_on = a.decided_by, a.decided_on
                session.add(appeal_row)


def _evidence(evidence: tuple[Evidence, ...]) -> list[dict[str, Any]]:
    return [e.model_dump() for e in evidence]


def _order(row: RectificationRow, appeal: AppealRow | None) -> Order:
    rules = Rectification(row.rectification_id, row.department, State(row.state), row.unreachable_since_report,
                          row.reopened, AppealStatus(row.appeal) if row.appeal else None,
                          row.closed_how)  # type: ignore[arg-type]
    return Order(
        row.rectification_id, row.rating_id, row.case_id, row.department, Touchpoint(row.touchpoint), row.item_code,
        RatingLevel(row.level), row.limit_working_days, row.opened_on, rules, measures_zh=row.measures_zh,
        evidence=tuple(Evidence.model_validate(e) for e in row.evidence), reported_on=row.reported_on,
        callbacks=list(row.callbacks), closed_on=row.closed_on, clock_id=row.clock_id, due_on=row.due_on,
        red_card_id=row.red_card_id, escalated_on=row.escalated_on, order_id=row.order_id, respond_by=row.respond_by,
        appeal=None if appeal is None else Appeal(
            appeal.appeal_id, appeal.grounds, appeal.reason_zh,  # type: ignore[arg-type]
            tuple(Evidence.model_validate(e) for e in appeal.evidence), appeal.filed_on, appeal.upheld,
            appeal.decision_zh, appeal.decided_by, appeal.decided_on))


def _write(order: Order, row: RectificationRow) -> None:
    rules = order.rules
    row.state, row.unreachable_since_report, row.reopened = rules.state.value, rules.unreachable_since_report, \
        rules.reopened
    row.appeal, row.closed_how = (rules.appeal.value if rules.appeal else None), rules.closed_how
    row.measures_zh, row.evidence, row.reported_on = order.measures_zh, _evidence(order.evidence), order.reported_on
    row.callbacks, row.closed_on = list(order.callbacks), order.closed_on
    row.clock_id, row.due_on = order.clock_id, order.due_on
    row.red_card_id, row.escalated_on = order.red_card_id, order.escalated_on
    row.order_id, row.respond_by = order.order_id, order.respond_by


class SqlFigures:
    """The latest value of each satisfaction figure (期/维度/键)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def keep_latest(self, figures: RatingFigures) -> None:
        key = (figures.period.value, figures.period_start, figures.by.value, figures.key)
        row = await self._uow.get_for_update(RatingFigureRow, key)
        row = row or RatingFigureRow(period=key[0], period_start=key[1], by=key[2], key=key[3], version=0, figures={})
        row.version, row.figures, row.good_rate = figures.version, figures.model_dump(mode="json"), figures.good_rate
        self._uow.session.add(row)
