"""API clients for a service's tests: an app in process (ASGI), each request signed as a chosen principal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from starlette.types import ASGIApp

from exchange.http_identity import async_signing_hook
from exchange.signing import KeyRing

__all__ = ["SignedClients", "signed_clients"]

SignedClients = Callable[[str | None], httpx.AsyncClient]


@asynccontextmanager
async def signed_clients(app: ASGIApp, keyring: KeyRing, purpose: str, base_url: str) -> AsyncIterator[SignedClients]:
    """``clients(principal)`` signs every request as ``principal`` stating ``purpose``; ``clients(None)`` signs
    nothing (an anonymous caller). Every client opened is closed on leaving."""
    opened: list[httpx.AsyncClient] = []

    def client(principal: str | None) -> httpx.AsyncClient:
        hooks = [] if principal is None else [async_signing_hook(keyring.signer(principal), purpose)]
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url,
                                 event_hooks={"request": hooks})
        opened.append(http)
        return http

    try:
        yield client
    finally:
        for http in opened:
            await http.aclose()
