"""Intake settings (``ONETHING_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from exchange.settings import EMBEDDED_HTTP_PORTS, ExchangeSettings


class IntakeSettings(ExchangeSettings):
    service_name: ClassVar[str] = "intake"
    default_http_port: ClassVar[int] = EMBEDDED_HTTP_PORTS["intake"]

    service_database_url: str | None = Field(default=None, validation_alias="ONETHING_INTAKE_DATABASE_URL")
    catalogue_path: Path | None = Field(default=None, description="a service centre's own catalogue folder")
