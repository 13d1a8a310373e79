"""Every process of the system and how it is started (进程清单).

``onething up``, the test fixtures and ``docker-compose.yml`` all follow this one table: the
compose test checks that every process here has a container running the same module.
"""

from __future__ import annotations

from dataclasses import dataclass

from exchange.settings import EMBEDDED_HTTP_PORTS

__all__ = ["PROCESSES", "ProcessSpec"]


@dataclass(frozen=True, slots=True)
class ProcessSpec:
    name: str  # also the compose service name
    module: str  # started as `python -m <module>`
    default_port: int  # HTTP port for /healthz, /readyz and the API
    has_database: bool
    description_zh: str
    description_en: str


PROCESSES: tuple[ProcessSpec, ...] = (
    ProcessSpec("intake", "intake", EMBEDDED_HTTP_PORTS["intake"], True, "受理：一件事目录、一表申请、办件、一次送达", "Intake: catalogue, one form, case, one-pass delivery"),
    ProcessSpec("dispatch", "dispatch", EMBEDDED_HTTP_PORTS["dispatch"], True, "分办：部门任务、并联/串联、结果汇集", "Dispatch: department tasks, parallel/sequential release, joining results"),
    ProcessSpec("licence", "licence", EMBEDDED_HTTP_PORTS["licence"], True, "电子证照：签发、验真、撤销、档案、复用", "Licence: sealed e-licences, verification, revocation, archives, reuse"),
    ProcessSpec("supervision", "supervision", EMBEDDED_HTTP_PORTS["supervision"], True, "电子监察：法定时限", "Supervision: statutory clocks"),
    ProcessSpec("rating", "rating", EMBEDDED_HTTP_PORTS["rating"], True, "好差评", "Rating (好差评)"),
    ProcessSpec("simulators", "simulators", EMBEDDED_HTTP_PORTS["simulators"], False, "部门业务系统模拟器", "Department system simulators"),
    ProcessSpec("gateway", "gateway", EMBEDDED_HTTP_PORTS["gateway"], True, "部门接入网关：HTTP 轮询、回调、签名答复", "Department gateway: HTTP poll, callback, signed answers"),
)
