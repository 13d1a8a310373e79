"""Supervision's repositories (仓储): clocks with their ledgers and cards, cases, cards, flags and the audit trail.
The only SQL of supervision's write side; rows never leave this module.

Rows are read and written through SQLAlchemy Core (``exchange.db.rows``), not the ORM session: each repository keeps
the aggregates it handed out in this transaction and, when the use case returns, writes back only the columns that
changed (an ``UPDATE``), or the whole row of one it added (an ``INSERT``). Row dicts read here are never changed in
place: the ``_values`` functions build fresh ones (fresh lists for the JSON columns)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table

from contracts.envelope import Envelope
from exchange.db.identity import Aggregates
from exchange.db.rows import TableRows
from exchange.db.tables import table_of
from exchange.db.unit_of_work import UnitOfWork
from supervision.adapters.tables import (
    SupervisionAudit,
    SupervisionCard,
    SupervisionCase,
    SupervisionClock,
    SupervisionFlag,
    SupervisionOrder,
)
from supervision.domain.clocks import Clock, Extension, Suspension
from supervision.domain.model import Card, Flag, ItemProgress, SupervisedCase, SupervisedClock, order_id_for

__all__ = ["SqlAuditTrail", "SqlCards", "SqlCases", "SqlClocks", "SqlFlags", "ledger_of"]


def ledger_of(row: SupervisionClock) -> Clock:
    """The clock row's ledger (计时台账, stored as JSON beside it) as the pure clock (for the read side's rows)."""
    return _ledger(row.started_on, row.limit_working_days, row.suspensions, row.extensions, row.finished_on)


def _ledger(started_on: date, budget_days: int, suspensions: Sequence[dict[str, Any]],
            extensions: Sequence[dict[str, Any]], finished_on: date | None) -> Clock:
    return Clock(
        started_on=started_on,
        budget_days=budget_days,
        suspensions=tuple(
            Suspension(date.fromisoformat(s["since"]), date.fromisoformat(s["until"]) if s["until"] else None,
                       s["reason_zh"])
            for s in suspensions
        ),
        extensions=tuple(Extension(e["days"], e["reason_zh"], e["approver"]) for e in extensions),
        finished_on=finished_on,
    )


def _clock(row: dict[str, Any], colours: list[str]) -> SupervisedClock:
    return SupervisedClock(
        row["clock_id"], row["case_id"], row["task_id"], row["attempt"], row["item_code"], row["kind"],
        row["department"], row["limit_working_days"], row["started_at"], row["due_on"],
        _ledger(row["started_on"], row["limit_working_days"], row["suspensions"], row["extensions"],
                row["finished_on"]),
        statutory_working_days=row["statutory_working_days"], staff_id=row["staff_id"],
        cards_issued=frozenset(colours),
    )


def _clock_values(clock: SupervisedClock) -> dict[str, Any]:
    ledger = clock.ledger
    return {
        "clock_id": clock.clock_id, "case_id": clock.case_id, "task_id": clock.task_id, "attempt": clock.attempt,
        "item_code": clock.item_code, "kind": clock.kind, "department": clock.department,
        "limit_working_days": clock.limit_working_days, "statutory_working_days": clock.statutory_working_days,
        "started_at": clock.started_at, "started_on": clock.started_on, "due_on": clock.due_on,
        "finished_on": ledger.finished_on, "staff_id": clock.staff_id,
        # the ledger (计时台账), fresh lists of fresh dicts
        "suspensions": [{"since": s.since.isoformat(), "until": s.until.isoformat() if s.until else None,
                         "reason_zh": s.reason_zh} for s in ledger.suspensions],
        "extensions": [{"days": e.days, "reason_zh": e.reason_zh, "approver": e.approver} for e in ledger.extensions],
    }


class SqlClocks:
    """Clocks, one transaction's worth, each with the colours of the cards it has earned."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._clocks = TableRows(uow, SupervisionClock)
        self._cards = TableRows(uow, SupervisionCard)
        self._loaded: dict[str, SupervisedClock] = {}

    async def exists(self, clock_id: str) -> bool:
        return clock_id in self._loaded or await self._clocks.exists(clock_id)

    async def open_ids(self) -> list[str]:
        """Every clock still running or suspended (the scan visits each in a transaction of its own)."""
        return await self._clocks.values_of("clock_id", self._clocks.column("finished_on").is_(None))

    async def get_for_update(self, clock_id: str) -> SupervisedClock | None:
        """The clock, locked: the scan, a supervisor's extension and the case stream take turns on it."""
        if (clock := self._loaded.get(clock_id)) is not None:
            return clock
        row = await self._clocks.get(clock_id, for_update=True)
        if row is None:
            return None
        colours = await self._cards.values_of("colour", clock_id=clock_id)
        clock = self._loaded[clock_id] = _clock(row, colours)
        return clock

    def add(self, clock: SupervisedClock) -> None:
        self._loaded[clock.clock_id] = clock

    @property
    def seen(self) -> list[SupervisedClock]:
        return list(self._loaded.values())

    async def save(self) -> None:
        """Write every clock this transaction loaded or added back to its row (only the columns that changed)."""
        await self._clocks.save_all(_clock_values(clock) for clock in self._loaded.values())


