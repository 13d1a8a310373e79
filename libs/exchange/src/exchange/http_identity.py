"""Signed callers on a service's HTTP API (调用身份): the FastAPI side of :mod:`exchange.request_signing`.

A service calls :func:`accept_signed_requests` once on its app and declares ``caller: SignedCaller`` on
every route that must know who asks; an unsigned or badly signed request is answered 401 in Chinese and
English. the signing hooks are the client side for httpx (tests, the CLI, department adapters).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request

from exchange.request_signing import ReplayGuard, RequestIdentity, RequestRefused, sign_request, verify_request
from exchange.signing import KeyRing, Signer

__all__ = ["SignedCaller", "accept_signed_requests", "async_signing_hook", "signed_caller", "signing_hook"]


def accept_signed_requests(app: FastAPI, keyring: KeyRing) -> None:
    """The keys that verify callers, and a replay guard that accepts each request id once."""
    app.state.keyring, app.state.replay = keyring, ReplayGuard()


async def signed_caller(request: Request) -> RequestIdentity:
    """The principal that signed the request (401 otherwise)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        return verify_request(request.app.state.keyring, dict(request.headers), request.method, target,
                              body=await request.body(), now=datetime.now(UTC), replay=request.app.state.replay)
    except RequestRefused as exc:
        raise HTTPException(401, detail={"message_zh": exc.message_zh, "message_en": exc.message_en}) from None


SignedCaller = Annotated[RequestIdentity, Depends(signed_caller)]


def signing_hook(signer: Signer, purpose: str) -> Callable[[httpx.Request], None]:
    """An httpx request hook (for ``httpx.Client``) that signs every request as ``signer`` for ``purpose``."""

    def sign(request: httpx.Request) -> None:
        request.headers.update(sign_request(signer, request.method, request.url.raw_path.decode(), purpose=purpose,
                                            body=request.content))

    return sign


def async_signing_hook(signer: Signer, purpose: str) -> Callable[[httpx.Request], Awaitable[None]]:
    """The same for ``httpx.AsyncClient``, whose hooks must be coroutines."""
    sign = signing_hook(signer, purpose)

    async def sign_async(request: httpx.Request) -> None:
        sign(request)

    return sign_async
