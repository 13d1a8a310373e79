"""The gateway's events as they go out (领域事件 → 契约消息), the one place they become contract payloads. Receipts
and answers go to dispatch on the department results topic, signed as the department (the gateway holds its key);
an answer continues its request's flow. A parked callback goes on the case stream for supervision."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from contracts.department.v1 import RequestKind, RequestReceived
from contracts.department.v2 import Decision, DecisionAtReview, Finding, ResultReturned, ReviewReturned
from contracts.departments import department_principal
from contracts.envelope import Envelope, EventPayload
from contracts.gateway.v1 import CallbackParked, callback_parked_event_id
from contracts.topics import DEPARTMENT_RESULTS
from exchange.db.service_work import Message
from gateway.domain import model
from gateway.domain.model import GatewayEvent, QueuedRequest

__all__ = ["answer_payload", "request_messages"]


def answer_payload(request: QueuedRequest, decision: dict[str, Any]) -> EventPayload:
    """The contract event for ``decision`` about ``request``; the request supplies what identifies it."""
    sent = request.envelope["data"]
    if request.kind is RequestKind.HANDLING:
        return ResultReturned(
            request_id=UUID(request.request_id), case_id=request.case_id, task_id=sent["task_id"],
            item_code=request.item_code, department=request.department, attempt=sent["attempt"],
            outcome=Decision(decision["outcome"]), reason_zh=decision.get("reason_zh"),
            reason_en=decision.get("reason_en"), document_no=decision.get("document_no"),
            decided_at=datetime.fromisoformat(decision["decided_at"]),
        )
    return ReviewReturned(
        request_id=UUID(request.request_id), case_id=request.case_id, item_code=request.item_code,
        department=request.department, round=sent["round"],
        deficiencies=tuple(Finding(**d) for d in decision["deficiencies"]),
        reviewed_at=datetime.fromisoformat(decision["reviewed_at"]),
        decision=DecisionAtReview(**decision["decision"]) if decision.get("decision") else None,
    )


def request_messages(request: QueuedRequest, event: GatewayEvent) -> list[Message]:
    as_department = department_principal(request.department)
    match event:
        case model.Receipted():
            return [Message(RequestReceived(
                request_id=UUID(request.request_id), case_id=request.case_id, item_code=request.item_code,
                department=request.department, kind=request.kind, received_at=request.received_at,
            ), topics=[DEPARTMENT_RESULTS], event_id=UUID(request.receipt_event_id),
                source=as_department)]
        case model.AnswerGiven(decision=decision, event_id=event_id):
            return [Message(answer_payload(request, decision), topics=[DEPARTMENT_RESULTS],
                            event_id=UUID(event_id), source=as_department,
                            cause=Envelope.model_validate(request.envelope))]
        case model.CallbackParked(attempts=attempts, parked_at=parked_at):
            return [Message(CallbackParked(
                request_id=UUID(request.request_id), case_id=request.case_id, item_code=request.item_code,
                department=request.department, kind=request.kind.value, attempts=attempts, parked_at=parked_at,
            ), event_id=callback_parked_event_id(request.request_id, parked_at.isoformat()))]
