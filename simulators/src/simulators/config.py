"""Simulator settings (``ONETHING_SIM_*`` besides the shared ``ONETHING_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from contracts.departments import DEPARTMENTS, http_departments
from exchange.settings import EMBEDDED_HTTP_PORTS, ExchangeSettings


class SimulatorSettings(ExchangeSettings):
    service_name: ClassVar[str] = "simulators"
    default_http_port: ClassVar[int] = EMBEDDED_HTTP_PORTS["simulators"]

    sim_departments: list[str] = Field(default_factory=lambda: [d.code for d in DEPARTMENTS])
    sim_latency_ms_min: int = Field(default=20, ge=0)
    sim_latency_ms_max: int = Field(default=200, ge=0)
    # Two separate draws per item: deficiencies in the round-1 preliminary review (预审), then reject at handling.
    sim_correction_rate: float = Field(default=0.05, ge=0, le=1)
    sim_reject_rate: float = Field(default=0.05, ge=0, le=1)
    sim_registries: bool = True  # 人口/法人基础信息库 answer data-sharing lookups
    sim_seed: int = 20261121
    # Departments that answer over HTTP through the gateway (the gateway's own setting, read here too): the
    # simulators leave them alone, so a request is never answered twice.
    gateway_departments: Annotated[dict[str, str | None], NoDecode] = Field(default_factory=dict)

    @property
    def simulated_departments(self) -> list[str]:
        return [code for code in self.sim_departments if code not in self.gateway_departments]

    @field_validator("gateway_departments", mode="before")
    @classmethod
    def _parse_gateway_departments(cls, value: object) -> dict[str, str | None]:
        try:
            return http_departments(value)
        except KeyError as exc:
            raise ValueError(str(exc)) from None

    @property
    def holds_path(self) -> Path:
        """Where the held cases and their parked requests are kept across restarts (压件记录)."""
        return self.data_dir / "simulator-holds.json"

    @model_validator(mode="after")
    def _latency_range(self) -> SimulatorSettings:
        if self.sim_latency_ms_max < self.sim_latency_ms_min:
            raise ValueError("sim_latency_ms_max must be >= sim_latency_ms_min")
        return self
