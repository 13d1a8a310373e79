"""``onething call``: a signed request over real HTTP to a route behind :data:`SignedCaller`; the refusal's
message when the key is not trusted; ``--print-headers`` for curl."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request

from exchange.broker import free_port
from exchange.http_identity import SignedCaller, accept_signed_requests
from exchange.request_signing import verify_request
from exchange.signing import KeyRing, ensure_keys
from onething.cli import main


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, keys_dir: Path) -> Iterator[str]:
    """A real HTTP server whose routes need a signed caller (it trusts the session's keys)."""
    app = FastAPI()
    accept_signed_requests(app, KeyRing(keys_dir))

    @app.api_route("/whoami", methods=["GET", "POST"])
    async def whoami(caller: SignedCaller, request: Request) -> dict[str, Any]:
        return {"principal": caller.principal, "purpose": caller.purpose, "query": request.url.query,
                "body": (await request.body()).decode()}

    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(10)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out, out.err


def test_a_signed_get_and_post(server: str, keys_dir: Path, capsys: Any) -> None:
    code, out, err = run(["call", "GET", f"{server}/whoami?kind=all", "--as", "dept.health", "--purpose", "核验出生医学证明",
                          "--keys", str(keys_dir)], capsys)
    assert code == 0 and err.startswith("200 OK"), err
    assert json.loads(out) == {"principal": "dept.health", "purpose": "核验出生医学证明", "query": "kind=all", "body": ""}
    code, out, _ = run(["call", "post", f"{server}/whoami", "--as", "dept.police", "--purpose", "核查",
                        "--json", '{"reason_zh": "核查中"}', "--keys", str(keys_dir)], capsys)
    assert code == 0 and json.loads(out)["body"] == '{"reason_zh": "核查中"}'


def test_an_untrusted_key_is_refused_with_the_header_named(server: str, tmp_path: Path, capsys: Any) -> None:
    ensure_keys(tmp_path, ["dept.stranger"], holder="tests")
    code, out, err = run(["call", "GET", f"{server}/whoami", "--as", "dept.stranger", "--purpose", "试探",
                          "--keys", str(tmp_path)], capsys)
    assert code == 1 and "401" in err and "Signature-Input" in err
    assert json.loads(out)["detail"]["problem"] == "unknown_principal"


def test_without_a_private_key_or_with_a_body_that_is_not_json(server: str, tmp_path: Path, capsys: Any) -> None:
    code, _, err = run(["call", "GET", f"{server}/whoami", "--as", "dept.health", "--purpose", "x",
                        "--keys", str(tmp_path)], capsys)
    assert code == 2 and "无法签名" in err and "dept.health" in err
    ensure_keys(tmp_path, ["dept.health"], holder="tests")
    code, _, err = run(["call", "POST", f"{server}/whoami", "--as", "dept.health", "--purpose", "x",
                        "--json", "{not json", "--keys", str(tmp_path)], capsys)
    assert code == 2 and "无法签名" in err


def test_print_headers_gives_what_curl_needs(keys_dir: Path, capsys: Any) -> None:
    code, out, _ = run(["call", "GET", "http://licence.test/licences/L-1/pdf", "--as", "dept.health",
                        "--purpose", "打印", "--keys", str(keys_dir), "--print-headers"], capsys)
    headers = dict(line.split(": ", 1) for line in out.strip().splitlines())
    assert code == 0 and len(headers) == 4
    identity = verify_request(KeyRing(keys_dir), headers, "GET", "/licences/L-1/pdf", body=b"", now=datetime.now(UTC))
    assert (identity.principal, identity.purpose) == ("dept.health", "打印")
