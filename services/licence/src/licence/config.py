"""Licence settings (``ONETHING_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from exchange.settings import EMBEDDED_HTTP_PORTS, ExchangeSettings


class LicenceSettings(ExchangeSettings):
    service_name: ClassVar[str] = "licence"
    default_http_port: ClassVar[int] = EMBEDDED_HTTP_PORTS["licence"]

    service_database_url: str | None = Field(default=None, validation_alias="ONETHING_LICENCE_DATABASE_URL")
    licence_public_url: str = Field(
        default="http://127.0.0.1:8103",
        description="where this service is reached from outside: status lists and verification links point here",
    )
    licence_recognised_issuers: list[Path] = Field(
        default_factory=list, description="other regions' published trust lists recognised here (互认, LIC-04)"
    )
    licence_archive_readers: list[str] = Field(
        default_factory=lambda: ["intake", "dept.*"],
        description="principals (glob patterns) that may read holder archives with a signed, stated purpose",
    )
    licence_remote_status_ttl_s: float = Field(default=300.0, gt=0,
                                               description="how long another region's status list is cached")
