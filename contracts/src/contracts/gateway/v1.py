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

    request_id: UUID = Field(description="请求编号 The department request the gateway holds (UUID)")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    item_code: str = Field(description="事项编码 The item the request is about")
    department: str = Field(description="接收部门 The department whose callback URL took none of the pushes")
    kind: Literal["review", "handling"] = Field(description="请求类型 review 预审请求 or handling 办理请求")
    attempts: int = Field(ge=1, description="回调次数 Callback pushes made, all failed")
    parked_at: AwareDatetime = Field(description="挂起时间 When the gateway parked the delivery (timestamp with offset)")


def callback_parked_event_id(request_id: str, parked_at: str) -> UUID:
    """One event per parking: a re-drive that fails again parks (and cards) anew."""
    return uuid5(NAMESPACE_URL, f"onething:callback-parked:{request_id}:{parked_at}")
