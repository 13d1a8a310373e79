"""Supervision's repositories (仓储): clocks with their ledgers and cards, cases, cards, flags and the audit trail.
The only SQL of supervision's write side; rows never leave this module."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlmodel import col, select

from contracts.envelope import Envelope, canonical_bytes
from exchange.db.identity import Loaded
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
    """The clock row's ledger (计时台账, stored as JSON beside it) as the pure clock."""
    return Clock(
        started_on=row.started_on,
        budget_days=row.limit_working_days,
        suspensions=tuple(
            Suspension(date.fromisoformat(s["since"]), date.fromisoformat(s["until"]) if s["until"] else None,
                       s["reason_zh"])
            for s in row.suspensions
        ),
        extensions=tuple(Extension(e["days"], e["reason_zh"], e["approver"]) for e in row.extensions),
        finished_on=row.finished_on,
    )


def _store_ledger(row: SupervisionClock, clock: Clock) -> None:
    row.suspensions = [{"since": s.since.isoformat(), "until": s.until.isoformat() if s.until else None,
                        "reason_zh": s.reason_zh} for s in clock.suspensions]
    row.extensions = [{"days": e.days, "reason_zh": e.reason_zh, "approver": e.approver} for e in clock.extensions]
    row.finished_on = clock.finished_on


class SqlClocks:
    """Clocks, one transaction's worth, each with the colours of the cards it has earned."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._loaded: Loaded[SupervisedClock, SupervisionClock] = Loaded()

    async def exists(self, clock_id: str) -> bool:
        return clock_id in self._loaded or await self._uow.session.get(SupervisionClock, clock_id) is not None

    async def open_ids(self) -> list[str]:
        """Every clock still running or suspended (the scan visits each in a transaction of its own)."""
        return list((await self._uow.session.exec(
            select(SupervisionClock.clock_id).where(col(SupervisionClock.finished_on).is_(None)))).all())

    async def get_for_update(self, clock_id: str) -> SupervisedClock | None:
        """The clock, locked: the scan, a supervisor's extension and the case stream take turns on it."""
        if (clock := self._loaded.get(clock_id)) is not None:
            return clock
        row = await self._uow.get_for_update(SupervisionClock, clock_id)
        if row is None:
            return None
        colours = (await self._uow.session.exec(
            select(SupervisionCard.colour).where(col(SupervisionCard.clock_id) == clock_id))).all()
        return self._loaded.keep(clock_id, SupervisedClock(
            row.clock_id, row.case_id, row.task_id, row.attempt, row.item_code, row.kind, row.department,
            row.limit_working_days, row.started_at, row.due_on, ledger_of(row),
            statutory_working_days=row.statutory_working_days, staff_id=row.staff_id, cards_issued=frozenset(colours),
        ), row)

    def add(self, clock: SupervisedClock) -> None:
        self._loaded.keep(clock.clock_id, clock, SupervisionClock(
            clock_id=clock.clock_id, case_id=clock.case_id, task_id=clock.task_id, attempt=clock.attempt,
            item_code=clock.item_code, kind=clock.kind, department=clock.department,
            limit_working_days=clock.limit_working_days, statutory_working_days=clock.statutory_working_days,
            started_at=clock.started_at, started_on=clock.started_on, due_on=clock.due_on, staff_id=clock.staff_id))

    @property
    def seen(self) -> list[SupervisedClock]:
        return self._loaded.aggregates

    def save(self) -> None:
        for clock, row in self._loaded:
            _store_ledger(row, clock.ledger)
            row.due_on = clock.due_on
            self._uow.session.add(row)


def _item(raw: dict[str, Any]) -> ItemProgress:
    return ItemProgress(raw["item_code"], raw["department"], tuple(raw["requires"]), raw["limit_days"], raw["status"],
                        date.fromisoformat(raw["concluded_on"]) if raw.get("concluded_on") else None)


def _case(row: SupervisionCase) -> SupervisedCase:
    return SupervisedCase(row.case_id, row.bundle_code, row.lead_department, row.applicant_id, row.window_id,
                          row.staff_id, row.accepted_on, [_item(i) for i in row.items], row.delivered_on)


