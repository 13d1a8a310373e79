"""Dispatch use cases: one preliminary review round, one correction, then release, record and join."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlmodel import col, select

from contracts.department.v1 import RequestKind, RequestReceived, ResultReturned, ReviewReturned
from contracts.departments import department_principal
from contracts.dispatch.v1 import (
    Deficiency,
    Evidence,
    FindingBeyondList,
    LicenceRequested,
    Outcome,
    RequestSent,
    ReviewConcluded,
    ReviewRequested,
    TaskReleased,
)
from contracts.dispatch.v2 import TaskConcluded
from contracts.envelope import Envelope
from contracts.intake.v1 import Applicant, CaseAccepted, CaseCorrected, MaterialProvision, MaterialRef
from contracts.topics import department_requests
from dispatch.adapters.tables import DispatchCase, DispatchRequest, DispatchTask
from dispatch.domain.deadlines import RequestState
from dispatch.domain.errors import CorrectionOutsideReview, ForeignResult, UnknownTask
from dispatch.domain.minimisation import form_for_item
from dispatch.domain.review import Phase, ReviewStatus, ReviewView, merged_deficiencies, review_complete
from dispatch.domain.sequencing import TaskStatus, TaskView, releasable, unreachable
from exchange.db.unit_of_work import UnitOfWork

__all__ = ["case_accepted", "case_corrected", "request_received", "result_returned", "review_returned"]

logger = logging.getLogger(__name__)


def task_id_for(case_id: str, item_code: str) -> str:
    return f"{case_id}/{item_code}"


def request_id_for(task_id: str, attempt: int) -> UUID:
    """Deterministic: a redelivered release yields the same request, which departments dedupe."""
    return uuid5(NAMESPACE_URL, f"onething:request:{task_id}:{attempt}")


def review_id_for(task_id: str, round_: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"onething:review:{task_id}:{round_}")


async def _tasks(uow: UnitOfWork, case_id: str) -> dict[str, DispatchTask]:
    rows = (await uow.session.exec(select(DispatchTask).where(col(DispatchTask.case_id) == case_id))).all()
    return {t.item_code: t for t in rows}


def _views(tasks: dict[str, DispatchTask]) -> list[TaskView]:
    return [TaskView(t.item_code, TaskStatus(t.status), tuple(t.requires)) for t in tasks.values()]


async def _advance(uow: UnitOfWork, case: DispatchCase, tasks: dict[str, DispatchTask]) -> None:
    """Release what may run now; mark what never can. Repeats until nothing changes."""
    now = datetime.now(UTC)
    for code in unreachable(_views(tasks)):
        task = tasks[code]
        task.status, task.concluded_at = TaskStatus.NOT_PROCESSED, now
        task.reason_zh = "前置事项未通过，本事项未办理"
        uow.session.add(task)
        uow.emit(_concluded(task, case, Outcome.NOT_PROCESSED, now,
                            reason_en="A prerequisite item was not approved; this item was not processed"),
                 subject=case.case_id)
    for code in releasable(_views(tasks)):
        _release(uow, case, tasks, tasks[code], now)


def _release(
    uow: UnitOfWork, case: DispatchCase, tasks: dict[str, DispatchTask], task: DispatchTask, now: datetime
) -> None:
    task.attempt += 1
    task.status = TaskStatus.RELEASED
    task.released_at = now
    request_id = request_id_for(task.task_id, task.attempt)
    task.request_id = str(request_id)
    uow.session.add(task)
    evidence = tuple(
        Evidence(item_code=c, department=tasks[c].department, document_no=tasks[c].document_no)
        for c in task.requires
        if c in tasks
    )
    uow.emit(
        TaskReleased(
            case_id=case.case_id, task_id=task.task_id, item_code=task.item_code, department=task.department,
            attempt=task.attempt, time_limit_days=task.time_limit_days, promised_limit_days=task.promised_limit_days,
            released_at=now,
        ),
        subject=case.case_id,
    )
    uow.emit(
        RequestSent(
            request_id=request_id, case_id=case.case_id, task_id=task.task_id, item_code=task.item_code,
            item_name_zh=task.item_name_zh, department=task.department, attempt=task.attempt,
            applicant=Applicant.model_validate(case.applicant), form=_form_for(task, case), evidence=evidence,
            licence_type=task.licence_type, materials=_materials(task), fast_track=case.fast_track,
        ),
        subject=case.case_id,
        topics=[department_requests(task.department)],
        event_id=request_id,
    )
    _sent(uow, request_id, task, RequestKind.HANDLING, now)


def _concluded(
    task: DispatchTask, case: DispatchCase, outcome: Outcome, at: datetime, reason_en: str | None = None
) -> TaskConcluded:
    return TaskConcluded(
        case_id=case.case_id, task_id=task.task_id, item_code=task.item_code, department=task.department,
        attempt=max(task.attempt, 1), outcome=outcome, reason_zh=task.reason_zh, reason_en=reason_en,
        document_no=task.document_no, yields_licence=task.yields_licence, licence_type=task.licence_type,
        concluded_at=at,
    )


def _licence_requested(task: DispatchTask, case: DispatchCase, concluded: TaskConcluded) -> LicenceRequested | None:
    """办结即发证: the licence service's request, with the holder (the applicant), for an approved item that
    yields a licence; None for any other conclusion."""
    if concluded.outcome is not Outcome.APPROVED or not task.yields_licence or not task.licence_type:
        return None
    return LicenceRequested(
        case_id=case.case_id, task_id=task.task_id, item_code=task.item_code, department=task.department,
        attempt=concluded.attempt, licence_type=task.licence_type, document_no=task.document_no,
        holder_id=str(case.applicant.get("id_number")), holder_name=str(case.applicant.get("name")),
        concluded_at=concluded.concluded_at,
    )


_HELD_BY_THE_PLATFORM = {MaterialProvision.SHARING.value, MaterialProvision.LICENCE.value}


def _split_findings(task: DispatchTask, case: DispatchCase,
                    payload: ReviewReturned) -> tuple[list[Deficiency], list[tuple[Deficiency, bool]]]:
    """Findings on what the applicant submitted, and findings beyond that (R-04) with whether the platform
    already holds the thing asked for (a shared material, or one an e-licence proves (免提交)): neither could
    be answered by the applicant."""
    held = {m["code"] for m in task.materials if m.get("provision") in _HELD_BY_THE_PLATFORM}
    submitted = {m["code"] for m in task.materials} - held
    listed: list[Deficiency] = []
    beyond: list[tuple[Deficiency, bool]] = []
    for d in payload.deficiencies:
        if d.code in (submitted if d.kind == "material" else set(case.form)):
            listed.append(d)
        else:
            beyond.append((d, d.kind == "material" and d.code in held))
    return listed, beyond


def _form_for(task: DispatchTask, case: DispatchCase) -> dict[str, str]:
    """数据最小化: the fields of the one form that the task's item takes, and no others (the whole form for a
    task whose item did not say)."""
    return form_for_item(case.form, task.form_fields)


def _materials(task: DispatchTask) -> tuple[MaterialRef, ...]:
    return tuple(MaterialRef.model_validate(m) for m in task.materials)


def _request_review(uow: UnitOfWork, case: DispatchCase, task: DispatchTask) -> None:
    request_id = review_id_for(task.task_id, case.review_round)
    task.review_status, task.review_request_id, task.deficiencies = ReviewStatus.PENDING, str(request_id), []
    uow.session.add(task)
    uow.emit(
        ReviewRequested(
            request_id=request_id, case_id=case.case_id, item_code=task.item_code, item_name_zh=task.item_name_zh,
            department=task.department, round=case.review_round, applicant=Applicant.model_validate(case.applicant),
            form=_form_for(task, case), materials=_materials(task),
        ),
        subject=case.case_id, topics=[department_requests(task.department)], event_id=request_id,
    )
    _sent(uow, request_id, task, RequestKind.REVIEW, datetime.now(UTC))


def _sent(uow: UnitOfWork, request_id: UUID, task: DispatchTask, kind: RequestKind, at: datetime) -> None:
    """应答时限 starts: the department is to receipt this request (see domain.deadlines and service_layer.deadlines)."""
    uow.session.add(DispatchRequest(
        request_id=str(request_id), case_id=task.case_id, task_id=task.task_id, item_code=task.item_code,
        department=task.department, kind=kind.value, state=RequestState.OPEN, sends=1, total_sends=1,
        first_sent_at=at, last_sent_at=at, parkings=0))


async def _request_for_update(uow: UnitOfWork, envelope: Envelope, request_id: UUID) -> DispatchRequest | None:
    """The request a department receipted or answered, if dispatch keeps one (requests sent before the answer
    deadlines were introduced have none); it must be addressed to the department that signed."""
    request = await uow.get_for_update(DispatchRequest, str(request_id))
    if request is not None and envelope.source != department_principal(request.department):
        raise ForeignResult(f"{envelope.source} answered request {request_id}, sent to {request.department}")
    return request


async def _mark_answered(uow: UnitOfWork, envelope: Envelope, request_id: UUID) -> None:
    """An answer ends the request's deadline (a receipt is implied): no more re-sends."""
    request = await _request_for_update(uow, envelope, request_id)
    if request is None or request.state == RequestState.ANSWERED:
        return
    now = datetime.now(UTC)
    request.state, request.answered_at = RequestState.ANSWERED, now
    request.received_at = request.received_at or now
    uow.session.add(request)


