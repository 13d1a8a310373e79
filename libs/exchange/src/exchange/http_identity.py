"""Signed callers on a service's HTTP API (调用身份): the FastAPI side of :mod:`exchange.request_signing`.

A service calls :func:`accept_signed_requests` once on its app, declares ``caller: SignedCaller`` on every
route that must know who asks, and ``responses=SIGNED_RESPONSES`` on that route, so its OpenAPI document
shows the 401 (not signed, or not signed right: which header, and every header needed, in Chinese and
English) and the 403 (signed, but not allowed). The signing hooks and :func:`signed_client` are the client
side for httpx (tests, ``onething call``, department adapters).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from exchange.request_signing import (
    REQUIRED_HEADERS,
    SIGNATURE_CHALLENGE,
    ReplayGuard,
    RequestIdentity,
    RequestRefused,
    sign_request,
    signed_target,
    verify_request,
)
from exchange.signing import KeyRing, Signer

__all__ = [
    "FORBIDDEN",
    "SIGNED_RESPONSES",
    "UNSIGNED",
    "SignedCaller",
    "accept_signed_requests",
    "async_signing_hook",
    "signed_caller",
    "signed_client",
    "signing_hook",
]


def accept_signed_requests(app: FastAPI, keyring: KeyRing) -> None:
    """The keys that verify callers, and a replay guard that accepts each request id once."""
    app.state.keyring, app.state.replay = keyring, ReplayGuard()


async def signed_caller(request: Request) -> RequestIdentity:
    """The principal that signed the request (401 otherwise)."""
    try:
        return verify_request(request.app.state.keyring, dict(request.headers), request.method,
                              signed_target(request.scope),
                              body=await request.body(), now=datetime.now(UTC), replay=request.app.state.replay)
    except RequestRefused as exc:
        raise HTTPException(401, detail=exc.to_json(), headers=SIGNATURE_CHALLENGE) from None


SignedCaller = Annotated[RequestIdentity, Depends(signed_caller)]


class SignatureRefusal(BaseModel):
    """Why a request was not accepted as signed (调用身份未通过)."""

    message_zh: str = Field(examples=["缺少请求头 OneThing-Purpose。签名调用须带齐请求头：…；做法见 docs/signing.md"])
    message_en: str = Field(examples=["missing header OneThing-Purpose. A signed request carries the headers …"])
    problem: str = Field(description="missing_headers | bad_signature_input | stale_date | unknown_principal | "
                                     "bad_digest | bad_signature | replayed", examples=["missing_headers"])
    headers: list[str] = Field(description="the header(s) missing or wrong", examples=[["OneThing-Purpose"]])
    required_headers: list[str] = Field(description="every header a signed request carries",
                                        examples=[list(REQUIRED_HEADERS)])


class Unsigned(BaseModel):
    detail: SignatureRefusal


class Message(BaseModel):
    message_zh: str
    message_en: str


class Forbidden(BaseModel):
    detail: Message


UNSIGNED: dict[str, Any] = {
    "model": Unsigned,
    "description": "未签名或签名无效：说明缺少或有误的请求头，并列出全部必需请求头 / not signed, or not signed right: "
                   f"names the header missing or wrong and every header needed ({', '.join(REQUIRED_HEADERS)}); "
                   "see docs/signing.md",
}
FORBIDDEN: dict[str, Any] = {"model": Forbidden, "description": "无权办理此事（已签名也须有权限）/ not allowed: "
                                                                 "the caller may not do this"}
SIGNED_RESPONSES: dict[int | str, dict[str, Any]] = {401: UNSIGNED, 403: FORBIDDEN}


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


def signed_client(signer: Signer, purpose: str, base_url: str, **options: Any) -> httpx.Client:
    """An ``httpx.Client`` on ``base_url`` whose every request is signed as ``signer`` for ``purpose``
    (办理用途): ``signed_client(KeyRing(keys).signer("dept.health"), "核验出生医学证明", url).get(path)``."""
    return httpx.Client(base_url=base_url, event_hooks={"request": [signing_hook(signer, purpose)]}, **options)
