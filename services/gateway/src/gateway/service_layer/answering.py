"""答复: a department's answer, given over HTTP, published on the bus signed as the department, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from contracts.department.v1 import RequestKind, ResultReturned, ReviewReturned, answer_event_id
from contracts.departments import department_principal
from contracts.dispatch.v1 import Deficiency, Outcome
from contracts.envelope import Envelope, EventPayload
from contracts.topics import DEPARTMENT_RESULTS
from exchange.db.database import Database
from gateway.adapters.tables import RequestRow
from gateway.domain.errors import AnswerConflict, UnknownRequest, WrongKind
from gateway.domain.requests import same_decision

__all__ = ["Answered", "answer"]

_ROUTE = {RequestKind.REVIEW: "reviews", RequestKind.HANDLING: "results"}


@dataclass(frozen=True, slots=True)
class Answered:
    request_id: str
    event_id: str
    event_type: str
    answered_at: datetime
    duplicate: bool  # the same answer was given before: nothing new was published


def _payload(kind: RequestKind, row: RequestRow, decision: dict[str, Any]) -> EventPayload:
    """The contract event for ``decision`` about ``row``'s request; the request supplies what identifies it."""
    request = row.envelope["data"]
    if kind is RequestKind.HANDLING:
        return ResultReturned(
            request_id=UUID(row.request_id), case_id=row.case_id, task_id=request["task_id"], item_code=row.item_code,
            department=row.department, attempt=request["attempt"], outcome=Outcome(decision["outcome"]),
            reason_zh=decision.get("reason_zh"), reason_en=decision.get("reason_en"),
            document_no=decision.get("document_no"), decided_at=datetime.fromisoformat(decision["decided_at"]),
        )
    return ReviewReturned(
        request_id=UUID(row.request_id), case_id=row.case_id, item_code=row.item_code, department=row.department,
        round=request["round"],
        deficiencies=tuple(Deficiency(item_code=row.item_code, department=row.department, **d)
                           for d in decision["deficiencies"]),
        reviewed_at=datetime.fromisoformat(decision["reviewed_at"]),
    )


async def answer(database: Database, department: str, kind: RequestKind, request_id: UUID,
                 decision: dict[str, Any]) -> Answered:
    """Record ``decision`` (JSON) as ``department``'s answer to ``request_id`` and publish it through the outbox.

    The same answer again returns the first one's envelope id and publishes nothing; a different one is refused
    (:class:`AnswerConflict`): a department decides once per request."""
    async with database.unit_of_work() as uow:
        row = await uow.get_for_update(RequestRow, str(request_id))
        if row is None or row.department != department:
            raise UnknownRequest(department, str(request_id))
        if row.kind != kind:
            route = _ROUTE[RequestKind(row.kind)]
            raise WrongKind(f"请求 {request_id} 是{'预审' if row.kind == RequestKind.REVIEW else '办理'}请求，"
                            f"请提交到 /departments/{department}/{route}",
                            f"request {request_id} is a {row.kind} request: answer it at "
                            f"/departments/{department}/{route}")
        if row.answer is not None and row.answer_event_id is not None and row.answered_at is not None:
            if not same_decision(decision, row.answer):
                raise AnswerConflict(f"请求 {request_id} 已于 {row.answered_at.isoformat()} 答复，答复内容不同；"
                                     "同一请求只能答复一次",
                                     f"request {request_id} was answered differently at {row.answered_at.isoformat()}; "
                                     "a request is answered once")
            return Answered(row.request_id, row.answer_event_id, _event_type(kind), row.answered_at, duplicate=True)
        payload = _payload(kind, row, decision)
        uow.cause = Envelope.model_validate(row.envelope)  # the answer continues the request's flow
        event_id = answer_event_id(kind, request_id)
        uow.emit(payload, subject=row.case_id, key=row.case_id, topics=[DEPARTMENT_RESULTS], event_id=event_id,
                 source=department_principal(department))
        row.answer, row.answer_event_id, row.answered_at = decision, str(event_id), datetime.now(UTC)
        uow.session.add(row)
        return Answered(row.request_id, str(event_id), payload.event_type, row.answered_at, duplicate=False)


def _event_type(kind: RequestKind) -> str:
    return (ResultReturned if kind is RequestKind.HANDLING else ReviewReturned).event_type
