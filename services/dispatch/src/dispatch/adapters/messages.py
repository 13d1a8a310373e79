"""Dispatch's events as they go out (领域事件 → 契约消息): the one place a domain event becomes contract payloads,
with the topics and envelope ids they go under.

* a review asked or a task released goes to its department's request topic, under the request id departments
  dedupe on; a release is also announced on the case stream (a task decided at review, 即审即办, only there: its
  department has decided already);
* a task concluded goes on the case stream, and, approved with a licence to issue (办结即发证), to the licence
  service with the holder's identity (the case stream names no one);
* a finding beyond the list and a round's conclusion go on the case stream;
* a request parked as undeliverable goes on the case stream, once per parking.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from contracts.dispatch.v1 import (
    FindingBeyondList,
    LicenceRequested,
    Outcome,
    RequestSent,
    RequestUndeliverable,
    ReviewConcluded,
    ReviewRequested,
    TaskReleased,
)
from contracts.dispatch.v2 import TaskConcluded
from contracts.topics import department_requests
from dispatch.domain.model import (
    Case,
    CaseEvent,
    Concluded,
    FindingOutsideList,
    Released,
    ReviewAsked,
    ReviewRoundConcluded,
    Task,
)
from dispatch.domain.requests import DepartmentRequest, Parked, RequestEvent
from exchange.db.service_work import Message

__all__ = ["case_messages", "request_messages", "undeliverable_id_for"]


def undeliverable_id_for(request_id: str, parking: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"onething:undeliverable:{request_id}:{parking}")


def case_messages(case: Case, event: CaseEvent) -> list[Message]:
    match event:
        case ReviewAsked(task=task, request_id=request_id, round=round_, form=form, decide=decide):
            return [Message(ReviewRequested(
                request_id=request_id, case_id=case.case_id, item_code=task.item_code, item_name_zh=task.item_name_zh,
                department=task.department, round=round_, applicant=case.applicant, form=form,
                materials=task.materials, decide=decide,
            ), topics=[department_requests(task.department)], event_id=request_id)]
        case Released(task=task, request_id=request_id, evidence=evidence, form=form, released_at=released_at,
                      decided_at_review=decided):
            released = Message(TaskReleased(
                case_id=case.case_id, task_id=task.task_id, item_code=task.item_code, department=task.department,
                attempt=task.attempt, time_limit_days=task.time_limit_days,
                promised_limit_days=task.promised_limit_days, released_at=released_at,
            ))
            if decided:
                return [released]
            return [
                released,
                Message(RequestSent(
                    request_id=request_id, case_id=case.case_id, task_id=task.task_id, item_code=task.item_code,
                    item_name_zh=task.item_name_zh, department=task.department, attempt=task.attempt,
                    applicant=case.applicant, form=form, evidence=evidence, licence_type=task.licence_type,
                    materials=task.materials, fast_track=case.fast_track,
                ), topics=[department_requests(task.department)], event_id=request_id),
            ]
        case Concluded(task=task, outcome=outcome, reason_en=reason_en, concluded_at=concluded_at,
                       decided_at_review=decided):
            concluded = TaskConcluded(
                case_id=case.case_id, task_id=task.task_id, item_code=task.item_code, department=task.department,
                attempt=max(task.attempt, 1), outcome=outcome, reason_zh=task.reason_zh, reason_en=reason_en,
                document_no=task.document_no, yields_licence=task.yields_licence, licence_type=task.licence_type,
                concluded_at=concluded_at, decided_at_review=decided,
            )
            licence = _licence_requested(case, task, concluded)
            return [Message(concluded)] + ([Message(licence)] if licence is not None else [])
        case FindingOutsideList(finding=d, already_held=held, found_at=found_at, review_request_id=request_id):
            return [Message(FindingBeyondList(
                case_id=case.case_id, item_code=d.item_code, department=d.department, kind=d.kind, code=d.code,
                reason_zh=d.reason_zh, found_at=found_at, already_held=held,
            ), event_id=uuid5(NAMESPACE_URL, f"onething:beyond:{request_id}:{d.code}"))]
        case ReviewRoundConcluded(round=round_, deficiencies=deficiencies, concluded_at=at, window_reviewed=window):
            return [Message(ReviewConcluded(case_id=case.case_id, round=round_, deficiencies=deficiencies,
                                            concluded_at=at, window_reviewed=window))]


def _licence_requested(case: Case, task: Task, concluded: TaskConcluded) -> LicenceRequested | None:
    """办结即发证: the licence service's request, with the holder (the applicant), for an approved item that
    yields a licence; None for any other conclusion."""
    if concluded.outcome is not Outcome.APPROVED or not task.yields_licence or not task.licence_type:
        return None
    return LicenceRequested(
        case_id=case.case_id, task_id=task.task_id, item_code=task.item_code, department=task.department,
        attempt=concluded.attempt, licence_type=task.licence_type, document_no=task.document_no,
        holder_id=case.applicant.id_number, holder_name=case.applicant.name, concluded_at=concluded.concluded_at,
    )


def request_messages(request: DepartmentRequest, event: RequestEvent) -> list[Message]:
    match event:
        case Parked(parking=parking, sends=sends, parked_at=parked_at):
            return [Message(RequestUndeliverable(
                request_id=UUID(request.request_id), case_id=request.case_id, item_code=request.item_code,
                department=request.department, kind=request.kind.value,
                sends=sends,
                first_sent_at=request.first_sent_at, parked_at=parked_at, parking=parking,
            ), event_id=undeliverable_id_for(request.request_id, parking))]