async def _sent_before_deadlines(uow: UnitOfWork, payload: RequestReceived) -> bool:
    """A request of the case's task that has no deadline record (sent before revision 0004): nothing to stop."""
    task = (await _tasks(uow, payload.case_id)).get(payload.item_code)
    return task is not None and str(payload.request_id) in (task.request_id, task.review_request_id)


async def request_received(uow: UnitOfWork, envelope: Envelope, payload: RequestReceived) -> None:
    """签收回执: the department took the request in; no more re-sends. A repeated receipt (the department answered a
    re-send too) changes nothing."""
    request = await _request_for_update(uow, envelope, payload.request_id)
    if request is None:
        if await _sent_before_deadlines(uow, payload):
            logger.info("receipt for request %s, sent before answer deadlines were kept", payload.request_id)
            return
        raise UnknownTask(f"receipt for request {payload.request_id}, which dispatch never sent")
    if request.case_id != payload.case_id or request.item_code != payload.item_code:
        raise UnknownTask(f"receipt for request {payload.request_id} names case {payload.case_id} item "
                          f"{payload.item_code}; it was sent for {request.case_id} {request.item_code}")
    if request.received_at is not None:
        logger.info("request %s already receipted", payload.request_id)
        return
    request.received_at = payload.received_at
    if request.state in (RequestState.OPEN, RequestState.PARKED):  # a receipt after parking: the department is back
        request.state = RequestState.RECEIVED
    uow.session.add(request)


