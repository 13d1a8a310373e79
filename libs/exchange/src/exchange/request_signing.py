"""Signed HTTP requests between principals (接口调用身份认证): who is asking, for what purpose.

A department system, a service or an operator's console signs the method, the path and query, the date,
itself, the purpose (办理用途), a fresh request id and the sha256 of the body, with its Ed25519 key. The
receiving API checks the signature against the trust list of public keys, that the date is within
``max_skew`` of its own clock, and (with a :class:`ReplayGuard`) that it has not seen the request id
before: a captured request can neither be altered nor replayed. The receiver records the purpose with
every read of personal data. The guard lives in the receiving process: replicas behind one address need a
shared one.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

from exchange.errors import SignatureInvalid
from exchange.signing import KeyRing, Signer

__all__ = ["ReplayGuard", "RequestIdentity", "RequestRefused", "sign_request", "verify_request"]

PRINCIPAL = "X-OneThing-Principal"
DATE = "X-OneThing-Date"
PURPOSE = "X-OneThing-Purpose"  # percent-encoded UTF-8, so a Chinese purpose travels in a header
SIGNATURE = "X-OneThing-Signature"
REQUEST_ID = "X-OneThing-Request-Id"


class RequestRefused(Exception):
    """The request is not signed, or not signed right; ``message_zh`` / ``message_en`` say which."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True, slots=True)
class RequestIdentity:
    principal: str
    purpose: str


class ReplayGuard:
    """The request ids seen within the skew window, per principal: a second use is refused."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], datetime] = {}

    def first_use(self, principal: str, request_id: str, *, until: datetime, now: datetime) -> bool:
        self._seen = {key: expiry for key, expiry in self._seen.items() if expiry >= now}
        if (principal, request_id) in self._seen:
            return False
        self._seen[(principal, request_id)] = until
        return True


def _signed_text(method: str, target: str, date: str, principal: str, purpose: str, request_id: str,
                 body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{target}\n{date}\n{principal}\n{purpose}\n{request_id}\n{digest}".encode()


def sign_request(signer: Signer, method: str, target: str, *, purpose: str, body: bytes = b"",
                 at: datetime | None = None) -> dict[str, str]:
    """Headers that sign a request for ``target`` (path plus query string) with ``body``, as ``signer``."""
    date = (at or datetime.now(UTC)).astimezone(UTC).isoformat()
    encoded_purpose = quote(purpose, safe="")
    request_id = str(uuid.uuid4())
    return {
        PRINCIPAL: signer.principal,
        DATE: date,
        PURPOSE: encoded_purpose,
        REQUEST_ID: request_id,
        SIGNATURE: signer.sign_bytes(
            _signed_text(method, target, date, signer.principal, encoded_purpose, request_id, body)),
    }


def verify_request(
    keyring: KeyRing,
    headers: dict[str, str],
    method: str,
    target: str,
    *,
    body: bytes,
    now: datetime,
    replay: ReplayGuard | None = None,
    max_skew: timedelta = timedelta(minutes=5),
) -> RequestIdentity:
    """The identity a request proves; :class:`RequestRefused` when it proves none."""
    lowered = {name.lower(): value for name, value in headers.items()}
    principal, date = lowered.get(PRINCIPAL.lower()), lowered.get(DATE.lower())
    purpose, signature = lowered.get(PURPOSE.lower()), lowered.get(SIGNATURE.lower())
    request_id = lowered.get(REQUEST_ID.lower())
    if not principal or not date or not signature or not request_id:
        raise RequestRefused("需要签名的调用身份",
                             f"sign the request ({PRINCIPAL}, {DATE}, {REQUEST_ID}, {SIGNATURE})")
    if not purpose:
        raise RequestRefused("需写明调用用途", f"state the purpose of the request ({PURPOSE})")
    try:
        signed_at = datetime.fromisoformat(date)
    except ValueError:
        raise RequestRefused("请求时间格式无效", f"{DATE} is not an ISO date-time") from None
    if signed_at.tzinfo is None or abs(now - signed_at) > max_skew:
        raise RequestRefused("请求时间超出允许范围", f"{DATE} is more than {max_skew} away from the server's clock")
    try:
        keyring.verify_bytes(principal, _signed_text(method, target, date, principal, purpose, request_id, body),
                             signature)
    except SignatureInvalid:
        raise RequestRefused("调用身份签名验证失败", f"the signature does not verify with {principal!r}'s key") from None
    if replay is not None and not replay.first_use(principal, request_id, until=signed_at + max_skew, now=now):
        raise RequestRefused("重复的请求", f"request {request_id} was already received (replay)")
    return RequestIdentity(principal, unquote(purpose))
