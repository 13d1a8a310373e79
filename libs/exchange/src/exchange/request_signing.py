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

__all__ = [
    "REQUIRED_HEADERS",
    "ReplayGuard",
    "RequestIdentity",
    "RequestRefused",
    "sign_request",
    "signed_text",
    "verify_request",
]

PRINCIPAL = "X-OneThing-Principal"
DATE = "X-OneThing-Date"
PURPOSE = "X-OneThing-Purpose"  # percent-encoded UTF-8, so a Chinese purpose travels in a header
SIGNATURE = "X-OneThing-Signature"
REQUEST_ID = "X-OneThing-Request-Id"

# Every header a signed request carries, with what it says (请求头及含义), in the order of the signed text.
HEADER_MEANINGS: dict[str, tuple[str, str]] = {
    PRINCIPAL: ("调用方", "who signs: a key id such as dept.health"),
    DATE: ("签名时间", "when it was signed: ISO 8601 with offset"),
    PURPOSE: ("调用用途", "what for: percent-encoded UTF-8"),
    REQUEST_ID: ("请求编号", "a fresh id per request"),
    SIGNATURE: ("签名", "Ed25519 over the signed text, base64url without padding"),
}
REQUIRED_HEADERS: tuple[str, ...] = tuple(HEADER_MEANINGS)
GUIDE = "docs/signing.md"

_REQUIRED_ZH = "、".join(f"{name}（{zh}）" for name, (zh, _) in HEADER_MEANINGS.items())
_REQUIRED_EN = ", ".join(f"{name} ({en})" for name, (_, en) in HEADER_MEANINGS.items())


class RequestRefused(Exception):
    """The request is not signed, or not signed right.

    ``problem`` is a fixed code (``missing_headers``, ``bad_date``, ``stale_date``, ``unknown_principal``,
    ``bad_signature``, ``replayed``); ``headers`` the header(s) missing or wrong; ``message_zh`` /
    ``message_en`` say which, and name every header a signed request needs.
    """

    def __init__(self, problem: str, headers: tuple[str, ...], what_zh: str, what_en: str) -> None:
        self.problem = problem
        self.headers = headers
        self.message_zh = f"{what_zh}。签名调用须带齐请求头：{_REQUIRED_ZH}；做法见 {GUIDE}"
        self.message_en = f"{what_en}. A signed request carries the headers {_REQUIRED_EN}; see {GUIDE}"
        super().__init__(self.message_en)

    def to_json(self) -> dict[str, object]:
        return {"message_zh": self.message_zh, "message_en": self.message_en, "problem": self.problem,
                "headers": list(self.headers), "required_headers": list(REQUIRED_HEADERS)}


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


def signed_text(method: str, target: str, date: str, principal: str, purpose: str, request_id: str,
                body: bytes) -> bytes:
    """The bytes a request signature covers: seven lines joined by LF, UTF-8, no trailing newline —
    the method in upper case, the target (path and query as sent), the date, principal, percent-encoded
    purpose and request id exactly as in their headers, and the lower-case hex sha256 of the body."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{target}\n{date}\n{principal}\n{purpose}\n{request_id}\n{digest}".encode()


def sign_request(signer: Signer, method: str, target: str, *, purpose: str, body: bytes = b"",
                 at: datetime | None = None, request_id: str | None = None) -> dict[str, str]:
    """Headers that sign a request for ``target`` (path plus query string) with ``body``, as ``signer``.

    ``request_id`` defaults to a fresh UUID; pass one only to reproduce a signature (test vectors)."""
    date = (at or datetime.now(UTC)).astimezone(UTC).isoformat()
    encoded_purpose = quote(purpose, safe="")
    request_id = request_id or str(uuid.uuid4())
    return {
        PRINCIPAL: signer.principal,
        DATE: date,
        PURPOSE: encoded_purpose,
        REQUEST_ID: request_id,
        SIGNATURE: signer.sign_bytes(
            signed_text(method, target, date, signer.principal, encoded_purpose, request_id, body)),
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
    """The identity a request proves; :class:`RequestRefused`, naming the header at fault, when it proves none."""
    lowered = {name.lower(): value for name, value in headers.items()}
    missing = tuple(name for name in REQUIRED_HEADERS if not lowered.get(name.lower()))
    if missing:
        listed = ", ".join(missing)
        raise RequestRefused("missing_headers", missing, f"缺少请求头 {'、'.join(missing)}",
                             f"missing header{'s' if len(missing) > 1 else ''} {listed}")
    principal, date, purpose = lowered[PRINCIPAL.lower()], lowered[DATE.lower()], lowered[PURPOSE.lower()]
    request_id, signature = lowered[REQUEST_ID.lower()], lowered[SIGNATURE.lower()]
    try:
        signed_at = datetime.fromisoformat(date)
    except ValueError:
        signed_at = None
    if signed_at is None or signed_at.tzinfo is None:
        raise RequestRefused("bad_date", (DATE,), f"请求头 {DATE} 不是带时区的 ISO 8601 时间",
                             f"{DATE} is not an ISO 8601 date-time with an offset")
    if abs(now - signed_at) > max_skew:
        raise RequestRefused("stale_date", (DATE,), f"请求头 {DATE} 与服务器时间相差超过 {max_skew}",
                             f"{DATE} is more than {max_skew} away from the server's clock")
    try:
        keyring.public_key(principal)
    except SignatureInvalid:
        raise RequestRefused("unknown_principal", (PRINCIPAL,),
                             f"请求头 {PRINCIPAL} 所指调用方 {principal!r} 不在信任名单中",
                             f"{PRINCIPAL} {principal!r} is not on the trust list") from None
    try:
        keyring.verify_bytes(principal, signed_text(method, target, date, principal, purpose, request_id, body),
                             signature)
    except SignatureInvalid:
        raise RequestRefused("bad_signature", (SIGNATURE,), f"请求头 {SIGNATURE} 验证失败：签名与 {principal} 的密钥"
                             "或所签内容（方法、路径、各请求头、请求体）不符",
                             f"{SIGNATURE} does not verify with {principal!r}'s key over this method, target, "
                             "headers and body") from None
    if replay is not None and not replay.first_use(principal, request_id, until=signed_at + max_skew, now=now):
        raise RequestRefused("replayed", (REQUEST_ID,), f"请求头 {REQUEST_ID} {request_id} 已被使用（重放）",
                             f"{REQUEST_ID} {request_id} was already received (replay)")
    return RequestIdentity(principal, unquote(purpose))
