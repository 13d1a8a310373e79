"""Dispatch settings (``ONETHING_*``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from dispatch.domain.deadlines import DeadlinePolicy
from dispatch.domain.review import WindowReview
from exchange.settings import EMBEDDED_HTTP_PORTS, ExchangeSettings


class DispatchSettings(ExchangeSettings):
    service_name: ClassVar[str] = "dispatch"
    default_http_port: ClassVar[int] = EMBEDDED_HTTP_PORTS["dispatch"]

    service_database_url: str | None = Field(default=None, validation_alias="ONETHING_DISPATCH_DATABASE_URL")
    dispatch_answer_timeout_s: float = Field(
        default=30.0, gt=0, description="应答时限: seconds a department has to receipt a request before it is re-sent")
    dispatch_max_resends: int = Field(
        default=5, ge=0, description="re-sends of an unreceipted request (back-off doubling) before it is parked")
    dispatch_window_review: str = Field(
        default="", description="委托窗口初审: departments that entrusted their preliminary review to the window, by code "
                                "and separated by commas, or * for every department; their items get no review request "
                                "(empty: every department reviews its own, the default)")

    @field_validator("dispatch_window_review")
    @classmethod
    def _known_departments(cls, value: str) -> str:
        WindowReview.parse(value)  # a mistyped department code stops the start, not silently ignored
        return value

    def window_review(self) -> WindowReview:
        return WindowReview.parse(self.dispatch_window_review)

    def deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(timeout_s=self.dispatch_answer_timeout_s, max_resends=self.dispatch_max_resends,
                              max_interval_s=max(600.0, self.dispatch_answer_timeout_s))
