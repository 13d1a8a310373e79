"""What the services' tracing exports, as it leaves them: an OTLP/HTTP receiver for end-to-end tests."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["SpanSink"]


class SpanSink:
    """An OTLP/HTTP receiver that keeps what the services export (protobuf bodies of ``POST /v1/traces``), so a test
    can read the spans as they left the processes."""

    def __init__(self) -> None:
        bodies: list[tuple[float, bytes]] = []

        class Receiver(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                bodies.append((time.monotonic(), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.bodies = bodies
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def settled(self, quiet_s: float = 6.0, timeout_s: float = 30.0) -> list[bytes]:
        """Every body once none has come for ``quiet_s`` (the exporters batch every 5 s)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            last = self.bodies[-1][0] if self.bodies else 0.0
            if self.bodies and time.monotonic() - last > quiet_s:
                break
            time.sleep(0.5)
        return [body for _, body in self.bodies]

    def close(self) -> None:
        self._server.shutdown()
