"""Gateway settings (``ONETHING_*``)."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from contracts.departments import http_departments
from exchange.settings import EMBEDDED_HTTP_PORTS, ExchangeSettings


class GatewaySettings(ExchangeSettings):
    service_name: ClassVar[str] = "gateway"
    default_http_port: ClassVar[int] = EMBEDDED_HTTP_PORTS["gateway"]

    service_database_url: str | None = Field(default=None, validation_alias="ONETHING_GATEWAY_DATABASE_URL")
    gateway_departments: Annotated[dict[str, str | None], NoDecode] = Field(
        default_factory=dict,
        description="经网关接入的部门及其回调地址 / departments served over HTTP, each with its callback URL or none "
                    "(it polls): `police,tax=https://tax.example/onething`, or JSON",
    )
    gateway_callback_timeout_s: float = Field(
        default=10.0, gt=0, description="回调超时（秒）/ how long one callback POST may take")
    gateway_callback_max_attempts: int = Field(
        default=8, ge=1, description="回调最多尝试次数，之后搁置待重投 / callback attempts before a delivery is parked")
    gateway_callback_backoff_s: float = Field(
        default=2.0, gt=0, description="首次重试前的等待（秒），此后每次加倍 / wait before the first retry, doubled each time")
    gateway_callback_backoff_max_s: float = Field(
        default=600.0, gt=0, description="两次重试间最长等待（秒）/ the longest wait between two attempts")
    gateway_callback_poll_s: float = Field(
        default=1.0, gt=0, description="多久查看一次待推送的请求（秒）/ how often due deliveries are looked for")

    @field_validator("gateway_departments", mode="before")
    @classmethod
    def _parse_departments(cls, value: object) -> dict[str, str | None]:
        try:
            return http_departments(value)
        except KeyError as exc:  # an unknown code: a typo must not silently leave a department unserved
            raise ValueError(str(exc)) from None
