"""The gateway's repositories (仓储): the departments' queued requests, each department's queue cursor and the
refusal notices kept for them. The only SQL of the gateway's write side."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import or_

from contracts.department.v1 import RequestKind
from exchange.db.identity import Aggregates
from exchange.db.rows import TableRows
from exchange.db.statements import insert_rows, run
from exchange.db.tables import table_of
from exchange.db.unit_of_work import UnitOfWork
from gateway.adapters.tables import DepartmentCursorRow, NoticeRow, RequestRow
from gateway.domain.model import QueuedRequest, RefusalNotice
from gateway.domain.requests import Delivery

__all__ = ["SqlNotices", "SqlQueueCursors", "SqlRequests"]


def _request(row: dict[str, Any]) -> QueuedRequest:
    return QueuedRequest(
        row["request_id"], row["department"], row["seq"], RequestKind(row["kind"]), row["case_id"],
        row["item_code"], dict(row["envelope"]), row["received_at"], row["receipt_event_id"],
        Delivery(row["delivery"]), row["delivery_attempts"], row["next_delivery_at"], row["last_delivery_error"],
        row["delivered_at"], row["answer"], row["answer_event_id"], row["answered_at"])


def _request_values(request: QueuedRequest) -> dict[str, Any]:
    return {
        "request_id": request.request_id, "department": request.department, "seq": request.seq,
        "kind": request.kind.value, "case_id": request.case_id, "item_code": request.item_code,
        "envelope": request.envelope, "received_at": request.received_at,
        "receipt_event_id": request.receipt_event_id, "delivery": request.delivery.value,
        "delivery_attempts": request.delivery_attempts, "next_delivery_at": request.next_delivery_at,
        "last_delivery_error": request.last_delivery_error, "delivered_at": request.delivered_at,
        "answer": request.answer, "answer_event_id": request.answer_event_id, "answered_at": request.answered_at,
    }


class SqlRequests:
    """Queued requests, one transaction's worth, each locked when loaded (an answer, an acknowledgement, a callback
    attempt and a re-drive take turns). SQLAlchemy Core through ``exchange.db.rows``."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._rows = TableRows(uow, RequestRow)
        self._loaded: Aggregates[QueuedRequest] = Aggregates()

    async def get(self, request_id: str) -> QueuedRequest | None:
        return await self._loaded.get_or_load(request_id, lambda: self._rows.get(request_id, for_update=True),
                                              _request)

    async def due_for_callback(self, departments: Collection[str], now: datetime, limit: int) -> list[QueuedRequest]:
        """Unanswered requests of ``departments`` whose callback delivery is due at ``now``, oldest first: as they
        stand, read only (neither locked nor written back; an attempt loads its request again with :meth:`get`)."""
        c = self._rows.column
        rows = await self._rows.where(
            c("department").in_(list(departments)), c("answered_at").is_(None),
            or_(c("next_delivery_at").is_(None), c("next_delivery_at") <= now),
            delivery=Delivery.PENDING.value, order_by=("seq",), limit=limit)
        return [_request(row) for row in rows]

    def add(self, request: QueuedRequest) -> None:
        self._loaded.add(request.request_id, request)

    @property
    def seen(self) -> list[QueuedRequest]:
        return self._loaded.all

    async def save(self) -> None:
        """Write every request back: only the columns that changed, or the whole row of a new one."""
        await self._rows.save_all(_request_values(request) for request in self._loaded.all)


class SqlQueueCursors:
    """Each department's next queue position."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._rows = TableRows(uow, DepartmentCursorRow)

    async def take(self, department: str) -> int:
        return await self._rows.take_next(department, "next_seq", first=1)  # racing requests take turns


class SqlNotices:
    """Refusal notices kept for the departments to read: append only, with a key the database gives (one plain
    ``INSERT`` when the unit of work publishes)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._added: list[dict[str, Any]] = []

    def add(self, notice: RefusalNotice) -> None:
        self._added.append({"event_id": notice.event_id, "department": notice.department, "case_id": notice.case_id,
                            "notice": notice.notice, "received_at": notice.received_at})

    async def save(self) -> None:
        if self._added:
            rows, self._added = self._added, []
            connection = await self._uow.connection()
            await run(connection, insert_rows(table_of(NoticeRow)), rows)
