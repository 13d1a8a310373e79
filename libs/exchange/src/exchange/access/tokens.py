"""OAuth 2.0 bearer tokens (访问令牌): signed JWTs with issuer, audience, expiry and roles.

The issuer is the unified identity platform (统一身份认证): the simulated one in the embedded default signs
with the Ed25519 key of principal ``identity``; in production any OIDC provider, whose keys are read from its
JWKS URL. Services only verify (:class:`TokenVerifier`). Claims besides the registered ones: ``roles``, and
per role ``department``, ``window_id``/``staff_id``/``channel`` (clerk), ``id_number``/``name``/``channel``
(applicant) and ``organisation`` (an applicant signed in with an enterprise's 法人 account: its credit code).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.algorithms import OKPAlgorithm

from exchange.access.roles import Caller, Role
from exchange.base64url import b64
from exchange.ed25519 import SigningKey, VerifyKey
from exchange.errors import SignatureInvalid
from exchange.signing import KeyRing

__all__ = ["ALGORITHM", "DEFAULT_AUDIENCE", "DEFAULT_ISSUER", "IDENTITY_PRINCIPAL", "IssuerUnreachable", "TokenRefused",
           "TokenVerifier", "issue_token", "jwk_of"]

ALGORITHM = "EdDSA"  # Ed25519, as every other signature on the platform
IDENTITY_PRINCIPAL = "identity"  # the key id of 统一身份认证 in the embedded default
DEFAULT_ISSUER = "onething-identity"
DEFAULT_AUDIENCE = "onething"
_CLAIMS = ("department", "window_id", "staff_id", "channel", "id_number", "name", "organisation")


class TokenRefused(Exception):
    """The bearer token does not prove a caller: ``problem`` is ``malformed``, ``expired``, ``bad_signature``,
    ``wrong_issuer``, ``wrong_audience`` or ``no_roles``."""

    def __init__(self, problem: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.problem, self.message_zh, self.message_en = problem, message_zh, message_en


class IssuerUnreachable(Exception):
    """The identity platform's published keys could not be fetched: the token may well be good, so this is the
    service's 503 (try again), never the caller's 401."""


def issue_token(key: SigningKey, *, key_id: str, issuer: str, audience: str, subject: str,
                roles: Sequence[Role], ttl_s: int, claims: Mapping[str, str] | None = None,
                now: float | None = None) -> str:
    """A signed access token for ``subject`` with ``roles``, valid ``ttl_s`` seconds."""
    issued = int(time.time() if now is None else now)
    payload: dict[str, Any] = {
        "iss": issuer, "aud": audience, "sub": subject, "iat": issued, "nbf": issued, "exp": issued + ttl_s,
        "jti": uuid.uuid4().hex, "roles": [r.value for r in roles],
        **{k: v for k, v in (claims or {}).items() if k in _CLAIMS and v is not None},
    }
    return jwt.encode(payload, _jose_key("private", key.seed, key.to_pem), algorithm=ALGORITHM,
                      headers={"kid": key_id})


_PREPARED: dict[tuple[str, bytes], Any] = {}


def _jose_key(kind: str, raw: bytes, pem: Callable[[], bytes]) -> Any:
    """One of our keys as PyJWT's backend holds it, parsed once per key (found by its raw bytes: a rotated key is
    another entry), not on every token: handed PEM, PyJWT parses it on each call."""
    prepared = _PREPARED.get((kind, raw))
    if prepared is None:
        prepared = _PREPARED[(kind, raw)] = OKPAlgorithm().prepare_key(pem())
    return prepared


def jwk_of(key: VerifyKey, key_id: str) -> dict[str, Any]:
    """The public key as a JWK (RFC 8037 OKP), for a JWKS document."""
    return {"kty": "OKP", "crv": "Ed25519", "x": b64(key.raw), "kid": key_id, "use": "sig", "alg": ALGORITHM}


@dataclass
class TokenVerifier:
    """Checks a bearer token and turns its claims into a :class:`Caller`.

    Keys come from the key ring (the embedded default: ``kid`` names a principal, and only ``trusted_kids``
    are accepted) or, with ``jwks_url``, from an OIDC provider's published keys (fetched off the event loop,
    cached by PyJWT). PyJWT is the JOSE layer only: it is handed the platform's keys as PEM (RFC 8410) and runs
    EdDSA through its own backend.
    """

    issuer: str
    audience: str
    keyring: KeyRing | None = None
    trusted_kids: tuple[str, ...] = (IDENTITY_PRINCIPAL,)
    jwks_url: str | None = None
    leeway_s: int = 30

    def __post_init__(self) -> None:
        self._jwks = jwt.PyJWKClient(self.jwks_url, timeout=5) if self.jwks_url else None

    async def verify(self, token: str) -> Caller:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRefused("malformed", "访问令牌格式错误", "the bearer token is not a JWT") from None
        if header.get("alg") != ALGORITHM:
            raise TokenRefused("malformed", f"访问令牌须以 {ALGORITHM} 签名", f"the token must be signed {ALGORITHM}")
        key = await self._key(token, header)
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=self.audience, issuer=self.issuer,
                                leeway=self.leeway_s, options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError:
            raise TokenRefused("expired", "访问令牌已过期，请重新获取", "the token has expired: get a new one") from None
        except jwt.InvalidAudienceError:
            raise TokenRefused("wrong_audience", "访问令牌不是签发给本平台的",
                               f"the token's audience is not {self.audience}") from None
        except jwt.InvalidIssuerError:
            raise TokenRefused("wrong_issuer", "访问令牌不是受信任的身份认证平台签发的",
                               f"the token was not issued by {self.issuer}") from None
        except jwt.InvalidSignatureError:
            raise TokenRefused("bad_signature", "访问令牌签名无效", "the token's signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise TokenRefused("malformed", "访问令牌无效", f"the token is not valid: {exc}") from None
        return caller_from_claims(claims)

    async def _key(self, token: str, header: Mapping[str, Any]) -> Any:
        if self._jwks is not None:
            try:
                return (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
            except jwt.PyJWKClientConnectionError as exc:
                raise IssuerUnreachable(f"the identity platform's keys ({self.jwks_url}) are unreachable: {exc}") \
                    from None
            except jwt.PyJWKClientError as exc:
                raise TokenRefused("bad_signature", "无法取得访问令牌的签名公钥",
                                   f"no published key verifies the token: {exc}") from None
        kid = header.get("kid")
        if self.keyring is None or kid not in self.trusted_kids:
            raise TokenRefused("bad_signature", "访问令牌的签名密钥不受信任", f"untrusted token key id {kid!r}")
        try:
            public = self.keyring.public_key(str(kid))
            return _jose_key("public", public.raw, public.to_pem)
        except SignatureInvalid:  # the issuer's public key is not in the keys folder
            raise TokenRefused("bad_signature", "本服务没有身份认证平台的公钥", f"no public key for {kid!r} here") from None


def caller_from_claims(claims: Mapping[str, Any]) -> Caller:
    known = {r.value for r in Role}
    listed = claims.get("roles")
    roles = frozenset(Role(r) for r in listed if isinstance(r, str) and r in known) if isinstance(listed, list) \
        else frozenset()
    if not roles:
        raise TokenRefused("no_roles", "访问令牌没有本平台的角色", "the token grants none of the platform's roles")
    def claim(name: str) -> str | None:
        value = claims.get(name)
        return value if isinstance(value, str) else None

    return Caller(subject=str(claims["sub"]), roles=roles, via="token", department=claim("department"),
                  window_id=claim("window_id"), staff_id=claim("staff_id"), channel=claim("channel"),
                  id_number=claim("id_number"), name=claim("name"), organisation=claim("organisation"))
