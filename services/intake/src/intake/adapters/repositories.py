"""Intake's repository of cases as the case stream moves them (仓储): the case row with its items, open correction
and delivery, and the timeline entries the case notes. Acceptance, corrections and drafts still write their rows in
``service_layer`` (issue 15 moves them here next)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from contracts.dispatch.v1 import Deficiency
from exchange.db.identity import Loaded
from exchange.db.unit_of_work import UnitOfWork
from intake.adapters.tables import IntakeCase, IntakeTimeline
from intake.domain.case import CaseState
from intake.domain.model import Case, Noted, OpenCorrection

__all__ = ["SqlCases"]


class SqlCases:
    """Cases, one transaction's worth, each locked when loaded (facts of one case arrive on one partition, but a
    correction or a delivery view may write it at once)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._loaded: Loaded[Case, IntakeCase] = Loaded()

    async def get_for_update(self, case_id: str) -> Case | None:
        if (case := self._loaded.get(case_id)) is not None:
            return case
        row = await self._uow.get_for_update(IntakeCase, case_id)
        if row is None:
            return None
        correction = None if row.correction is None else OpenCorrection(
            row.correction["round"], date.fromisoformat(row.correction["requested_on"]),
            tuple(Deficiency.model_validate(d) for d in row.correction["deficiencies"]))
        return self._loaded.keep(case_id, Case(
            row.case_id, row.bundle_code, row.catalogue_version, row.channel, row.delivery_method,
            row.correction_round, correction,
            CaseState.from_rows(row.case_id, row.items, row.delivered_at is not None, row.correction is not None),
            row.delivered_at, row.notice_zh, row.notice_en), row)

    @property
    def seen(self) -> list[Case]:
        return self._loaded.aggregates

    def save(self) -> None:
        """Write every case back, and each step it noted to its timeline."""
        session, cause = self._uow.session, self._uow.cause
        for case, row in self._loaded:
            row.items, row.status = case.state.item_rows(), case.state.status
            c = case.correction
            row.correction = None if c is None else {
                "round": c.round, "requested_on": c.requested_on.isoformat(),
                "deficiencies": [d.model_dump(mode="json") for d in c.deficiencies]}
            row.delivered_at, row.notice_zh, row.notice_en = case.delivered_at, case.notice_zh, case.notice_en
            session.add(row)
            for event in case.recorded:
                if isinstance(event, Noted):
                    session.add(IntakeTimeline(
                        case_id=case.case_id, at=datetime.now(UTC), kind=event.kind, item_code=event.item_code,
                        department=event.department, text_zh=event.text_zh, text_en=event.text_en,
                        event_id=str(cause.id) if cause else None))
