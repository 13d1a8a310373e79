"""Dispatch use cases: one preliminary review round, one correction, then release, record and join.

Each takes dispatch's unit of work, loads the aggregates it needs, and lets them decide (``domain.model``,
``domain.requests``); nothing here reads a row or builds a payload.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import UUID

from contracts.department.v1 import RequestKind, RequestReceived
from contracts.department.v2 import ResultReturned, ReviewReturned
from contracts.envelope import Envelope
from contracts.intake.v1 import CaseAccepted, CaseCorrected
from dispatch.domain.errors import UnknownTask
from dispatch.domain.model import Case, Released, ReviewAsked, Task, task_id_for
from dispatch.domain.requests import DepartmentRequest
from dispatch.domain.review import NO_WINDOW_REVIEW, WindowReview
from dispatch.service_layer.unit_of_work import DispatchUnitOfWork

__all__ = ["case_accepted", "case_corrected", "request_received", "result_returned", "review_returned"]

logger = logging.getLogger(__name__)


def _opened(payload: CaseAccepted) -> Case:
    """The case as dispatch keeps it: one task per selected item, from the dossier (no re-asking the applicant)."""
    tasks = {
        item.item_code: Task(
            task_id=task_id_for(payload.case_id, item.item_code), item_code=item.item_code, item_name_zh=item.name_zh,
            department=item.department, requires=tuple(item.requires), time_limit_days=item.time_limit_days,
            promised_limit_days=item.promised_limit_days,
            form_fields=tuple(item.form_fields) if item.form_fields is not None else None,
            yields_licence=item.yields_licence, licence_type=item.licence_type, materials=tuple(item.materials),
        )
        for item in payload.items
    }
    return Case(case_id=payload.case_id, bundle_code=payload.bundle_code, applicant=payload.applicant,
                form=dict(payload.form), accepted_at=payload.accepted_at, fast_track=payload.fast_track, tasks=tasks)


def _track_requests(uow: DispatchUnitOfWork, case: Case, now: datetime) -> None:
    """应答时限 starts for every request the case sent just now: each department is to receipt it (a release decided
    at review sends none)."""
    for event in case.recorded:
        if isinstance(event, ReviewAsked) or (isinstance(event, Released) and not event.decided_at_review):
            kind = RequestKind.REVIEW if isinstance(event, ReviewAsked) else RequestKind.HANDLING
            uow.requests.add(DepartmentRequest.sent(
                event.request_id, case_id=case.case_id, task_id=event.task.task_id, item_code=event.task.item_code,
                department=event.task.department, kind=kind, at=now))


async def case_accepted(uow: DispatchUnitOfWork, envelope: Envelope, payload: CaseAccepted,
                        window: WindowReview = NO_WINDOW_REVIEW) -> None:
    """一次性分办: one task per selected item, every department reviews at once (同步预审), except those that entrusted
    their review to the window (委托窗口初审)."""
    if await uow.cases.exists(payload.case_id):
        return  # the same case re-announced under a new event id: already dispatched
    case = _opened(payload)
    now = datetime.now(UTC)
    case.open_review(now, window)
    uow.cases.add(case)
    _track_requests(uow, case, now)


async def _answered(uow: DispatchUnitOfWork, envelope: Envelope, case_id: str, item_code: str) -> tuple[Case, Task]:
    case = await uow.cases.get_for_update(case_id)
    if case is None:
        raise UnknownTask(f"no task {item_code} in case {case_id}")
    return case, case.answered_by(item_code, envelope.source)


async def _request_answered(uow: DispatchUnitOfWork, envelope: Envelope, request_id: UUID) -> None:
    """An answer ends the request's deadline: no more re-sends. Requests sent before the answer deadlines were kept
    have no record, and nothing to end."""
    request = await uow.requests.get_for_update(str(request_id))
    if request is not None:
        request.addressed_to(envelope.source)
        request.answered(datetime.now(UTC))


async def review_returned(uow: DispatchUnitOfWork, envelope: Envelope, payload: ReviewReturned) -> None:
    """A department's preliminary review; the last one in concludes the round with one merged notice."""
    case, task = await _answered(uow, envelope, payload.case_id, payload.item_code)
    await _request_answered(uow, envelope, payload.request_id)
    now = datetime.now(UTC)
    if not case.take_review(task, request_id=payload.request_id, findings=payload.deficiencies,
                            reviewed_at=payload.reviewed_at, now=now, decision=payload.decision):
        logger.info("stale review for %s round %d ignored", task.task_id, payload.round)
    _track_requests(uow, case, now)


async def result_returned(uow: DispatchUnitOfWork, envelope: Envelope, payload: ResultReturned) -> None:
    """结果实时回传: record a department's verified result, then release what it unblocks."""
    case, task = await _answered(uow, envelope, payload.case_id, payload.item_code)
    if task.task_id != payload.task_id:
        raise UnknownTask(f"no task {payload.task_id} in case {payload.case_id}")
    await _request_answered(uow, envelope, payload.request_id)
    now = datetime.now(UTC)
    if not case.take_result(task, request_id=payload.request_id, decision=payload.outcome,
                            document_no=payload.document_no, reason_zh=payload.reason_zh,
                            reason_en=payload.reason_en, now=now):
        logger.info("stale result for %s attempt %d ignored", task.task_id, payload.attempt)
    _track_requests(uow, case, now)


async def case_corrected(uow: DispatchUnitOfWork, envelope: Envelope, payload: CaseCorrected) -> None:
    """一次补正之后: the supplied values and documents go with the requests, and handling starts."""
    case = await uow.cases.get_for_update(payload.case_id)
    if case is None:
        raise UnknownTask(f"correction for unknown case {payload.case_id}")
    now = datetime.now(UTC)
    if not case.correct(round_=payload.round, form=dict(payload.form), materials=payload.materials, now=now):
        logger.info("correction round %d of %s already applied", payload.round, payload.case_id)
    _track_requests(uow, case, now)


async def request_received(uow: DispatchUnitOfWork, envelope: Envelope, payload: RequestReceived) -> None:
    """签收回执: the department took the request in; no more re-sends. A repeated receipt (the department answered a
    re-send too) changes nothing."""
    request = await uow.requests.get_for_update(str(payload.request_id))
    if request is None:
        case = await uow.cases.get_for_update(payload.case_id)
        task = case.tasks.get(payload.item_code) if case is not None else None
        if task is not None and str(payload.request_id) in (task.request_id, task.review_request_id):
            logger.info("receipt for request %s, sent before answer deadlines were kept", payload.request_id)
            return
        raise UnknownTask(f"receipt for request {payload.request_id}, which dispatch never sent")
    request.addressed_to(envelope.source)
    if not request.receipted(case_id=payload.case_id, item_code=payload.item_code, received_at=payload.received_at):
        logger.info("request %s already receipted", payload.request_id)
