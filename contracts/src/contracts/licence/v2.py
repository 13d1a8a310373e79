"""Events owned by the licence service (电子证照服务), version 2: the case stream names no one.

``licence.licence.status_changed`` v1 carried the holder's ID number on the case stream; v2 does not (the
holder's archive, ``licence.licence.events``, is keyed by holder already). v1 records are read as v2 (the
upcaster in :mod:`contracts.registry` drops ``holder_id``).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from contracts.envelope import EventPayload
from contracts.licence.v1 import LicenceState, StatusAction

__all__ = ["LicenceStatusChanged"]


class LicenceStatusChanged(EventPayload):
    """The issuing department revoked, suspended or reinstated a licence; its status list changed with it."""

    event_type: ClassVar[str] = "licence.licence.status_changed"
    event_version: ClassVar[int] = 2

    licence_id: str = Field(description="证照标识 The e-licence whose status changed")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters, under which the licence was issued")
    item_code: str = Field(description="事项编码 The item the licence was issued for")
    licence_type: str = Field(description="证照类型 The licence type's code")
    issuer_department: str = Field(description="发证部门 The issuing department")
    action: StatusAction = Field(description="操作 revoke 撤销, suspend 暂停, or reinstate 恢复 (lifts a suspension)")
    state: LicenceState = Field(description="状态 The licence's state after the change: active 有效, suspended 暂停, "
                                            "revoked 撤销 (final)")
    reason_zh: str = Field(min_length=1, description="原因 The department's stated reason (Chinese)")
    actor: str = Field(description="操作主体 The department principal whose signed request changed it")
    changed_at: AwareDatetime = Field(description="变更时间 When the status changed (timestamp with offset)")
