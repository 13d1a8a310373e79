"""Rating's repositories (仓储): rated cases (with their invitations and ratings) and rectification orders (with
their appeals), loaded from their tables as aggregates and written back. The only SQL of rating's write side."""

from __future__ import annotations

import copy
from typing import Any

from contracts.rating.v1 import Evidence, InvitedTouchpoint, RatingFigures, RatingLevel, Touchpoint
from exchange.db.rows import TableRows
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


class SqlRatedCases:
    """Rated cases, one transaction's worth (SQLAlchemy Core through ``exchange.db.rows``)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._cases = TableRows(uow, RatingCase)
        self._invitations = TableRows(uow, RatingInvitation)
        self._ratings = TableRows(uow, RatingRow)
        self._loaded: dict[str, RatedCase] = {}
        self._stored_invitations: set[str] = set()  # invitations never change: only new ones are written

    async def get(self, case_id: str, *, for_update: bool = False) -> RatedCase | None:
        """The case with its invitations and ratings; locked with ``for_update`` (a delivery and its invitation)."""
        if (loaded := self._loaded.get(case_id)) is not None:
            return loaded
        row = await self._cases.get(case_id, for_update=for_update)
        if row is None:
            return None
        invitations = await self._invitations.where(case_id=case_id)
        ratings = await self._ratings.where(case_id=case_id)
        self._stored_invitations.update(i["invitation_id"] for i in invitations)
        case = self._loaded[case_id] = _case(row, invitations, ratings)
        return case

    async def exists(self, case_id: str) -> bool:
        return case_id in self._loaded or await self._cases.exists(case_id)

    def add(self, case: RatedCase) -> None:
        self._loaded[case.case_id] = case

    @property
    def seen(self) -> list[RatedCase]:
        return list(self._loaded.values())

    async def save(self) -> None:
        """Write every case back (only the columns that changed), its new invitations and its ratings."""
        for case in self._loaded.values():
            await self._cases.save(_case_values(case))
            new = [i for i in case.invitations if i.invitation_id not in self._stored_invitations]
            await self._invitations.save_all(_invitation_values(case.case_id, i) for i in new)
            self._stored_invitations.update(i.invitation_id for i in new)
            await self._ratings.save_all(_rating_values(case.case_id, r) for r in case.ratings.values())


def _case(row: dict[str, Any], invitations: list[dict[str, Any]], ratings: list[dict[str, Any]]) -> RatedCase:
    return RatedCase(
        CaseFacts(row["case_id"], row["bundle_code"], row["lead_department"], row["channel"], row["window_id"],
                  row["staff_id"], frozenset(row["rater_digests"])),
        accepted_at=row["accepted_at"], delivered_at=row["delivered_at"],
        invitations=[Invitation(i["invitation_id"], i["moment"],
                                tuple(InvitedTouchpoint.model_validate(t) for t in i["touchpoints"]),
                                i["channel"], i["invited_at"])
                     for i in invitations],
        ratings={r["rating_id"]: _rating(r) for r in ratings})


def _rating(row: dict[str, Any]) -> Rating:
    return Rating(row["rating_id"], Touchpoint(row["touchpoint"]), row["item_code"], row["department"],
                  RatingLevel(row["level"]), tuple(row["tags"]), row["comment"], row["rated_via"],
                  row["submitted_at"], row["removed"])


def _case_values(case: RatedCase) -> dict[str, Any]:
    facts = case.facts
    return {
        "case_id": facts.case_id, "bundle_code": facts.bundle_code, "lead_department": facts.lead_department,
        "channel": facts.channel, "window_id": facts.window_id, "staff_id": facts.staff_id,
        "rater_digests": sorted(facts.rater_digests), "accepted_at": case.accepted_at,
        "delivered_at": case.delivered_at,
    }


def _invitation_values(case_id: str, invitation: Invitation) -> dict[str, Any]:
    return {
        "invitation_id": invitation.invitation_id, "case_id": case_id, "moment": invitation.moment,
        "touchpoints": [t.model_dump(mode="json") for t in invitation.touchpoints], "channel": invitation.channel,
        "invited_at": invitation.invited_at,
    }


def _rating_values(case_id: str, rating: Rating) -> dict[str, Any]:
    return {
        "rating_id": rating.rating_id, "case_id": case_id, "touchpoint": rating.touchpoint.value,
        "item_code": rating.item_code, "department": rating.department, "level": rating.level.value,
        "tags": list(rating.tags), "comment": rating.comment, "rated_via": rating.rated_via,
        "submitted_at": rating.submitted_at, "removed": rating.removed,
    }


class SqlOrders:
    """Rectification orders, one transaction's worth, each locked when loaded (a report and a call-back take
    turns)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._orders = TableRows(uow, RectificationRow)
        self._appeals = TableRows(uow, AppealRow)
        self._loaded: dict[str, Order] = {}

    async def get(self, rectification_id: str) -> Order | None:
        if (order := self._loaded.get(rectification_id)) is not None:
            return order
        return await self._load(await self._orders.get(rectification_id, for_update=True))

    async def with_appeal(self, appeal_id: str) -> Order | None:
        found = await self._appeals.values_of("rectification_id", appeal_id=appeal_id)
        return await self.get(found[0]) if found else None

    async def on_clock(self, clock_id: str) -> Order | None:
        return await self._load_first(clock_id=clock_id)

    async def with_red_card(self, card_id: str) -> Order | None:
        return await self._load_first(red_card_id=card_id)

    async def _load_first(self, **equal: Any) -> Order | None:
        rows = await self._orders.where(for_update=True, **equal)
        return await self._load(rows[0] if rows else None)

    async def _load(self, row: dict[str, Any] | None) -> Order | None:
        if row is None:
            return None
        rectification_id = row["rectification_id"]
        if (order := self._loaded.get(rectification_id)) is not None:
            return order
        appeals = await self._appeals.where(rectification_id=rectification_id)
        order = self._loaded[rectification_id] = _order(row, appeals[0] if appeals else None)
        return order

    def add(self, order: Order) -> None:
        self._loaded[order.rectification_id] = order

    @property
    def seen(self) -> list[Order]:
        return list(self._loaded.values())

    async def save(self) -> None:
        """Write every order back (only the columns that changed), and its appeal once filed."""
        for order in self._loaded.values():
            await self._orders.save(_order_values(order))
            if order.appeal is not None:
                await self._appeals.save(_appeal_values(order, order.appeal))


