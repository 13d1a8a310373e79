"""Licence settings (``ONETHING_*``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from exchange.settings import ExchangeSettings


class LicenceSettings(ExchangeSettings):
    service_name: ClassVar[str] = "licence"
    default_http_port: ClassVar[int] = 8103

    service_database_url: str | None = Field(default=None, validation_alias="ONETHING_LICENCE_DATABASE_URL")