async def case_accepted(uow: UnitOfWork, envelope: Envelope, payload: CaseAccepted) -> None:
    """一次性分办: one task per selected item, every department reviews at once (同步预审)."""
    if await uow.session.get(DispatchCase, payload.case_id) is not None:
        return  # the same case re-announced under a new event id: already dispatched
    case = DispatchCase(
        case_id=payload.case_id, bundle_code=payload.bundle_code,
        applicant=payload.applicant.model_dump(mode="json"), form=dict(payload.form),
        accepted_at=payload.accepted_at, phase=Phase.REVIEW, review_round=1, fast_track=payload.fast_track,
    )
    uow.session.add(case)
    tasks = {
        item.item_code: DispatchTask(
            task_id=task_id_for(payload.case_id, item.item_code), case_id=payload.case_id,
            item_code=item.item_code, item_name_zh=item.name_zh, department=item.department,
            requires=list(item.requires), time_limit_days=item.time_limit_days,
            promised_limit_days=item.promised_limit_days,
            yields_licence=item.yields_licence, licence_type=item.licence_type, status=TaskStatus.WAITING,
            materials=[m.model_dump(mode="json") for m in item.materials],
            form_fields=list(item.form_fields) if item.form_fields is not None else None,
        )
        for item in payload.items
    }
    for task in tasks.values():
        _request_review(uow, case, task)


async def _answered(uow: UnitOfWork, envelope: Envelope, case_id: str,
                    item_code: str) -> tuple[DispatchCase, dict[str, DispatchTask], DispatchTask]:
    """The case (locked: answers and corrections of one case arrive on different topics, possibly at once),
    its tasks, and the task a department answered, which must be that department's own."""
    case = await uow.get_for_update(DispatchCase, case_id)
    tasks = await _tasks(uow, case_id)
    task = tasks.get(item_code)
    if case is None or task is None:
        raise UnknownTask(f"no task {item_code} in case {case_id}")
    if envelope.source != department_principal(task.department):
        raise ForeignResult(f"{envelope.source} answered for {task.task_id}, which belongs to {task.department}")
    return case, tasks, task


