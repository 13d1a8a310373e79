"""``/healthz`` (the process is alive) and ``/readyz`` (every part of the service is ready).

``/readyz`` tells the truth about the parts a service depends on: the database (a ping with a short
timeout), the broker (a metadata request with a short timeout on the producer's own connection), each
consumer (partitions assigned and not waiting out an outage) and the outbox relay (not stalled). Each check
answers whether it passed and why; any failed check makes the answer 503.

``/healthz`` also shows figures an operator looks at first (``extras``: the dead letters per topic); a figure
that cannot be read now (its database is down) shows as null, and the process is still alive.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Response

__all__ = ["CHECK_TIMEOUT_S", "CheckResult", "ReadinessCheck", "health_router", "run_check"]

CheckResult = tuple[bool, str]  # passed, and why (or why not)
ReadinessCheck = Callable[[], Awaitable[CheckResult]]
CHECK_TIMEOUT_S = 2.0


async def run_check(check: ReadinessCheck, timeout_s: float = CHECK_TIMEOUT_S) -> CheckResult:
    """A check's answer; a check that does not answer in time, or fails, has not passed."""
    try:
        return await asyncio.wait_for(check(), timeout_s)
    except TimeoutError:
        return False, f"no answer within {timeout_s:g} s"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"[:500]
HealthFigure = Callable[[], Awaitable[object]]

logger = logging.getLogger(__name__)


def health_router(
    service: str, checks: Mapping[str, ReadinessCheck], extras: Mapping[str, HealthFigure] | None = None
) -> APIRouter:
    router = APIRouter(tags=["health"])

    async def figure(name: str, read: HealthFigure) -> object:
        try:
            return await asyncio.wait_for(read(), 2.0)
        except Exception as exc:  # liveness answers whatever a figure does
            logger.debug("health figure %s unavailable: %s", name, type(exc).__name__)
            return None

    @router.get("/healthz", summary="存活检查 Liveness (and dead letters per topic 各主题死信数)")
    async def healthz() -> dict[str, object]:
        return {"service": service, "status": "alive",
                **{name: await figure(name, read) for name, read in (extras or {}).items()}}

    @router.get("/readyz", summary="就绪检查 Readiness")
    async def readyz(response: Response) -> dict[str, object]:
        names = list(checks)
        answers = await asyncio.gather(*(run_check(checks[name]) for name in names))
        results = {name: {"ok": ok, "reason": reason} for name, (ok, reason) in zip(names, answers, strict=True)}
        ready = all(ok for ok, _ in answers)
        response.status_code = 200 if ready else 503
        return {"service": service, "ready": ready, "checks": results}

    return router