def _evidence(evidence: tuple[Evidence, ...]) -> list[dict[str, Any]]:
    return [e.model_dump() for e in evidence]


def _order(row: dict[str, Any], appeal: dict[str, Any] | None) -> Order:
    rules = Rectification(row["rectification_id"], row["department"], State(row["state"]),
                          row["unreachable_since_report"], row["reopened"],
                          AppealStatus(row["appeal"]) if row["appeal"] else None, row["closed_how"])
    return Order(
        row["rectification_id"], row["rating_id"], row["case_id"], row["department"], Touchpoint(row["touchpoint"]),
        row["item_code"], RatingLevel(row["level"]), row["limit_working_days"], row["opened_on"], rules,
        measures_zh=row["measures_zh"], evidence=tuple(Evidence.model_validate(e) for e in row["evidence"]),
        reported_on=row["reported_on"], callbacks=copy.deepcopy(row["callbacks"]), closed_on=row["closed_on"],
        clock_id=row["clock_id"], due_on=row["due_on"], red_card_id=row["red_card_id"],
        escalated_on=row["escalated_on"], order_id=row["order_id"], respond_by=row["respond_by"],
        appeal=None if appeal is None else Appeal(
            appeal["appeal_id"], appeal["grounds"], appeal["reason_zh"],
            tuple(Evidence.model_validate(e) for e in appeal["evidence"]), appeal["filed_on"], appeal["upheld"],
            appeal["decision_zh"], appeal["decided_by"], appeal["decided_on"]))


def _order_values(order: Order) -> dict[str, Any]:
    rules = order.rules
    return {
        "rectification_id": order.rectification_id, "rating_id": order.rating_id, "case_id": order.case_id,
        "department": order.department, "touchpoint": order.touchpoint.value, "item_code": order.item_code,
        "level": order.level.value, "limit_working_days": order.limit_working_days, "opened_on": order.opened_on,
        "state": rules.state.value, "unreachable_since_report": rules.unreachable_since_report,
        "reopened": rules.reopened, "appeal": rules.appeal.value if rules.appeal else None,
        "closed_how": rules.closed_how, "measures_zh": order.measures_zh, "evidence": _evidence(order.evidence),
        "reported_on": order.reported_on, "callbacks": copy.deepcopy(order.callbacks), "closed_on": order.closed_on,
        "clock_id": order.clock_id, "due_on": order.due_on, "red_card_id": order.red_card_id,
        "escalated_on": order.escalated_on, "order_id": order.order_id, "respond_by": order.respond_by,
    }


def _appeal_values(order: Order, appeal: Appeal) -> dict[str, Any]:
    return {
        "appeal_id": appeal.appeal_id, "rectification_id": order.rectification_id, "rating_id": order.rating_id,
        "case_id": order.case_id, "department": order.department, "grounds": appeal.grounds,
        "reason_zh": appeal.reason_zh, "evidence": _evidence(appeal.evidence), "filed_on": appeal.filed_on,
        "upheld": appeal.upheld, "decision_zh": appeal.decision_zh, "decided_by": appeal.decided_by,
        "decided_on": appeal.decided_on,
    }


class SqlFigures:
    """The latest value of each satisfaction figure (期/维度/键)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._rows = TableRows(uow, RatingFigureRow)

    async def keep_latest(self, figures: RatingFigures) -> None:
        """Written at once: an ``UPDATE`` of the figure read (locked), or an ``INSERT`` of a figure not kept yet."""
        key = (figures.period.value, figures.period_start, figures.by.value, figures.key)
        await self._rows.get(key, for_update=True)
        await self._rows.save({"period": key[0], "period_start": key[1], "by": key[2], "key": key[3],
                               "version": figures.version, "figures": figures.model_dump(mode="json"),
                               "good_rate": figures.good_rate})
