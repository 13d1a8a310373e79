"""Dispatch settings (``ONETHING_*``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from exchange.settings import ExchangeSettings


class DispatchSettings(ExchangeSettings):
    service_name: ClassVar[str] = "dispatch"
    default_http_port: ClassVar[int] = 8102

    service_database_url: str | None = Field(default=None, validation_alias="ONETHING_DISPATCH_DATABASE_URL")
