"""Department answer deadlines at work (应答时限): the background job that re-sends unreceipted requests and parks
them (and, after the broker lost its data, re-sends once what was receipted but not answered), and the operator's
re-drive. The rules are in :mod:`dispatch.domain.deadlines`; this module only reads,
writes and sends.

A re-send is the very envelope sent first (same id, same payload), marked unpublished in dispatch's outbox so the
relay sends it again; the department's answer carries the same request id, and the inbox keeps one of each
receipt and answer. Each request is handled in its own transaction under a row lock, so two jobs (two dispatch
instances) or the job and a receipt arriving at once take turns, and parking announces
``dispatch.request.undeliverable`` once per parking.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from uuid import UUID

from dispatch.domain.deadlines import DeadlinePolicy, NextStep, RequestState
from dispatch.domain.errors import UnknownRequest
from dispatch.domain.requests import DepartmentRequest
from dispatch.service_layer.unit_of_work import DispatchUnitOfWork, dispatch_work
from exchange.db.database import Database
from exchange.db.service_work import Opener
from exchange.periodic import PeriodicJob

__all__ = ["AnswerDeadlines", "DeadlineRound", "after_broker_loss", "deadline_round", "redrive"]

logger = logging.getLogger(__name__)


@dataclass
class DeadlineRound:
    resent: int = 0
    parked: int = 0


async def _send_again(uow: DispatchUnitOfWork, request: DepartmentRequest, now: datetime) -> bool:
    """Send the request again; False when its outbox row is gone (nothing to repeat)."""
    if not await uow.send_again(UUID(request.request_id)):
        logger.error("request %s to %s cannot be sent again: its outbox row is gone", request.request_id,
                     request.department)
        return False
    request.resent(now)
    return True


async def deadline_round(work: Opener[DispatchUnitOfWork], policy: DeadlinePolicy, now: datetime) -> DeadlineRound:
    """Re-send or park each request whose wait for a receipt ran out, each in a transaction of its own."""
    done = DeadlineRound()
    waited_enough = now - policy.interval(0)  # no send is due sooner than this
    async with work() as uow:
        due = await uow.requests.open_sent_before(waited_enough)
    for request_id in due:
        async with work() as uow:
            request = await uow.requests.get_for_update(request_id)
            if request is None:
                continue
            step = request.next_step(now, policy)
            if step in (NextStep.RESEND, NextStep.PARK) and await uow.unsent(UUID(request.request_id)):
                # The last send is still in the outbox (the relay is behind, or the broker is down).
                request.wait_again(now)
            elif step is NextStep.RESEND and await _send_again(uow, request, now):
                done.resent += 1
                logger.warning("request %s to %s unreceipted: sent again (%d)", request.request_id,
                               request.department, request.sends)
            elif step is NextStep.PARK:
                request.park(now)
                done.parked += 1
                logger.error("request %s to %s parked as undeliverable after %d sends", request.request_id,
                             request.department, request.sends)
    return done


async def after_broker_loss(work: Opener[DispatchUnitOfWork], now: datetime) -> int:
    """代理数据丢失之后: send again, once, every request its department receipted and has not answered. The answer
    may have been on its way when the broker lost its data (a department's answer has no outbox here to send it
    again), and a receipted request is otherwise never re-sent; a department answers a repeated request under the
    same ids, and the inbox keeps one. Returns how many were sent again."""
    async with work() as uow:
        waiting = await uow.requests.receipted_unanswered()
    resent = 0
    for request_id in waiting:
        async with work() as uow:
            request = await uow.requests.get_for_update(request_id)
            if request is None or request.state is not RequestState.RECEIVED or await uow.unsent(UUID(request_id)):
                continue  # answered meanwhile, or its send still waits in the outbox
            if await _send_again(uow, request, now):
                resent += 1
    return resent


class AnswerDeadlines(PeriodicJob):
    """The deadline job (a background job of the dispatch process): every ``interval_s``, a :func:`deadline_round`
    in dispatch's own transactions; after :meth:`broker_lost`, first :func:`after_broker_loss`."""

    def __init__(self, database: Database, policy: DeadlinePolicy,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), interval_s: float | None = None) -> None:
        super().__init__("dispatch answer deadlines", self.run_once,
                         interval_s if interval_s is not None else min(policy.timeout_s / 3, 5.0))
        self.database = database
        self.policy = policy
        self.clock = clock
        self._broker_lost = False

    def broker_lost(self) -> None:
        """Called by :mod:`exchange.recovery` on a new broker epoch, while dispatch runs or as it starts: the next
        round first sends again what was receipted and not answered."""
        self._broker_lost = True

    async def run_once(self) -> DeadlineRound:
        work = partial(dispatch_work, self.database)
        resent = 0
        if self._broker_lost:
            self._broker_lost = False
            resent = await after_broker_loss(work, self.clock())
            if resent:
                logger.warning("the broker lost its data: %d receipted requests not yet answered sent again", resent)
        done = await deadline_round(work, self.policy, self.clock())
        done.resent += resent
        if done.resent:
            self.database.outbox_written.set()  # the relay sends the re-sends at once
        return done


async def redrive(uow: DispatchUnitOfWork, request_id: str, now: datetime) -> DepartmentRequest:
    """人工重发: send the request again now, under the same request id, its deadline and re-send count started
    afresh. Raises :class:`~dispatch.domain.errors.UnknownRequest` or ``RedriveRefused``."""
    request = await uow.requests.get_for_update(request_id)
    if request is None:
        raise UnknownRequest(request_id)
    request.redrive(now)
    await uow.send_again(UUID(request.request_id))  # False: the first send is still waiting, and will go
    logger.warning("request %s to %s re-driven by an operator", request.request_id, request.department)
    return request
