"""Department answer deadlines at work (应答时限): the background job that re-sends unreceipted requests and parks
them, and the operator's re-drive. The rules are in :mod:`dispatch.domain.deadlines`; this module only reads,
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
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlmodel import col, select

from contracts.dispatch.v1 import RequestUndeliverable
from dispatch.adapters.tables import DispatchRequest
from dispatch.domain.deadlines import (
    DeadlinePolicy,
    NextStep,
    RedriveRefusal,
    RequestState,
    RequestView,
    next_step,
    redrive_refusal,
)
from exchange.db.database import Database
from exchange.db.unit_of_work import UnitOfWork
from exchange.periodic import PeriodicJob

__all__ = ["AnswerDeadlines", "DeadlineRound", "RedriveRefused", "UnknownRequest", "redrive", "undeliverable_id_for"]

logger = logging.getLogger(__name__)


def undeliverable_id_for(request_id: str, parking: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"onething:undeliverable:{request_id}:{parking}")


def _view(row: DispatchRequest) -> RequestView:
    return RequestView(RequestState(row.state), row.sends, row.last_sent_at)


@dataclass
class DeadlineRound:
    resent: int = 0
    parked: int = 0


async def _resend(uow: UnitOfWork, row: DispatchRequest, now: datetime) -> bool:
    """Send the request again; False when its outbox row is gone (nothing to repeat)."""
    if not await uow.republish(UUID(row.request_id)):
        logger.error("request %s to %s cannot be sent again: its outbox row is gone", row.request_id, row.department)
        return False
    row.sends += 1
    row.total_sends += 1
    row.last_sent_at = now
    uow.session.add(row)
    return True


class AnswerDeadlines(PeriodicJob):
    """The deadline job (a background job of the dispatch process): every ``interval_s``, re-send or park each
    request whose wait for a receipt ran out."""

    def __init__(self, database: Database, policy: DeadlinePolicy,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), interval_s: float | None = None) -> None:
        super().__init__("dispatch answer deadlines", self.run_once,
                         interval_s if interval_s is not None else min(policy.timeout_s / 3, 5.0))
        self.database = database
        self.policy = policy
        self.clock = clock

    async def run_once(self) -> DeadlineRound:
        now = self.clock()
        done = DeadlineRound()
        waited_enough = now - self.policy.interval(0)  # no send is due sooner than this
        async with self.database.sessions() as session:
            ids = (await session.exec(select(DispatchRequest.request_id).where(
                col(DispatchRequest.state) == RequestState.OPEN,
                col(DispatchRequest.last_sent_at) <= waited_enough))).all()
        for request_id in ids:
            async with self.database.unit_of_work() as uow:
                row = await uow.get_for_update(DispatchRequest, request_id)
                if row is None:
                    continue
                step = next_step(_view(row), now, self.policy)
                if step in (NextStep.RESEND, NextStep.PARK) and await uow.waiting(UUID(row.request_id)):
                    # The last send is still in the outbox (the relay is behind, or the broker is down): the
                    # department has not had it yet, so its wait starts again and nothing is counted.
                    row.last_sent_at = now
                    uow.session.add(row)
                elif step is NextStep.RESEND and await _resend(uow, row, now):
                    done.resent += 1
                    logger.warning("request %s to %s unreceipted: sent again (%d)", row.request_id, row.department,
                                   row.sends)
                elif step is NextStep.PARK:
                    _park(uow, row, now)
                    done.parked += 1
        if done.resent:
            self.database.outbox_written.set()  # the relay sends the re-sends at once
        return done


def _park(uow: UnitOfWork, row: DispatchRequest, now: datetime) -> None:
    row.state, row.parked_at = RequestState.PARKED, now
    row.parkings += 1
    uow.session.add(row)
    uow.emit(RequestUndeliverable(
        request_id=UUID(row.request_id), case_id=row.case_id, item_code=row.item_code, department=row.department,
        kind=row.kind,  # type: ignore[arg-type]
        sends=row.sends, first_sent_at=row.first_sent_at, parked_at=now, parking=row.parkings,
    ), subject=row.case_id, event_id=undeliverable_id_for(row.request_id, row.parkings))
    logger.error("request %s to %s parked as undeliverable after %d sends", row.request_id, row.department, row.sends)


class RedriveRefused(Exception):
    def __init__(self, reason: RedriveRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


class UnknownRequest(LookupError):
    pass


async def redrive(database: Database, request_id: str) -> DispatchRequest:
    """人工重发: send the request again now, its deadline and re-send count started afresh."""
    async with database.unit_of_work() as uow:
        row = await uow.get_for_update(DispatchRequest, request_id)
        if row is None:
            raise UnknownRequest(request_id)
        refusal = redrive_refusal(_view(row))
        if refusal is not None:
            raise RedriveRefused(refusal)
        now = datetime.now(UTC)
        await uow.republish(UUID(row.request_id))  # 0 rows: the first send is still waiting, and will go
        # The deadline runs again unless the department has receipted it already: its receipt of this request id
        # would be the same event again, which the inbox drops.
        row.state = RequestState.OPEN if row.received_at is None else RequestState.RECEIVED
        row.sends, row.last_sent_at = 1, now
        row.total_sends += 1
        uow.session.add(row)
    database.outbox_written.set()
    logger.warning("request %s to %s re-driven by an operator", row.request_id, row.department)
    return row