class SqlCases:
    """Cases, one transaction's worth."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._loaded: Loaded[SupervisedCase, SupervisionCase] = Loaded()

    async def exists(self, case_id: str) -> bool:
        return case_id in self._loaded or await self._uow.session.get(SupervisionCase, case_id) is not None

    async def get(self, case_id: str) -> SupervisedCase | None:
        """The case as it stands (read only: not written back unless loaded for update)."""
        if (case := self._loaded.get(case_id)) is not None:
            return case
        row = await self._uow.session.get(SupervisionCase, case_id)
        return None if row is None else _case(row)

    async def get_for_update(self, case_id: str) -> SupervisedCase | None:
        return await self._loaded.get_or_load(case_id, lambda: self._uow.get_for_update(SupervisionCase, case_id),
                                              _case)

    async def open_of_applicant(self, applicant_ref: str) -> list[SupervisedCase]:
        """The applicant's cases not yet delivered (read only)."""
        rows = (await self._uow.session.exec(select(SupervisionCase).where(
            col(SupervisionCase.applicant_id) == applicant_ref, col(SupervisionCase.delivered_on).is_(None)))).all()
        return [_case(row) for row in rows]

    def add(self, case: SupervisedCase) -> None:
        self._loaded.keep(case.case_id, case, SupervisionCase(
            case_id=case.case_id, bundle_code=case.bundle_code, lead_department=case.lead_department,
            applicant_id=case.applicant_ref, window_id=case.window_id, staff_id=case.staff_id,
            accepted_on=case.accepted_on, items=[]))

    def save(self) -> None:
        for case, row in self._loaded:
            row.items = [{"item_code": i.item_code, "department": i.department, "requires": list(i.requires),
                          "limit_days": i.limit_days, "status": i.status,
                          "concluded_on": i.concluded_on.isoformat() if i.concluded_on else None} for i in case.items]
            row.delivered_on = case.delivered_on
            self._uow.session.add(row)


class SqlCards:
    """Cards issued in this transaction, with the orders they carry."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.added: list[Card] = []

    async def exists(self, about: str, colour: str) -> bool:
        if any(c.about == about and c.colour == colour for c in self.added):
            return True
        found = await self._uow.session.exec(select(SupervisionCard.card_id).where(
            col(SupervisionCard.clock_id) == about, col(SupervisionCard.colour) == colour))
        return found.first() is not None

    def add(self, card: Card) -> None:
        self.added.append(card)

    def save(self) -> None:
        for card in self.added:
            card_id = card.card_id
            self._uow.session.add(SupervisionCard(
                card_id=card_id, clock_id=card.about, case_id=card.case_id, item_code=card.item_code,
                department=card.department, staff_id=card.staff_id, colour=card.colour, reason=card.reason,
                due_on=card.due_on, issued_on=card.issued_on, text_zh=card.text_zh))
            if (order := card.order) is not None:
                self._uow.session.add(SupervisionOrder(
                    order_id=order_id_for(card_id), kind=order.kind, card_id=card_id, case_id=card.case_id,
                    item_code=card.item_code, department=card.department, respond_by=order.respond_by,
                    issued_on=card.issued_on, text_zh=order.text_zh))


class SqlFlags:
    """Repetitions flagged in this transaction."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.added: list[Flag] = []

    def add(self, flag: Flag) -> None:
        self.added.append(flag)

    def save(self) -> None:
        for flag in self.added:
            self._uow.session.add(SupervisionFlag(
                flag_id=flag.flag_id, case_id=flag.case_id, kind=flag.kind, item_codes=list(flag.item_codes),
                other_case_id=flag.other_case_id, department=flag.department, material_code=flag.material_code,
                flagged_on=flag.flagged_on, text_zh=flag.text_zh))


class SqlAuditTrail:
    """全程留痕 (SUP-06): each case-stream fact once, with its time, actor (the signing producer) and the sha256 of
    the signed envelope as evidence."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def record(self, envelope: Envelope, item_code: str | None) -> None:
        if await self._uow.session.get(SupervisionAudit, str(envelope.id)) is not None:
            return
        wire = envelope.to_wire()  # as the producer serialised and signed it
        self._uow.session.add(SupervisionAudit(
            event_id=str(envelope.id), case_id=envelope.subject, at=envelope.time, event_type=envelope.type,
            actor=envelope.source, item_code=item_code, evidence_sha256=hashlib.sha256(canonical_bytes(wire)).hexdigest()))
