"""The scenarios of ``onething chaos`` (故障场景): a name, what the system must have for it, and its faults.

``span_s`` is how long the batch is expected to keep cases in flight; each scenario spreads its faults
over it (a kill at a random moment inside it, connection terminations throughout it, …).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from onething.chaos import faults
from onething.chaos.target import Target
from onething.processes import PROCESSES

__all__ = ["ALL", "SCENARIOS", "Scenario", "resolve"]

Inject = Callable[[Target, random.Random, float], Coroutine[Any, Any, str]]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    inject: Inject
    needs_postgres: bool = False
    needs_embedded_broker: bool = False
    needs_department_faults: bool = False

    async def unavailable(self, target: Target) -> str | None:
        """Why this scenario cannot run on ``target`` (skipped), else None."""
        if self.needs_postgres and not target.databases:
            return "skipped: needs PostgreSQL (--database-url); the embedded default is SQLite 需要 PostgreSQL"
        if self.needs_embedded_broker and not target.embedded_broker:
            return "skipped: needs the embedded broker (an external Kafka is not ours to kill)"
        if self.needs_department_faults:
            try:
                await faults.probe_department_faults(target)
            except faults.NotAvailable as exc:
                return f"not available: {exc}"
        return None


def _kill(name: str) -> Inject:
    async def inject(target: Target, rng: random.Random, span_s: float) -> str:
        return await faults.kill(target, name, after_s=rng.uniform(0.5, max(1.0, span_s)))
    return inject


def _department(mode: str) -> Inject:
    async def inject(target: Target, rng: random.Random, span_s: float) -> str:
        return await faults.department_fault(target, mode, for_s=max(3.0, span_s))
    return inject


async def _db_connections(target: Target, rng: random.Random, span_s: float) -> str:
    return await faults.terminate_connections(target, for_s=max(4.0, span_s), every_s=1.0)


async def _db_outage(target: Target, rng: random.Random, span_s: float) -> str:
    return await faults.refuse_connections(target, for_s=max(5.0, min(span_s, 30.0)))


async def _poison(target: Target, rng: random.Random, span_s: float) -> str:
    rounds = min(5, max(2, int(span_s / 2)))
    return await faults.poison(target, rng, rounds=rounds, every_s=span_s / rounds)


SCENARIOS: dict[str, Scenario] = {
    **{f"kill-{p.name}": Scenario(f"kill-{p.name}", f"SIGKILL {p.name} at a random moment; the supervisor restarts it",
                                  _kill(p.name)) for p in PROCESSES},
    "poison": Scenario("poison", "malformed, oversized, unsigned, wrongly signed and misaddressed records on every topic",
                       _poison),
    "dept-silent": Scenario("dept-silent", "every department stops answering for a while", _department("silent"),
                            needs_department_faults=True),
    "dept-slow": Scenario("dept-slow", "every department answers late for a while", _department("slow"),
                          needs_department_faults=True),
    "dept-errors": Scenario("dept-errors", "every department answers with errors for a while", _department("errors"),
                            needs_department_faults=True),
    "db-connections": Scenario("db-connections", "pg_terminate_backend of every service connection, every second",
                               _db_connections, needs_postgres=True),
    "db-outage": Scenario("db-outage", "the databases refuse connections (ALLOW_CONNECTIONS false), then allow them",
                          _db_outage, needs_postgres=True),
    # Last in `all`: the embedded broker keeps nothing, so what runs after it depends on broker recovery too.
    "kill-broker": Scenario("kill-broker", "SIGKILL the embedded broker; the supervisor restarts it on its port",
                            _kill("broker"), needs_embedded_broker=True),
}
ALL = tuple(SCENARIOS)


def resolve(names: list[str]) -> list[Scenario]:
    """The scenarios named (``all``: every one, in the order of :data:`SCENARIOS`)."""
    if "all" in names:
        return list(SCENARIOS.values())
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise KeyError(f"unknown scenario {', '.join(unknown)}; choose from all, {', '.join(SCENARIOS)}")
    return [SCENARIOS[n] for n in dict.fromkeys(names)]
