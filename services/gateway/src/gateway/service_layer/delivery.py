"""回调推送: each new request is POSTed to its department's callback URL, signed by the gateway; a failure is retried
with exponential back-off, and after the last attempt the delivery is parked (undeliverable) until re-driven.

Delivery is at least once: a department dedupes by ``request_id``. Polling works whatever happens here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from uuid import UUID

import httpx
from sqlalchemy import or_
from sqlmodel import col, select

from contracts.gateway.v1 import CallbackParked, callback_parked_event_id
from exchange.db.database import Database
from exchange.http_identity import async_signing_hook
from exchange.signing import Signer
from gateway.adapters.tables import RequestRow
from gateway.domain.requests import Delivery, DeliveryPolicy, after_failed_delivery
from gateway.service_layer.queue import as_json

__all__ = ["CALLBACK_PURPOSE", "CallbackDelivery"]

logger = logging.getLogger(__name__)

CALLBACK_PURPOSE = "推送部门请求 / deliver a request to its department"


class CallbackDelivery:
    """The background job that pushes requests to the departments that registered a callback URL."""

    name = "callback delivery"

    def __init__(self, database: Database, callbacks: Mapping[str, str], policy: DeliveryPolicy, signer: Signer, *,
                 timeout_s: float, poll_s: float, batch_size: int = 50) -> None:
        self.database = database
        self.callbacks = dict(callbacks)
        self.policy = policy
        self.poll_s = poll_s
        self.batch_size = batch_size
        self.http = httpx.AsyncClient(timeout=timeout_s,
                                      event_hooks={"request": [async_signing_hook(signer, CALLBACK_PURPOSE)]})
        self._stopping = asyncio.Event()
        self._failing = False

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    await self.deliver_due()
                    if self._failing:
                        logger.info("callback delivery works again")
                    self._failing = False
                except Exception:  # the database is down, say: wait it out, never stop the gateway for it
                    if not self._failing:
                        logger.warning("callback delivery cannot read its queue; retrying", exc_info=True)
                    self._failing = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.poll_s)
        finally:
            await self.http.aclose()

    async def deliver_due(self, now: datetime | None = None) -> int:
        """One round: every delivery due now is attempted once; returns how many were attempted."""
        if not self.callbacks:
            return 0
        now = now or datetime.now(UTC)
        query = (
            select(RequestRow)
            .where(col(RequestRow.department).in_(list(self.callbacks)), col(RequestRow.answered_at).is_(None),
                   col(RequestRow.delivery) == Delivery.PENDING.value,
                   or_(col(RequestRow.next_delivery_at).is_(None), col(RequestRow.next_delivery_at) <= now))
            .order_by(col(RequestRow.seq))
            .limit(self.batch_size)
        )
        async with self.database.sessions() as session:
            due = (await session.exec(query)).all()
        await asyncio.gather(*(self._deliver(row, now) for row in due))
        return len(due)

    async def _deliver(self, row: RequestRow, now: datetime) -> None:
        url = self.callbacks[row.department]
        error: str | None = None
        try:
            response = await self.http.post(url, content=json.dumps(as_json(row), ensure_ascii=False).encode(),
                                            headers={"Content-Type": "application/json"})
            if not response.is_success:
                error = f"HTTP {response.status_code}: {response.text[:500]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
        await self._record(row, error, now)

    async def _record(self, tried: RequestRow, error: str | None, now: datetime) -> None:
        """Note the attempt, unless the request changed meanwhile (answered, acknowledged or re-driven)."""
        async with self.database.unit_of_work() as uow:
            row = await uow.get_for_update(RequestRow, tried.request_id)
            if (row is None or row.answered_at is not None or row.delivery != Delivery.PENDING
                    or row.delivery_attempts != tried.delivery_attempts):
                return
            row.delivery_attempts += 1
            if error is None:
                row.delivery, row.delivered_at, row.next_delivery_at = Delivery.DELIVERED, now, None
                row.last_delivery_error = None
            else:
                row.last_delivery_error = error
                state, row.next_delivery_at = after_failed_delivery(self.policy, row.delivery_attempts, now)
                row.delivery = state.value
                if state is Delivery.UNDELIVERABLE:
                    logger.warning("request %s parked: %d callback attempts to %s failed, last: %s",
                                   row.request_id, row.delivery_attempts, self.callbacks[row.department], error)
                    uow.emit(CallbackParked(  # supervision cards the department (the case stream)
                        request_id=UUID(row.request_id), case_id=row.case_id, item_code=row.item_code,
                        department=row.department, kind="review" if row.kind == "review" else "handling",
                        attempts=row.delivery_attempts, parked_at=now,
                    ), subject=row.case_id, event_id=callback_parked_event_id(row.request_id, now.isoformat()))
            uow.session.add(row)
