"""Every process of the system and how it is started (进程清单).

``onething up``, the test fixtures and ``docker-compose.yml`` all follow this one table: the
compose test checks that every process here has a container running the same module.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    ProcessSpec("intake", "intake", 8101, True, "受理：一件事目录、一表申请、办件、一次送达", "Intake: catalogue, one form, case, one-pass delivery"),
    ProcessSpec("dispatch", "dispatch", 8102, True, "分办：部门任务、并联/串联、结果汇集", "Dispatch: department tasks, parallel/sequential release, joining results"),
    ProcessSpec("licence", "licence", 8103, True, "电子证照：签发、验真、撤销、档案、复用", "Licence: sealed e-licences, verification, revocation, archives, reuse"),
    ProcessSpec("supervision", "supervision", 8104, True, "电子监察：法定时限", "Supervision: statutory clocks"),
    ProcessSpec("rating", "rating", 8105, True, "好差评", "Rating (好差评)"),
    ProcessSpec("simulators", "simulators", 8106, False, "部门业务系统模拟器", "Department system simulators"),
    ProcessSpec("gateway", "gateway", 8107, True, "部门接入网关：HTTP 轮询、回调、签名答复", "Department gateway: HTTP poll, callback, signed answers"),
)
