"""The FastAPI side of access control (接口鉴权): every protected route names the roles it allows.

``caller: Annotated[Caller, Depends(Allow(Role.CLERK, Role.APPLICANT))]`` on a route: a bearer token
(``Authorization: Bearer …``) or a signed request proves the caller (401 otherwise, naming what is wrong and
how to get a token); a caller without one of the roles gets 403. The route then takes window, staff,
department and identity from the :class:`Caller`, never from the body. The OpenAPI document declares both
schemes (``bearer`` JWT and ``signedRequest``) on every protected route.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from exchange.access.roles import ROLE_ZH, Caller, Role, signed_caller_roles
from exchange.access.tokens import IssuerUnreachable, TokenRefused, TokenVerifier
from exchange.request_signing import (
    REQUIRED_HEADERS,
    SIGNATURE_CHALLENGE,
    SIGNATURE_INPUT,
    ReplayGuard,
    RequestRefused,
    signed_target,
    verify_request,
)
from exchange.signing import KeyRing

__all__ = ["ACCESS_RESPONSES", "Access", "Allow", "accept_callers", "authenticated_caller", "proves_itself"]

SIGN_IN_HELP_ZH = "请先向统一身份认证平台获取访问令牌（POST /oauth/token），以 Authorization: Bearer <令牌> 调用；做法见 docs/security.md"
SIGN_IN_HELP_EN = ("get an access token from the identity platform (POST /oauth/token) and send it as "
                 "Authorization: Bearer <token>; see docs/security.md")

_bearer = HTTPBearer(auto_error=False, scheme_name="bearer", bearerFormat="JWT",
                     description="OAuth 2.0 访问令牌 bearer token from 统一身份认证 (POST /oauth/token on the identity "
                                 "platform; in the embedded default the simulators' port)")
_signed = APIKeyHeader(name=SIGNATURE_INPUT, auto_error=False, scheme_name="signedRequest",
                       description="签名调用 a request signed by a department system or an operator's console: "
                                   "RFC 9421 HTTP message signature (Ed25519, label onething) over the method, path, "
                                   "query, Content-Digest (RFC 9530) and OneThing-Purpose (docs/signing.md)")


@dataclass
class Access:
    """How this service proves callers: the token verifier, and the keys and role rules for signed requests."""

    verifier: TokenVerifier | None
    keyring: KeyRing | None
    signed_roles: tuple[tuple[str, Role], ...] = (("dept.*", Role.DEPARTMENT), ("operator", Role.OPERATOR))
    replay: ReplayGuard = field(default_factory=ReplayGuard)


def accept_callers(app: FastAPI, access: Access) -> None:
    """Install ``access`` on the app (the runtime does it for every service; tests for the apps they build)."""
    app.state.access = access
    if access.keyring is not None and not hasattr(app.state, "keyring"):  # routes that take SignedCaller too
        app.state.keyring, app.state.replay = access.keyring, access.replay


PROVEN_BEARER = "onething.proven_bearer"  # request state: (token, Caller) the edge already verified


async def proves_itself(access: Access | None, headers: Mapping[str, str], method: str, target: str,
                        body: bytes, state: dict[str, object] | None = None) -> bool:
    """Whether a request's bearer token or signature checks out, for the edge's rate limit: only a caller
    who proves who it is goes unlimited (any ``Authorization`` header would otherwise do). The signature is
    checked without spending its request id; the route spends it. A verified bearer token is kept in ``state``
    (the request's), so the route does not verify it a second time."""
    if access is None:
        return False
    lowered = {name.lower(): value for name, value in headers.items()}
    scheme, _, token = lowered.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip() and access.verifier is not None:
        try:
            caller = await access.verifier.verify(token.strip())
        except (TokenRefused, IssuerUnreachable):
            pass
        else:
            if state is not None:
                state[PROVEN_BEARER] = (token.strip(), caller)
            return True
    if SIGNATURE_INPUT.lower() in lowered and access.keyring is not None:
        try:
            verify_request(access.keyring, dict(headers), method, target, body=body, now=datetime.now(UTC))
            return True
        except RequestRefused:
            pass
    return False


def _unauthenticated(problem: str, message_zh: str, message_en: str) -> HTTPException:
    return HTTPException(401, headers={"WWW-Authenticate": 'Bearer realm="onething", error="invalid_token"'
                                       if problem != "missing" else 'Bearer realm="onething"'},
                         detail={"problem": problem, "message_zh": f"{message_zh}。{SIGN_IN_HELP_ZH}",
                                 "message_en": f"{message_en}; {SIGN_IN_HELP_EN}",
                                 # or, for department systems and consoles, a signed request (docs/signing.md)
                                 "required_headers": list(REQUIRED_HEADERS)})


async def authenticated_caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    signed_by: Annotated[str | None, Depends(_signed)],
) -> Caller:
    """The caller a request signature or a bearer token proves (401 when neither does)."""
    access: Access | None = getattr(request.app.state, "access", None)
    # A signed request is the stronger proof (it binds the body, a purpose and a one-time id): it wins over a
    # bearer token sent beside it.
    if signed_by is not None and access is not None and access.keyring is not None:
        try:
            identity = verify_request(access.keyring, dict(request.headers), request.method, signed_target(request.scope),
                                      body=await request.body(), now=datetime.now(UTC), replay=access.replay)
        except RequestRefused as exc:
            raise HTTPException(401, detail=exc.to_json(), headers=SIGNATURE_CHALLENGE) from None
        roles, department = signed_caller_roles(identity.principal, access.signed_roles)
        return Caller(subject=identity.principal, roles=roles, via="signature", department=department,
                      purpose=identity.purpose)
    if bearer is not None:
        proven = getattr(request.state, PROVEN_BEARER, None)
        if isinstance(proven, tuple) and proven[0] == bearer.credentials and isinstance(proven[1], Caller):
            return proven[1]  # the edge verified this very token for its rate limit a moment ago
        if access is None or access.verifier is None:
            raise _unauthenticated("no_issuer", "本服务未配置可信的身份认证平台", "this service trusts no token issuer")
        try:
            return await access.verifier.verify(bearer.credentials)
        except TokenRefused as exc:
            raise _unauthenticated(exc.problem, exc.message_zh, exc.message_en) from None
        except IssuerUnreachable as exc:
            raise HTTPException(503, headers={"Retry-After": "5"}, detail={
                "problem": "issuer_unreachable", "message_zh": "暂时无法核验访问令牌（身份认证平台不可达），请稍后重试",
                "message_en": f"the token cannot be checked right now: {exc}"}) from None
    raise _unauthenticated("missing", "未登录：缺少访问令牌（或签名调用的请求头）",
                           "not authenticated: no bearer token (nor the headers of a signed request)")


