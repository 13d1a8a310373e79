"""Where an item of a case stands (事项办理状态), one vocabulary for every service: dispatch sequences its tasks by it
and intake shows it to the applicant and joins on it (一次送达 when every item is final). ``final`` is decided here
once."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ItemStatus"]


class ItemStatus(StrEnum):
    WAITING = "waiting"  # 等待前置事项
    RELEASED = "released"  # 已推送部门
    APPROVED = "approved"  # 准予
    REJECTED = "rejected"  # 不予
    NOT_PROCESSED = "not_processed"  # 前置事项未通过，未办理

    @property
    def final(self) -> bool:
        """The department's work on the item is over: its result is in, or it will never be asked."""
        return self in (ItemStatus.APPROVED, ItemStatus.REJECTED, ItemStatus.NOT_PROCESSED)
