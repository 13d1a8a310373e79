"""Refusal notices a department reads (拒收通知), kept as dispatch signed them."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.dispatch.v1 import AnswerRefused
from contracts.envelope import Envelope
from exchange.db.unit_of_work import UnitOfWork
from gateway.adapters.tables import NoticeRow

__all__ = ["keep_notice"]


def keep_notice(uow: UnitOfWork, envelope: Envelope, payload: AnswerRefused) -> None:
    uow.session.add(NoticeRow(event_id=str(envelope.id), department=payload.department, case_id=payload.case_id,
                              notice=payload.model_dump(mode="json"), received_at=datetime.now(UTC)))
