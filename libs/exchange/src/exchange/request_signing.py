"""Signed HTTP requests between principals (接口调用身份认证): who is asking, for what purpose.

The scheme is RFC 9421 (HTTP Message Signatures) with Ed25519, over a body digest of RFC 9530
(``Content-Digest``). A department system, a service or an operator's console signs, under the label
``onething``, the method, the path, the query, the body's digest and its purpose (办理用途, the
``OneThing-Purpose`` header), with the parameters ``created`` (when), ``keyid`` (the principal, such as
``dept.health``), ``nonce`` (a fresh request id), ``alg="ed25519"`` and ``tag="onething"``. The receiving API
checks the signature against the trust list of public keys, that ``created`` is within ``max_skew`` of its own
clock, that the digest is the body's, and (with a :class:`ReplayGuard`) that it has not seen the nonce before:
a captured request can neither be altered nor replayed. The receiver records the purpose with every read of
personal data. The guard lives in the receiving process: replicas behind one address need a shared one.

Any RFC 9421 library can talk to it (the signature base is the RFC's); the authority is not covered, so a
request keeps its signature through a proxy that rewrites ``Host``. ``docs/signing.md`` §5 walks through one.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from http_sfv.dictionary import Dictionary
from http_sfv.item import InnerList, Item

from exchange.errors import SignatureInvalid
from exchange.signing import KeyRing, Signer

__all__ = [
    "COVERED_COMPONENTS",
    "REQUIRED_HEADERS",
    "SIGNATURE_CHALLENGE",
    "SIGNATURE_INPUT",
    "ReplayGuard",
    "RequestIdentity",
    "RequestRefused",
    "content_digest",
    "sign_request",
    "signature_base",
    "signed_target",
    "verify_request",
]

SIGNATURE_INPUT = "Signature-Input"
SIGNATURE = "Signature"
CONTENT_DIGEST = "Content-Digest"
PURPOSE = "OneThing-Purpose"  # percent-encoded UTF-8, so a Chinese purpose travels in a header

LABEL = "onething"  # the signature's label in Signature-Input and Signature
TAG = "onething"  # RFC 9421 §2.3 tag: this platform's profile, so a signature made for another use is not taken
ALG = "ed25519"
# What the signature covers, in this order (a verifier takes any order, and more, but never less).
COVERED_COMPONENTS: tuple[str, ...] = ("@method", "@path", "@query", "content-digest", "onething-purpose")

# Every header a signed request carries, with what it says (请求头及含义).
HEADER_MEANINGS: dict[str, tuple[str, str]] = {
    SIGNATURE_INPUT: ("签名参数", f'what is signed, when and by whom (RFC 9421): {LABEL}=("@method" "@path" "@query" '
                               '"content-digest" "onething-purpose");created=…;keyid="dept.health";nonce="…";'
                               f'alg="{ALG}";tag="{TAG}"'),
    SIGNATURE: ("签名", f"Ed25519 over the signature base (RFC 9421): {LABEL}=:<base64>:"),
    CONTENT_DIGEST: ("内容摘要", "the body's sha-256 (RFC 9530): sha-256=:<base64>:"),
    PURPOSE: ("调用用途", "what for: percent-encoded UTF-8"),
}
REQUIRED_HEADERS: tuple[str, ...] = tuple(HEADER_MEANINGS)
GUIDE = "docs/signing.md"

_REQUIRED_ZH = "、".join(f"{name}（{zh}）" for name, (zh, _) in HEADER_MEANINGS.items())
_REQUIRED_EN = ", ".join(f"{name} ({en})" for name, (_, en) in HEADER_MEANINGS.items())
_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}  # RFC 9530 algorithms a verifier accepts


class RequestRefused(Exception):
    """The request is not signed, or not signed right.

    ``problem`` is a fixed code (``missing_headers``, ``bad_signature_input``, ``stale_date``,
    ``unknown_principal``, ``bad_digest``, ``bad_signature``, ``replayed``); ``headers`` the header(s) missing
    or wrong; ``message_zh`` / ``message_en`` say which, and name every header a signed request needs.
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
    """The nonces (request ids) seen within the skew window, per principal: a second use is refused."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], datetime] = {}

    def first_use(self, principal: str, request_id: str, *, until: datetime, now: datetime) -> bool:
        self._seen = {key: expiry for key, expiry in self._seen.items() if expiry >= now}
        if (principal, request_id) in self._seen:
            return False
        self._seen[(principal, request_id)] = until
        return True


def content_digest(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` of ``body``: ``sha-256=:<base64>:``."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


def _accept_signature() -> str:
    components = " ".join(f'"{component}"' for component in COVERED_COMPONENTS)
    return f'{LABEL}=({components});keyid;created;nonce;alg="{ALG}";tag="{TAG}"'


# What a 401 to an unsigned or badly signed request carries: RFC 9110 names the scheme, RFC 9421 §5.1's
# Accept-Signature the signature this platform asks for.
SIGNATURE_CHALLENGE: dict[str, str] = {"WWW-Authenticate": 'Signature realm="onething"',
                                       "Accept-Signature": _accept_signature()}


def signed_target(scope: Mapping[str, Any]) -> str:
    """The target a client signed, from an ASGI request scope: the path as sent (still percent-encoded) and the
    query string, if any."""
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) and raw_path else quote(scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    return path + (f"?{query}" if query else "")


def signature_base(covered: InnerList, method: str, target: str, headers: Mapping[str, str]) -> bytes:
    """The bytes an RFC 9421 signature covers (§2.5): one line per covered component, then ``@signature-params``
    (``covered`` with its parameters, serialised). ``headers`` are keyed in lower case. Raises ``KeyError``
    naming a component the request does not have, ``ValueError`` for one this platform does not derive."""
    path, _, query = target.partition("?")
    derived = {"@method": method, "@path": path or "/", "@query": f"?{query}",
               "@request-target": target, "@authority": headers.get("host", "").lower()}
    lines = []
    for item in covered:
        name = item.value
        if not isinstance(name, str) or item.params:
            raise ValueError(f"component {item} is not one this platform derives (no parameters, no fields)")
        if name.startswith("@"):
            if name not in derived or (name == "@authority" and not derived[name]):
                raise ValueError(f"component {name!r} is not one this platform derives")
            value = derived[name]
        else:
            value = headers[name].strip()
        lines.append(f'"{name}": {value}')
    lines.append(f'"@signature-params": {covered}')
    return "\n".join(lines).encode()


def sign_request(signer: Signer, method: str, target: str, *, purpose: str, body: bytes = b"",
                 at: datetime | None = None, request_id: str | None = None) -> dict[str, str]:
    """The headers that sign a request for ``target`` (path plus query string) with ``body``, as ``signer``:
    ``Content-Digest``, ``OneThing-Purpose``, ``Signature-Input`` and ``Signature``.

    ``request_id`` (the nonce) defaults to a fresh UUID; pass one only to reproduce a signature (test vectors)."""
    headers = {CONTENT_DIGEST: content_digest(body), PURPOSE: quote(purpose, safe="")}
    covered = InnerList(list(COVERED_COMPONENTS))
    created = int((at or datetime.now(UTC)).timestamp())
    covered.params.update({"created": created, "keyid": signer.principal, "nonce": request_id or str(uuid.uuid4()),
                           "alg": ALG, "tag": TAG})
    base = signature_base(covered, method.upper(), target, {name.lower(): value for name, value in headers.items()})
    signature = Dictionary()
    signature[LABEL] = signer.sign_raw(base)
    inputs = Dictionary()
    inputs[LABEL] = covered
    return {**headers, SIGNATURE_INPUT: str(inputs), SIGNATURE: str(signature)}


def verify_request(
    keyring: KeyRing,
    headers: Mapping[str, str],
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
    covered, signature = _ours(lowered)
    params = covered.params
    principal, nonce, created = params.get("keyid"), params.get("nonce"), params.get("created")
    if not isinstance(principal, str) or not isinstance(nonce, str) or not nonce or not isinstance(created, int) \
            or isinstance(created, bool):
        raise _bad_input('须带 keyid（调用方）、nonce（请求编号）与 created（签名时间，Unix 秒）参数',
                         "needs the parameters keyid (the principal), nonce (a request id) and created "
                         "(Unix seconds)")
    if params.get("tag") != TAG or params.get("alg", ALG) != ALG:
        raise _bad_input(f'须为 tag="{TAG}"，alg 如有须为 "{ALG}"', f'needs tag="{TAG}" and, if alg is given, '
                         f'alg="{ALG}"')
    uncovered = [c for c in COVERED_COMPONENTS if c not in {item.value for item in covered}]
    if uncovered:
        raise _bad_input(f"未覆盖 {'、'.join(uncovered)}", f"does not cover {', '.join(uncovered)}")
    expires = params.get("expires")
    if abs(now.timestamp() - created) > max_skew.total_seconds() or (isinstance(expires, int)
                                                                      and expires < now.timestamp()):
        raise RequestRefused("stale_date", (SIGNATURE_INPUT,),
                             f"请求头 {SIGNATURE_INPUT} 的 created 与服务器时间相差超过 {max_skew}（或已过 expires）",
                             f"the created of {SIGNATURE_INPUT} is more than {max_skew} away from the server's clock "
                             "(or its expires has passed)")
    try:
        keyring.public_key(principal)
    except SignatureInvalid:
        raise RequestRefused("unknown_principal", (SIGNATURE_INPUT,),
                             f"请求头 {SIGNATURE_INPUT} 的 keyid {principal!r} 不在信任名单中",
                             f"the keyid {principal!r} of {SIGNATURE_INPUT} is not on the trust list") from None
    if not _digest_matches(lowered[CONTENT_DIGEST.lower()], body):
        raise RequestRefused("bad_digest", (CONTENT_DIGEST,), f"请求头 {CONTENT_DIGEST} 与请求体不符（须为 sha-256）",
                             f"{CONTENT_DIGEST} is not the body's (sha-256 expected)")
    try:
        base = signature_base(covered, method.upper(), target, lowered)
    except (KeyError, ValueError) as wrong:
        raise _bad_input(f"所覆盖的组件无法取得：{wrong}", f"covers what this request cannot give: {wrong}") from None
    try:
        keyring.verify_raw(principal, base, signature)
    except SignatureInvalid:
        raise RequestRefused("bad_signature", (SIGNATURE,), f"请求头 {SIGNATURE} 验证失败：签名与 {principal} 的密钥"
                             "或所签内容（方法、路径、查询、内容摘要、用途）不符",
                             f"{SIGNATURE} does not verify with {principal!r}'s key over this method, path, query, "
                             "digest and purpose") from None
    signed_at = datetime.fromtimestamp(created, UTC)
    if replay is not None and not replay.first_use(principal, nonce, until=signed_at + max_skew, now=now):
        raise RequestRefused("replayed", (SIGNATURE_INPUT,), f"请求头 {SIGNATURE_INPUT} 的 nonce {nonce} 已被使用（重放）",
                             f"the nonce {nonce} of {SIGNATURE_INPUT} was already received (replay)")
    return RequestIdentity(principal, unquote(lowered[PURPOSE.lower()]))


def _ours(lowered: Mapping[str, str]) -> tuple[InnerList, bytes]:
    """The ``onething`` signature's covered components (with parameters) and its bytes."""
    inputs, signatures = Dictionary(), Dictionary()
    try:
        inputs.parse(lowered[SIGNATURE_INPUT.lower()].encode())
        signatures.parse(lowered[SIGNATURE.lower()].encode())
    except ValueError:
        raise _bad_input("不是 RFC 8941 结构化字段", "is not an RFC 8941 structured field",
                         headers=(SIGNATURE_INPUT, SIGNATURE)) from None
    covered, signature = inputs.get(LABEL), signatures.get(LABEL)
    if not isinstance(covered, InnerList) or not isinstance(signature, Item) \
            or not isinstance(signature.value, bytes):
        raise _bad_input(f"须有标签 {LABEL} 的签名（{LABEL}=(…) 与 {LABEL}=:…:）",
                         f"needs a signature labelled {LABEL} ({LABEL}=(…) and {LABEL}=:…:)",
                         headers=(SIGNATURE_INPUT, SIGNATURE))
    return covered, signature.value


def _digest_matches(field: str, body: bytes) -> bool:
    digests = Dictionary()
    try:
        digests.parse(field.encode())
    except ValueError:
        return False
    known = {name: item.value for name, item in digests.items() if name in _DIGESTS and isinstance(item, Item)}
    return "sha-256" in known and all(value == _DIGESTS[name](body).digest() for name, value in known.items())


def _bad_input(what_zh: str, what_en: str, *, headers: tuple[str, ...] = (SIGNATURE_INPUT,)) -> RequestRefused:
    return RequestRefused("bad_signature_input", headers, f"请求头 {headers[0]} {what_zh}", f"{headers[0]} {what_en}")
