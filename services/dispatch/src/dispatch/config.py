"""Dispatch settings (``ONETHING_*``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from dispatch.domain.deadlines import DeadlinePolicy
from exchange.settings import EMBEDDED_HTTP_PORTS, ExchangeSettings


class DispatchSettings(ExchangeSettings):
    service_name: ClassVar[str] = "dispatch"
    default_http_port: ClassVar[int] = EMBEDDED_HTTP_PORTS["dispatch"]

    service_database_url: str | None = Field(default=None, validation_alias="ONETHING_DISPATCH_DATABASE_URL")
    dispatch_answer_timeout_s: float = Field(
        default=30.0, gt=0, description="应答时限: seconds a department has to receipt a request before it is re-sent")
    dispatch_max_resends: int = Field(
        default=5, ge=0, description="re-sends of an unreceipted request (back-off doubling) before it is parked")

    def deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(timeout_s=self.dispatch_answer_timeout_s, max_resends=self.dispatch_max_resends,
                              max_interval_s=max(600.0, self.dispatch_answer_timeout_s))
