"""回调推送: each new request is POSTed to its department's callback URL, signed by the gateway; a failure is retried
with exponential back-off, and after the last attempt the delivery is parked (undeliverable) until re-driven.

Delivery is at least once: a department dedupes by ``request_id``. Polling works whatever happens here. The job
opens its own transactions (``work``): one to read what is due, then one per attempt to record it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx

from exchange.db.service_work import Opener
from exchange.http_identity import async_signing_hook
from exchange.signing import Signer
from gateway.adapters.requests_json import as_json
from gateway.domain.model import QueuedRequest
from gateway.domain.requests import Delivery, DeliveryPolicy
from gateway.service_layer.unit_of_work import GatewayUnitOfWork

__all__ = ["CALLBACK_PURPOSE", "CallbackDelivery"]

logger = logging.getLogger(__name__)

CALLBACK_PURPOSE = "推送部门请求 / deliver a request to its department"


class CallbackDelivery:
    """The background job that pushes requests to the departments that registered a callback URL."""

    name = "callback delivery"

    def __init__(self, work: Opener[GatewayUnitOfWork], callbacks: Mapping[str, str], policy: DeliveryPolicy,
                 signer: Signer, *, timeout_s: float, poll_s: float, batch_size: int = 50) -> None:
        self.work = work
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
        async with self.work() as uow:
            due = await uow.requests.due_for_callback(list(self.callbacks), now, self.batch_size)
        await asyncio.gather(*(self._deliver(request, now) for request in due))
        return len(due)

    async def _deliver(self, due: QueuedRequest, now: datetime) -> None:
        url = self.callbacks[due.department]
        error: str | None = None
        try:
            response = await self.http.post(url, content=json.dumps(as_json(due), ensure_ascii=False).encode(),
                                            headers={"Content-Type": "application/json"})
            if not response.is_success:
                error = f"HTTP {response.status_code}: {response.text[:500]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
        await self._record(due, error, now)

    async def _record(self, tried: QueuedRequest, error: str | None, now: datetime) -> None:
        """Note the attempt, unless the request changed meanwhile (answered, acknowledged or re-driven)."""
        async with self.work() as uow:
            request = await uow.requests.get(tried.request_id)
            if request is None or not request.still_due(tried.delivery_attempts):
                return
            request.delivery_tried(error, self.policy, now)
            if request.delivery is Delivery.UNDELIVERABLE:  # supervision cards the department (the case stream)
                logger.warning("request %s parked: %d callback attempts to %s failed, last: %s",
                               request.request_id, request.delivery_attempts, self.callbacks[request.department],
                               error)
