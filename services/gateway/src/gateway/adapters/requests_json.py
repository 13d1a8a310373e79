"""A request as its department sees it (JSON): each entry of a poll, ``GET /departments/{code}/requests/{id}`` and
the body of a callback. The same shape whether read as a row (``adapters.views``, for the routes) or loaded as the
aggregate (the callback job, through its unit of work)."""

from __future__ import annotations

from gateway.adapters.tables import RequestRow
from gateway.domain.model import QueuedRequest
from gateway.domain.requests import state_of

__all__ = ["as_json"]


def as_json(request: RequestRow | QueuedRequest) -> dict[str, object]:
    """A request as the department sees it, when it polls and when it is called back."""
    state = state_of(str(request.delivery), answered=request.answered_at is not None)
    return {
        "request_id": request.request_id, "seq": request.seq, "kind": str(request.kind), "state": state.value,
        "department": request.department, "case_id": request.case_id, "item_code": request.item_code,
        "event_type": request.envelope.get("type"), "event_id": request.envelope.get("id"),
        "received_at": request.received_at.isoformat(), "request": request.envelope.get("data", {}),
        "delivery_attempts": request.delivery_attempts, "last_delivery_error": request.last_delivery_error,
        "next_delivery_at": request.next_delivery_at.isoformat() if request.next_delivery_at else None,
        "answer": request.answer, "answer_event_id": request.answer_event_id,
        "answered_at": request.answered_at.isoformat() if request.answered_at else None,
    }
