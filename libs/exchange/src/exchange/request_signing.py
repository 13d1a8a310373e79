"""Signed HTTP requests between principals (接口调用身份认证): who is asking, for what purpose.

A department system, a service or an operator's console signs ``METHOD\\npath?query\\ndate\\nprincipal\\npurpose``
with its Ed25519 key; the receiving API checks the signature against the trust list of public keys and
that the date is within ``max_skew`` of its own clock. The purpose (办理用途) is recorded by the receiver
with every read of personal data. A captured request can be replayed within the skew window, so this
guards reads; writes that must happen once carry their own idempotency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

from exchange.errors import SignatureInvalid
from exchange.signing import KeyRing, Signer

__all__ = ["RequestIdentity", "RequestRefused", "sign_request", "verify_request"]

PRINCIPAL = "X-OneThing-Principal"
DATE = "X-OneThing-Date"
PURPOSE = "X-OneThing-Purpose"  # percent-encoded UTF-8, so a Chinese purpose travels in a header
SIGNATURE = "X-OneThing-Signature"


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


def _signed_text(method: str, target: str, date: str, principal: str, purpose: str) -> bytes:
    return f"{method.upper()}\n{target}\n{date}\n{principal}\n{purpose}".encode()


def sign_request(signer: Signer, method: str, target: str, *, purpose: str, at: datetime | None = None) -> dict[str, str]:
    """Headers that sign a request for ``target`` (path plus query string) on behalf of ``signer``."""
    date = (at or datetime.now(UTC)).astimezone(UTC).isoformat()
    encoded_purpose = quote(purpose, safe="")
    return {
        PRINCIPAL: signer.principal,
        DATE: date,
        PURPOSE: encoded_purpose,
        SIGNATURE: signer.sign_bytes(_signed_text(method, target, date, signer.principal, encoded_purpose)),
    }


def verify_request(
    keyring: KeyRing,
    headers: dict[str, str],
    method: str,
    target: str,
    *,
    now: datetime,
    max_skew: timedelta = timedelta(minutes=5),
) -> RequestIdentity:
    """The identity a request proves; :class:`RequestRefused` when it proves none."""
    lowered = {name.lower(): value for name, value in headers.items()}
    principal, date = lowered.get(PRINCIPAL.lower()), lowered.get(DATE.lower())
    purpose, signature = lowered.get(PURPOSE.lower()), lowered.get(SIGNATURE.lower())
    if not principal or not date or not signature:
        raise RequestRefused("需要签名的调用身份", f"sign the request ({PRINCIPAL}, {DATE}, {SIGNATURE})")
    if not purpose:
        raise RequestRefused("需写明调用用途", f"state the purpose of the request ({PURPOSE})")
    try:
        signed_at = datetime.fromisoformat(date)
    except ValueError:
        raise RequestRefused("请求时间格式无效", f"{DATE} is not an ISO date-time") from None
    if signed_at.tzinfo is None or abs(now - signed_at) > max_skew:
        raise RequestRefused("请求时间超出允许范围", f"{DATE} is more than {max_skew} away from the server's clock")
    try:
        keyring.verify_bytes(principal, _signed_text(method, target, date, principal, purpose), signature)
    except SignatureInvalid:
        raise RequestRefused("调用身份签名验证失败", f"the signature does not verify with {principal!r}'s key") from None
    return RequestIdentity(principal, unquote(purpose))
