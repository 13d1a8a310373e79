"""The gateway's repositories (仓储): the departments' queued requests, each department's queue cursor and the
refusal notices kept for them. The only SQL of the gateway's write side."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import col, select

from contracts.department.v1 import RequestKind
from exchange.db.identity import Loaded
from exchange.db.unit_of_work import UnitOfWork
from gateway.adapters.tables import DepartmentCursorRow, NoticeRow, RequestRow
from gateway.domain.model import QueuedRequest, RefusalNotice
from gateway.domain.requests import Delivery

__all__ = ["SqlNotices", "SqlQueueCursors", "SqlRequests"]


def _request(row: RequestRow) -> QueuedRequest:
    return QueuedRequest(
        row.request_id, row.department, row.seq, RequestKind(row.kind), row.case_id, row.item_code,
        dict(row.envelope), row.received_at, row.receipt_event_id, Delivery(row.delivery), row.delivery_attempts,
        row.next_delivery_at, row.last_delivery_error, row.delivered_at, row.answer, row.answer_event_id,
        row.answered_at)


class SqlRequests:
    """Queued requests, one transaction's worth, each locked when loaded (an answer, an acknowledgement, a callback
    attempt and a re-drive take turns)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._loaded: Loaded[QueuedRequest, RequestRow] = Loaded()

    async def get(self, request_id: str) -> QueuedRequest | None:
        return await self._loaded.get_or_load(request_id, lambda: self._uow.get_for_update(RequestRow, request_id),
                                              _request)

    async def due_for_callback(self, departments: Collection[str], now: datetime, limit: int) -> list[QueuedRequest]:
        """Unanswered requests of ``departments`` whose callback delivery is due at ``now``, oldest first: as they
        stand, read only (neither locked nor written back; an attempt loads its request again with :meth:`get`)."""
        query = (
            select(RequestRow)
            .where(col(RequestRow.department).in_(list(departments)), col(RequestRow.answered_at).is_(None),
                   col(RequestRow.delivery) == Delivery.PENDING.value,
                   or_(col(RequestRow.next_delivery_at).is_(None), col(RequestRow.next_delivery_at) <= now))
            .order_by(col(RequestRow.seq))
            .limit(limit)
        )
        return [_request(row) for row in (await self._uow.session.exec(query)).all()]

    def add(self, request: QueuedRequest) -> None:
        row = RequestRow(request_id=request.request_id, department=request.department, seq=request.seq,
                         kind=request.kind.value, case_id=request.case_id, item_code=request.item_code,
                         envelope=request.envelope, received_at=request.received_at,
                         receipt_event_id=request.receipt_event_id, delivery=request.delivery.value)
        self._loaded.keep(request.request_id, request, row)

    @property
    def seen(self) -> list[QueuedRequest]:
        return self._loaded.aggregates

    def save(self) -> None:
        for request, row in self._loaded:
            row.delivery, row.delivery_attempts = request.delivery.value, request.delivery_attempts
            row.next_delivery_at, row.last_delivery_error = request.next_delivery_at, request.last_delivery_error
            row.delivered_at = request.delivered_at
            row.answer, row.answer_event_id, row.answered_at = request.answer, request.answer_event_id, \
                request.answered_at
            self._uow.session.add(row)


class SqlQueueCursors:
    """Each department's next queue position."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def take(self, department: str) -> int:
        cursor = await self._uow.get_or_create_for_update(DepartmentCursorRow, {"code": department}, next_seq=1)
        seq, cursor.next_seq = cursor.next_seq, cursor.next_seq + 1
        self._uow.session.add(cursor)
        return seq


class SqlNotices:
    """Refusal notices kept for the departments to read."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def add(self, notice: RefusalNotice) -> None:
        self._uow.session.add(NoticeRow(event_id=notice.event_id, department=notice.department,
                                        case_id=notice.case_id, notice=notice.notice, received_at=notice.received_at))
