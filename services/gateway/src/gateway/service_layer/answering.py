"""答复: a department's answer, given over HTTP, published on the bus signed as the department, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from contracts.department.v1 import RequestKind, answer_event_id
from contracts.department.v2 import ResultReturned, ReviewReturned
from gateway.domain.errors import UnknownRequest
from gateway.service_layer.unit_of_work import GatewayUnitOfWork

__all__ = ["Answered", "answer"]


@dataclass(frozen=True, slots=True)
class Answered:
    request_id: str
    event_id: str
    event_type: str
    answered_at: datetime
    duplicate: bool  # the same answer was given before: nothing new was published


async def answer(uow: GatewayUnitOfWork, department: str, kind: RequestKind, request_id: UUID,
                 decision: dict[str, Any]) -> Answered:
    """Record ``decision`` (JSON) as ``department``'s answer to ``request_id`` and publish it through the outbox.

    The same answer again returns the first one's envelope id and publishes nothing; a different one is refused
    (``AnswerConflict``): a department decides once per request."""
    request = await uow.requests.get(str(request_id))
    if request is None or request.department != department:
        raise UnknownRequest(department, str(request_id))
    event_id, now = str(answer_event_id(kind, request_id)), datetime.now(UTC)
    if request.give_answer(kind, decision, event_id, now):
        return Answered(request.request_id, event_id, _event_type(kind), now, duplicate=False)
    # The answer given before (both are set with it).
    return Answered(request.request_id, request.answer_event_id or event_id, _event_type(kind),
                    request.answered_at or now, duplicate=True)


def _event_type(kind: RequestKind) -> str:
    return (ResultReturned if kind is RequestKind.HANDLING else ReviewReturned).event_type
