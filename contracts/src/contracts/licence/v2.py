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

    licence_id: str
    case_id: str
    item_code: str
    licence_type: str
    issuer_department: str
    action: StatusAction
    state: LicenceState
    reason_zh: str = Field(min_length=1)
    actor: str  # the department principal whose signed request changed it
    changed_at: AwareDatetime