class Allow:
    """A route dependency: the caller, if it holds one of ``roles`` (403 naming them otherwise)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, caller: Annotated[Caller, Depends(authenticated_caller)]) -> Caller:
        if not caller.has(*self.roles):
            raise forbidden(self.roles)
        return caller


def forbidden(roles: Iterable[Role], what_zh: str = "", what_en: str = "") -> HTTPException:
    allowed = sorted(roles)
    return HTTPException(403, detail={
        "message_zh": what_zh or f"无权办理：仅限{'、'.join(ROLE_ZH[r] for r in allowed)}",
        "message_en": what_en or f"not allowed: only for {', '.join(r.value for r in allowed)}",
        "roles": [r.value for r in allowed]})


class _Refusal(BaseModel):
    problem: str | None = Field(default=None, examples=["missing"])
    message_zh: str = Field(examples=[f"未登录：缺少访问令牌。{SIGN_IN_HELP_ZH}"])
    message_en: str = Field(examples=[f"not authenticated: no bearer token; {SIGN_IN_HELP_EN}"])
    required_headers: list[str] = Field(default_factory=list, description="the headers of a signed request, the "
                                        "other way in for department systems (docs/signing.md)")


class _Unauthenticated(BaseModel):
    detail: _Refusal


class _Denial(BaseModel):
    message_zh: str
    message_en: str
    roles: list[str] = Field(description="the roles that may", examples=[["clerk", "applicant"]])


class _Forbidden(BaseModel):
    detail: _Denial


ACCESS_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": _Unauthenticated, "description": "未认证：无访问令牌、令牌无效或过期，或签名有误 / not authenticated"},
    403: {"model": _Forbidden, "description": "无权办理：角色不符，或不是本人的 / not allowed for this caller"},
}
