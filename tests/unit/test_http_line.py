"""排队: a process works on at most ``ONETHING_HTTP_CONCURRENCY`` requests at once (``exchange.http_edge``); the others
wait their turn in order of arrival, their bodies read but not yet checked or parsed, and the probes, ``/metrics``
and the documents other processes fetch while answering never wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from prometheus_client import REGISTRY

from exchange.http_edge import WorkingLine, harden, serve_without_waiting
from exchange.settings import ExchangeSettings


def _app(concurrency: int) -> tuple[FastAPI, asyncio.Event, list[str]]:
    app = FastAPI()
    release = asyncio.Event()
    started: list[str] = []

    @app.post("/work/{n}")
    async def work(n: str, request: Request) -> dict[str, str]:
        started.append(n)
        body = await request.body()
        await release.wait()
        return {"n": n, "body": body.decode()}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            yield b"data: first\n\n"
            await release.wait()
            yield b"data: last\n\n"
        return StreamingResponse(events(), media_type="text/event-stream")

    @app.post("/fails")
    async def fails() -> None:
        raise RuntimeError("a bug")

    @app.get("/.well-known/jwks.json")
    async def keys() -> dict[str, list[str]]:
        return {"keys": []}

    @app.get("/readyz")
    async def ready() -> dict[str, bool]:
        return {"ready": True}

    serve_without_waiting(app, "/.well-known/")  # as the identity platform names its keys
    return harden(app, ExchangeSettings(http_concurrency=concurrency)), release, started


def _waiting() -> float:
    """What ``/metrics`` says."""
    return REGISTRY.get_sample_value("onething_http_requests_waiting") or 0.0


Message = dict[str, object]


def _called(app: FastAPI, method: str, path: str, receive: Callable[[], Awaitable[Message]]
            ) -> tuple[asyncio.Task[None], list[Message]]:
    """``app`` called as ASGI by a client whose messages ``receive`` gives, in a task; what it sent back. (httpx's
    in-process transport hands the app a body whole and reads a response whole before it returns it.)"""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"", "headers": [],
             "client": ("127.0.0.1", 50000), "server": ("s", 80)}
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    return asyncio.create_task(app(scope, receive, send)), sent  # type: ignore[arg-type]


async def _until(condition: object, what: str) -> None:
    for _ in range(500):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_requests_beyond_the_limit_wait_their_turn_in_order_and_the_probes_do_not() -> None:
    app, release, started = _app(concurrency=2)
    line: WorkingLine = app.state.edge_limits.line
    waiting_before = _waiting()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http:
        sent = []
        for n in range(5):
            sent.append(asyncio.create_task(http.post(f"/work/{n}", content=f"body {n}".encode())))
            await asyncio.sleep(0.02)  # arrive one after another
        await _until(lambda: len(started) == 2 and line.waiting == 3, "two at work, three in line")
        assert started == ["0", "1"]
        assert _waiting() == waiting_before + 3  # what the operators see
        assert (await asyncio.wait_for(http.get("/readyz"), 2)).json() == {"ready": True}  # not behind the line
        assert (await asyncio.wait_for(http.get("/.well-known/jwks.json"), 2)).json() == {"keys": []}  # nor, named so,
        waiting = asyncio.create_task(http.get("/not-named"))  # the keys; anything else waits
        await _until(lambda: line.waiting == 4, "a GET in line too")
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        release.set()
        answers = await asyncio.gather(*sent)
    assert [a.json() for a in answers] == [{"n": str(n), "body": f"body {n}"} for n in range(5)]  # each its own body
    assert started == ["0", "1", "2", "3", "4"]  # first come, first served
    assert line.waiting == 0 and _waiting() == waiting_before


async def test_a_request_that_gives_up_while_waiting_leaves_the_line_and_frees_no_turn_it_never_had() -> None:
    app, release, started = _app(concurrency=1)
    line: WorkingLine = app.state.edge_limits.line
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http:
        first = asyncio.create_task(http.post("/work/a", content=b"a"))
        await _until(lambda: started == ["a"], "the first at work")
        impatient = asyncio.create_task(http.post("/work/b", content=b"b"))
        await _until(lambda: line.waiting == 1, "the second in line")
        impatient.cancel()
        await asyncio.gather(impatient, return_exceptions=True)
        assert line.waiting == 0
        third = asyncio.create_task(http.post("/work/c", content=b"c"))
        await _until(lambda: line.waiting == 1, "the third in line")
        assert started == ["a"]  # still one at a time
        release.set()
        assert (await first).json()["n"] == "a" and (await third).json()["n"] == "c"
    assert started == ["a", "c"]


async def test_a_stream_gives_its_turn_back_once_its_answer_starts() -> None:
    """The ops room's live case events stay open for as long as someone watches: they must not hold a turn."""
    app, release, started = _app(concurrency=1)
    line: WorkingLine = app.state.edge_limits.line
    gone = asyncio.Event()
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    streaming, sent = _called(app, "GET", "/stream", receive)
    await _until(lambda: any(m.get("body") == b"data: first\n\n" for m in sent), "the stream's first event")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http:
        work = asyncio.create_task(http.post("/work/w", content=b"w"))
        await _until(lambda: started == ["w"], "a request at work while the stream is open")
        assert line.waiting == 0 and not streaming.done()
        release.set()
        assert (await work).json()["n"] == "w"
    await asyncio.wait_for(streaming, 2)
    gone.set()
    assert any(m.get("body") == b"data: last\n\n" for m in sent)


async def test_a_request_that_fails_or_is_refused_gives_its_turn_back() -> None:
    app, release, _ = _app(concurrency=1)
    release.set()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://s") as http:
        assert (await http.post("/fails")).status_code == 500
        assert (await http.post("/work/x", content=b'{"a": "\\u0000"}',
                                headers={"content-type": "application/json"})).status_code == 422
        assert (await asyncio.wait_for(http.post("/work/y", content=b"y"), 2)).json()["n"] == "y"


async def test_a_slow_upload_holds_no_turn() -> None:
    """The body is read before the request takes a turn: a client sending its body slowly keeps only its own
    connection waiting (the body arrives in pieces, the last one when the test says)."""
    app, release, started = _app(concurrency=1)
    release.set()
    rest = asyncio.Event()
    pieces: list[Message] = [{"type": "http.request", "body": b"slow ", "more_body": True}]

    async def receive() -> Message:
        if pieces:
            return pieces.pop(0)
        await rest.wait()
        rest.clear()
        return {"type": "http.request", "body": b"body", "more_body": False}

    slow, sent = _called(app, "POST", "/work/slow", receive)
    await asyncio.sleep(0.05)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as http:
        assert (await asyncio.wait_for(http.post("/work/quick", content=b"q"), 2)).json()["n"] == "quick"
    rest.set()
    await asyncio.wait_for(slow, 2)
    assert started == ["quick", "slow"]
    assert b"slow body" in b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]


def test_the_limit_is_the_configured_one_and_has_a_default() -> None:
    assert harden(FastAPI()).state.edge_limits.line.limit == ExchangeSettings().http_concurrency == 32
    assert harden(FastAPI(), ExchangeSettings(http_concurrency=3)).state.edge_limits.line.limit == 3
