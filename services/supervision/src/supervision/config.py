"""Supervision settings (``ONETHING_*``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from exchange.settings import ExchangeSettings


class SupervisionSettings(ExchangeSettings):
    service_name: ClassVar[str] = "supervision"
    default_http_port: ClassVar[int] = 8104

    service_database_url: str | None = Field(default=None, validation_alias="ONETHING_SUPERVISION_DATABASE_URL")
