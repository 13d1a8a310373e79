"""Events owned by the department gateway (部门接入网关), version 1."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, Field

from contracts.envelope import EventPayload

__all__ = ["CallbackParked", "callback_parked_event_id"]


class CallbackParked(EventPayload):
    """回调无法送达: the gateway holds a department's request (and receipted it), but every push to the
    department's callback URL failed; the delivery is parked until the department re-drives it (it can still
    poll). Supervision cards the department, as it does when dispatch hears no receipt at all."""

    event_type: ClassVar[str] = "gateway.callback.parked"

    request_id: UUID
    case_id: str
    item_code: str
    department: str
    kind: Literal["review", "handling"]  # 预审请求 / 办理请求
    attempts: int = Field(ge=1)  # callback attempts made, all failed
    parked_at: AwareDatetime


def callback_parked_event_id(request_id: str, parked_at: str) -> UUID:
    """One event per parking: a re-drive that fails again parks (and cards) anew."""
    return uuid5(NAMESPACE_URL, f"onething:callback-parked:{request_id}:{parked_at}")
