"""``/healthz`` (the process is alive) and ``/readyz`` (every part of the service is ready)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Response

__all__ = ["ReadinessCheck", "health_router"]

ReadinessCheck = Callable[[], Awaitable[bool]]


def health_router(service: str, checks: Mapping[str, ReadinessCheck]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="存活检查 Liveness")
    async def healthz() -> dict[str, str]:
        return {"service": service, "status": "alive"}

    @router.get("/readyz", summary="就绪检查 Readiness")
    async def readyz(response: Response) -> dict[str, object]:
        results = {name: await check() for name, check in checks.items()}
        ready = all(results.values())
        response.status_code = 200 if ready else 503
        return {"service": service, "ready": ready, "checks": results}

    return router
