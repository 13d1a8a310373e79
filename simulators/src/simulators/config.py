"""Simulator settings (``ONETHING_SIM_*`` besides the shared ``ONETHING_*``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from contracts.departments import DEPARTMENTS
from exchange.settings import ExchangeSettings


class SimulatorSettings(ExchangeSettings):
    service_name: ClassVar[str] = "simulators"
    default_http_port: ClassVar[int] = 8106

    sim_departments: list[str] = Field(default_factory=lambda: [d.code for d in DEPARTMENTS])
    sim_latency_ms_min: int = Field(default=20, ge=0)
    sim_latency_ms_max: int = Field(default=200, ge=0)
    # Two separate draws per item: deficiencies in the round-1 preliminary review (预审), then reject at handling.
    sim_correction_rate: float = Field(default=0.05, ge=0, le=1)
    sim_reject_rate: float = Field(default=0.05, ge=0, le=1)
    sim_registries: bool = True  # 人口/法人基础信息库 answer data-sharing lookups
    sim_seed: int = 20261121

    @model_validator(mode="after")
    def _latency_range(self) -> SimulatorSettings:
        if self.sim_latency_ms_max < self.sim_latency_ms_min:
            raise ValueError("sim_latency_ms_max must be >= sim_latency_ms_min")
        return self
