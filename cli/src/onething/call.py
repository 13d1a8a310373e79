"""``onething call METHOD URL --as PRINCIPAL --purpose TEXT``: one signed HTTP request (签名调用).

What a department's developer runs to try a signed route (a licence archive, a licence PDF, a rectification
order) before writing their own client: the request is signed with ``PRINCIPAL``'s private key from the keys
directory (``<data-dir>/keys`` unless ``--keys``), as :func:`exchange.request_signing.sign_request` does and
``docs/signing.md`` spells out. ``--print-headers`` prints the four headers and sends nothing, to paste
into curl. The answer's body goes to standard output (or ``--output FILE``; a binary body such as a PDF
needs one); a refusal prints its Chinese and English message.
Exit status: 0 for a 2xx answer, 1 for any other answer, 2 when the request could not be made.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import httpx

from exchange.http_identity import signing_hook
from exchange.request_signing import sign_request
from exchange.signing import KeyRing

__all__ = ["CALL_SUMMARY", "add_call_arguments", "call_command"]

CALL_SUMMARY = "签名调用: send one signed HTTP request as a principal (docs/signing.md)"


def add_call_arguments(call: argparse.ArgumentParser) -> None:
    """The ``call`` sub-command's arguments."""
    call.add_argument("method", help="GET, POST, …")
    call.add_argument("url", help="the full URL, e.g. http://127.0.0.1:8103/licences/LIC-…/pdf")
    call.add_argument("--as", dest="principal", required=True, metavar="PRINCIPAL",
                      help="the signing key id, e.g. dept.health (its private key must be in the keys directory)")
    call.add_argument("--purpose", required=True, help="调用用途, recorded with every read of personal data")
    call.add_argument("--json", dest="body", default=None, metavar="JSON",
                      help="a JSON body, or @FILE for a JSON file (sent byte for byte as signed)")
    call.add_argument("--keys", type=Path, default=None, help="keys directory (default <data-dir>/keys)")
    call.add_argument("--output", "-o", type=Path, default=None, help="write the answer's body to FILE")
    call.add_argument("--print-headers", action="store_true", help="print the signed headers; send nothing")


def _body(text: str | None) -> bytes:
    if text is None:
        return b""
    body = Path(text[1:]).read_bytes() if text.startswith("@") else text.encode()
    json.loads(body)  # refuse a body that is not the JSON it claims to be, before signing it
    return body


def call_command(args: argparse.Namespace) -> int:
    method = args.method.upper()
    try:
        body = _body(args.body)
        signer = KeyRing(args.keys or args.data_dir / "keys").signer(args.principal)
    except (OSError, ValueError) as exc:  # no such key or file, or a body that is not JSON
        print(f"无法签名 cannot sign: {exc}", file=sys.stderr)
        return 2
    if args.print_headers:  # the target as httpx sends it: path and query, percent-encoded
        target = httpx.URL(args.url).raw_path.decode()
        for name, value in sign_request(signer, method, target, purpose=args.purpose, body=body).items():
            print(f"{name}: {value}")
        return 0
    headers = {"content-type": "application/json"} if body else {}
    try:
        with httpx.Client(event_hooks={"request": [signing_hook(signer, args.purpose)]}, timeout=30.0) as client:
            response = client.request(method, args.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        print(f"请求失败 request failed: {exc}", file=sys.stderr)
        return 2
    print(f"{response.status_code} {response.reason_phrase} ({response.headers.get('content-type', '-')})",
          file=sys.stderr)
    return _answer(response, args.output)


def _answer(response: httpx.Response, output: Path | None) -> int:
    ok = response.is_success
    if output is not None:
        output.write_bytes(response.content)
        print(f"已保存 saved {len(response.content)} bytes to {output}", file=sys.stderr)
        return 0 if ok else 1
    if "json" not in response.headers.get("content-type", "json"):
        print("二进制内容请用 --output 保存 the body is not text; save it with --output FILE", file=sys.stderr)
        return 0 if ok else 1
    try:
        parsed = response.json()
    except ValueError:
        print(response.text)
        return 0 if ok else 1
    detail = parsed.get("detail") if isinstance(parsed, dict) else None
    if not ok and isinstance(detail, dict) and "message_zh" in detail:
        print(f"拒绝 refused: {detail['message_zh']}\n  {detail.get('message_en', '')}", file=sys.stderr)
    print(json.dumps(parsed, ensure_ascii=False, indent=2))
    return 0 if ok else 1