async def review_returned(uow: UnitOfWork, envelope: Envelope, payload: ReviewReturned) -> None:
    """A department's preliminary review; the last one in concludes the round with one merged notice."""
    case, tasks, task = await _answered(uow, envelope, payload.case_id, payload.item_code)
    await _mark_answered(uow, envelope, payload.request_id)
    if task.review_request_id != str(payload.request_id) or task.review_status != ReviewStatus.PENDING:
        logger.info("stale review for %s round %d ignored", task.task_id, payload.round)
        return
    if any(d.item_code != task.item_code or d.department != task.department for d in payload.deficiencies):
        raise ForeignResult(f"{envelope.source} reviewed {task.task_id} with findings about another item")
    listed, beyond = _split_findings(task, case, payload)
    for d, held in beyond:  # 清单之外 or already held: dropped here, a red card and a forced stop at supervision
        uow.emit(FindingBeyondList(case_id=case.case_id, item_code=d.item_code, department=d.department, kind=d.kind,
                                   code=d.code, reason_zh=d.reason_zh, found_at=payload.reviewed_at,
                                   already_held=held),
                 subject=case.case_id, event_id=uuid5(NAMESPACE_URL, f"onething:beyond:{payload.request_id}:{d.code}"))
    task.review_status = ReviewStatus.DEFICIENT if listed else ReviewStatus.PASSED
    task.deficiencies = [d.model_dump(mode="json") for d in listed]
    uow.session.add(task)
    views = [ReviewView(t.item_code, ReviewStatus(t.review_status),
                        tuple(Deficiency.model_validate(d) for d in t.deficiencies)) for t in tasks.values()]
    if not review_complete(views):
        return
    deficiencies = merged_deficiencies(views)
    uow.emit(ReviewConcluded(case_id=case.case_id, round=case.review_round, deficiencies=deficiencies,
                             concluded_at=datetime.now(UTC)), subject=case.case_id)
    case.phase = Phase.AWAITING_CORRECTION if deficiencies else Phase.HANDLING
    uow.session.add(case)
    if not deficiencies:
        await _advance(uow, case, tasks)


async def result_returned(uow: UnitOfWork, envelope: Envelope, payload: ResultReturned) -> None:
    """结果实时回传: record a department's verified result, then release what it unblocks."""
    case, tasks, task = await _answered(uow, envelope, payload.case_id, payload.item_code)
    if task.task_id != payload.task_id:
        raise UnknownTask(f"no task {payload.task_id} in case {payload.case_id}")
    await _mark_answered(uow, envelope, payload.request_id)
    if task.request_id != str(payload.request_id) or task.status != TaskStatus.RELEASED:
        logger.info("stale result for %s attempt %d ignored", task.task_id, payload.attempt)
        return
    if payload.outcome is Outcome.NEEDS_CORRECTION:
        raise CorrectionOutsideReview(
            f"{task.department} asked for a correction of {task.task_id} while handling; deficiencies are raised in "
            "preliminary review, once (R-14)")
    now = datetime.now(UTC)
    task.status = TaskStatus(payload.outcome.value)
    task.document_no = payload.document_no
    task.reason_zh = payload.reason_zh
    task.concluded_at = now
    uow.session.add(task)
    concluded = _concluded(task, case, payload.outcome, now, payload.reason_en)
    uow.emit(concluded, subject=case.case_id)
    if (licence := _licence_requested(task, case, concluded)) is not None:
        uow.emit(licence, subject=case.case_id)  # the holder's identity: to the licence service alone
    await _advance(uow, case, tasks)


async def case_corrected(uow: UnitOfWork, envelope: Envelope, payload: CaseCorrected) -> None:
    """一次补正之后: the supplied values and documents go with the requests, and handling starts."""
    case = await uow.get_for_update(DispatchCase, payload.case_id)
    if case is None:
        raise UnknownTask(f"correction for unknown case {payload.case_id}")
    if case.phase != Phase.AWAITING_CORRECTION or payload.round != case.review_round:
        logger.info("correction round %d of %s already applied", payload.round, payload.case_id)
        return
    case.form = {**case.form, **payload.form}
    case.phase = Phase.HANDLING
    uow.session.add(case)
    tasks = await _tasks(uow, payload.case_id)
    supplied = {m.code: m for m in payload.materials}
    for task in tasks.values():
        task.materials = [supplied[m["code"]].model_dump(mode="json") if m["code"] in supplied else m
                          for m in task.materials]
        task.review_status = ReviewStatus.PASSED
        uow.session.add(task)
    await _advance(uow, case, tasks)
