"""失信黑名单 (R-22): who is listed, why, by whom and when. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Listing"]


@dataclass(frozen=True, slots=True)
class Listing:
    id_number: str
    reason_zh: str
    reason_en: str
    case_id: str | None
    listed_by: str
    listed_at: datetime
