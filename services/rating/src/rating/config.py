"""Rating settings (``ONETHING_*``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from exchange.settings import ExchangeSettings


class RatingSettings(ExchangeSettings):
    service_name: ClassVar[str] = "rating"
    default_http_port: ClassVar[int] = 8105

    service_database_url: str | None = Field(default=None, validation_alias="ONETHING_RATING_DATABASE_URL")