def _item(raw: dict[str, Any]) -> ItemProgress:
    return ItemProgress(raw["item_code"], raw["department"], tuple(raw["requires"]), raw["limit_days"], raw["status"],
                        date.fromisoformat(raw["concluded_on"]) if raw.get("concluded_on") else None)


def _case(row: dict[str, Any]) -> SupervisedCase:
    return SupervisedCase(row["case_id"], row["bundle_code"], row["lead_department"], row["applicant_id"],
                          row["window_id"], row["staff_id"], row["accepted_on"], [_item(i) for i in row["items"]],
                          row["delivered_on"])


def _case_values(case: SupervisedCase) -> dict[str, Any]:
    return {
        "case_id": case.case_id, "bundle_code": case.bundle_code, "lead_department": case.lead_department,
        "applicant_id": case.applicant_ref, "window_id": case.window_id, "staff_id": case.staff_id,
        "accepted_on": case.accepted_on, "delivered_on": case.delivered_on,
        "items": [{"item_code": i.item_code, "department": i.department, "requires": list(i.requires),
                   "limit_days": i.limit_days, "status": i.status,
                   "concluded_on": i.concluded_on.isoformat() if i.concluded_on else None} for i in case.items],
    }


class SqlCases:
    """Cases, one transaction's worth."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._rows = TableRows(uow, SupervisionCase)
        self._loaded: Aggregates[SupervisedCase] = Aggregates()

    async def exists(self, case_id: str) -> bool:
        return case_id in self._loaded or await self._rows.exists(case_id)

    async def get(self, case_id: str) -> SupervisedCase | None:
        """The case as it stands (read only: not written back unless loaded for update)."""
        if (case := self._loaded.get(case_id)) is not None:
            return case
        row = await self._rows.get(case_id)
        return None if row is None else _case(row)

    async def get_for_update(self, case_id: str) -> SupervisedCase | None:
        return await self._loaded.get_or_load(case_id, lambda: self._rows.get(case_id, for_update=True), _case)

    async def open_of_applicant(self, applicant_ref: str) -> list[SupervisedCase]:
        """The applicant's cases not yet delivered (read only)."""
        return [_case(row) for row in await self._rows.where(self._rows.column("delivered_on").is_(None),
                                                             applicant_id=applicant_ref)]

    def add(self, case: SupervisedCase) -> None:
        self._loaded.add(case.case_id, case)

    async def save(self) -> None:
        """Write every case this transaction loaded for update or added back to its row."""
        await self._rows.save_all(_case_values(case) for case in self._loaded.all)


class SqlCards:
    """Cards issued in this transaction, with the orders they carry (督办单)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._cards = TableRows(uow, SupervisionCard)
        self._orders = TableRows(uow, SupervisionOrder)
        self.added: list[Card] = []

    async def exists(self, about: str, colour: str) -> bool:
        if any(c.about == about and c.colour == colour for c in self.added):
            return True
        return bool(await self._cards.values_of("card_id", clock_id=about, colour=colour))

    def add(self, card: Card) -> None:
        self.added.append(card)

    async def save(self) -> None:
        """Insert the cards, then the orders they carry."""
        await self._cards.save_all({
            "card_id": card.card_id, "clock_id": card.about, "case_id": card.case_id, "item_code": card.item_code,
            "department": card.department, "staff_id": card.staff_id, "colour": card.colour, "reason": card.reason,
            "due_on": card.due_on, "issued_on": card.issued_on, "text_zh": card.text_zh,
        } for card in self.added)
        await self._orders.save_all({
            "order_id": order_id_for(card.card_id), "kind": order.kind, "card_id": card.card_id,
            "case_id": card.case_id, "item_code": card.item_code, "department": card.department,
            "respond_by": order.respond_by, "issued_on": card.issued_on, "text_zh": order.text_zh,
        } for card in self.added if (order := card.order) is not None)


class SqlFlags:
    """Repetitions flagged in this transaction."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._rows = TableRows(uow, SupervisionFlag)
        self.added: list[Flag] = []

    def add(self, flag: Flag) -> None:
        self.added.append(flag)

    async def save(self) -> None:
        await self._rows.save_all({
            "flag_id": flag.flag_id, "case_id": flag.case_id, "kind": flag.kind, "item_codes": list(flag.item_codes),
            "other_case_id": flag.other_case_id, "department": flag.department,
            "material_code": flag.material_code, "flagged_on": flag.flagged_on, "text_zh": flag.text_zh,
        } for flag in self.added)


_AUDIT: Table = table_of(SupervisionAudit)


class SqlAuditTrail:
    """全程留痕 (SUP-06): each case-stream fact once, with its time, actor (the signing producer) and the sha256 of
    the signed envelope as evidence."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def record(self, envelope: Envelope, item_code: str | None) -> None:
        """Written with the other entries of the transaction (a poll's facts) just before its commit (nothing reads
        the trail back meanwhile); a fact recorded before (a redelivery) is left as it is."""
        self._uow.insert_later(_AUDIT, {
            "event_id": str(envelope.id), "case_id": envelope.subject, "at": envelope.time,
            "event_type": envelope.type, "actor": envelope.source, "item_code": item_code,
            "evidence_sha256": envelope.signed_sha256(),  # the bytes its producer signed
        })
