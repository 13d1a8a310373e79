"""Supervision settings (``ONETHING_*``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from exchange.settings import EMBEDDED_HTTP_PORTS, ExchangeSettings


class SupervisionSettings(ExchangeSettings):
    service_name: ClassVar[str] = "supervision"
    default_http_port: ClassVar[int] = EMBEDDED_HTTP_PORTS["supervision"]

    service_database_url: str | None = Field(default=None, validation_alias="ONETHING_SUPERVISION_DATABASE_URL")
    card_threshold_days: int = Field(default=1, ge=0, description="yellow card when this many working days are left")
    order_respond_days: int = Field(default=3, ge=1, description="working days a department has to answer a 督办")
    scan_interval_s: float = Field(default=30.0, gt=0, description="seconds between supervision scans")
    clock_control: bool = Field(default=False, description="allow POST /clock/advance (tests and demos only)")
