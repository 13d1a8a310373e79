"""Starting the whole system as separate processes (整体启动), for ``up``, ``demo`` and the tests.

Every process in :data:`onething.processes.PROCESSES` runs as ``python -m <module>`` with its own
environment; the embedded broker runs unless a Kafka is configured. ``start`` returns once every
process answers ``/readyz``; ``dead`` reports processes that exited.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from contracts.departments import DEPARTMENTS, department_principal, seal_principal
from contracts.sharing.v1 import BASE_REGISTRIES, registry_principal
from exchange.broker import EmbeddedBroker, free_port
from exchange.settings import ExchangeSettings
from exchange.signing import ensure_keys
from onething.processes import PROCESSES, ProcessSpec

__all__ = ["ALL_PRINCIPALS", "STATE_FILE", "RunningProcess", "System", "SystemConfig", "read_state"]

ALL_PRINCIPALS = (
    *(p.name for p in PROCESSES),
    *(department_principal(d.code) for d in DEPARTMENTS),
    *(seal_principal(d.code) for d in DEPARTMENTS),
    *(registry_principal(r) for r in BASE_REGISTRIES),
)
STATE_FILE = "system.json"


@dataclass
class SystemConfig:
    data_dir: Path = Path(".onething")
    kafka_bootstrap: str | None = None  # None: start the embedded broker
    database_url: str | None = None  # None: one SQLite file per service
    database_prefix: str | None = None  # None: ONETHING_DATABASE_PREFIX as set, else the services' default
    host: str = "127.0.0.1"
    free_ports: bool = False  # tests: pick free ports instead of the defaults
    keep_data: bool = False
    env: Mapping[str, str] = field(default_factory=dict)  # extra ONETHING_* for every process
    ready_timeout_s: float = 120.0


@dataclass
class RunningProcess:
    spec: ProcessSpec
    port: int
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class System:
    def __init__(self, config: SystemConfig) -> None:
        self.config = config
        self.broker: EmbeddedBroker | None = None
        self.processes: dict[str, RunningProcess] = {}
        self.bootstrap = config.kafka_bootstrap or ""

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir.resolve()

    def url(self, name: str) -> str:
        return self.processes[name].url

    def _prepare_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        if self.config.kafka_bootstrap is None and self.config.database_url is None and not self.config.keep_data:
            # The embedded broker keeps nothing across restarts; databases that remember a bus
            # that no longer exists would wait forever for facts that are gone. Start clean.
            for old in self.data_dir.glob("*.db*"):
                old.unlink()
        ensure_keys(self.data_dir / "keys", ALL_PRINCIPALS)

    def _env(self, port: int) -> dict[str, str]:
        env = {
            **os.environ,
            "ONETHING_KAFKA_BOOTSTRAP": self.bootstrap,
            "ONETHING_DATA_DIR": str(self.data_dir),
            "ONETHING_KEYS_DIR": str(self.data_dir / "keys"),
            "ONETHING_HTTP_HOST": self.config.host,
            "ONETHING_HTTP_PORT": str(port),
            "PYTHONUNBUFFERED": "1",
            **self.config.env,
        }
        if self.config.database_prefix is not None:
            env["ONETHING_DATABASE_PREFIX"] = self.config.database_prefix
        if self.config.database_url:
            env["ONETHING_DATABASE_URL"] = self.config.database_url
        else:
            env.pop("ONETHING_DATABASE_URL", None)
        return env

    def databases(self) -> str:
        """Where the services keep their state, as their settings will resolve it (for people; a service's own
        ONETHING_<SERVICE>_DATABASE_URL aside)."""
        env = self._env(0)
        if "ONETHING_DATABASE_URL" not in env:
            return f"SQLite {self.data_dir}/<service>.db"
        prefix = env.get("ONETHING_DATABASE_PREFIX", ExchangeSettings.model_fields["database_prefix"].default)
        return "PostgreSQL " + ", ".join(f"{prefix}{spec.name}" for spec in PROCESSES if spec.has_database)

    def start(self) -> None:
        """Start everything and wait until every process is ready; on any failure stop what started."""
        self._prepare_data_dir()
        try:
            self._launch()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        self._write_state()

    def _launch(self) -> None:
        if self.config.kafka_bootstrap is None:
            self.broker = EmbeddedBroker(log_path=self.data_dir / "logs" / "broker.log")
            self.broker.start()
            self.bootstrap = self.broker.bootstrap
        ports = {spec.name: free_port() if self.config.free_ports else spec.default_port for spec in PROCESSES}
        for spec in PROCESSES:
            port = ports[spec.name]
            env = self._env(port)
            # Status lists and verification links in every credential point at the licence service.
            env.setdefault("ONETHING_LICENCE_PUBLIC_URL", f"http://{self.config.host}:{ports['licence']}")
            log_path = self.data_dir / "logs" / f"{spec.name}.log"
            with open(log_path, "ab") as log:
                popen = subprocess.Popen(  # noqa: S603 - our own modules
                    [sys.executable, "-m", spec.module], env=env,
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
            self.processes[spec.name] = RunningProcess(spec, port, popen, log_path)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.config.ready_timeout_s
        waiting = set(self.processes)
        with httpx.Client(timeout=2.0) as client:
            while waiting:
                dead = self.dead()
                if dead:
                    raise RuntimeError(self.describe_death(dead))
                for name in sorted(waiting):
                    try:
                        if client.get(f"{self.processes[name].url}/readyz").status_code == 200:
                            waiting.discard(name)
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"not ready after {self.config.ready_timeout_s:.0f}s: {', '.join(sorted(waiting))}")
                time.sleep(0.2)

    def dead(self) -> list[RunningProcess]:
        return [p for p in self.processes.values() if p.popen.poll() is not None]

    def describe_death(self, dead: list[RunningProcess]) -> str:
        lines = []
        for proc in dead:
            tail = proc.log_path.read_text(errors="replace").splitlines()[-15:]
            lines.append(f"{proc.spec.name} exited with {proc.popen.returncode}; last log lines:")
            lines.extend(f"    {line}" for line in tail)
        return "\n".join(lines)

    def _write_state(self) -> None:
        state = {
            "kafka_bootstrap": self.bootstrap,
            "pid": os.getpid(),
            "processes": {n: {"url": p.url, "pid": p.popen.pid} for n, p in self.processes.items()},
        }
        (self.data_dir / STATE_FILE).write_text(json.dumps(state, indent=2))

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.popen.poll() is None:
                proc.popen.terminate()
        deadline = time.monotonic() + 15
        for proc in self.processes.values():
            try:
                proc.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait()
        if self.broker is not None:
            self.broker.stop()
        state = self.data_dir / STATE_FILE
        if state.exists():
            state.unlink()

    def __enter__(self) -> System:
        self.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def read_state(data_dir: Path) -> dict[str, object] | None:
    """The running system's addresses, if ``onething up`` is serving from ``data_dir``."""
    path = data_dir / STATE_FILE
    if not path.exists():
        return None
    state: dict[str, object] = json.loads(path.read_text())
    try:
        os.kill(int(str(state.get("pid"))), 0)
    except (OSError, ValueError):
        return None
    return state

