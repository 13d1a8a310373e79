"""Starting the whole system as separate processes (整体启动), for ``up``, ``demo`` and the tests.

Every process in :data:`onething.processes.PROCESSES` runs as ``python -m <module>`` with its own
environment; the embedded broker runs unless a Kafka is configured. ``start`` returns once every
process answers ``/readyz``; from then on each process (the embedded broker too, on its same port) is
supervised: when one dies it is started again with the same command and environment, after a back-off
(:mod:`onething.supervisor`), and the restart is reported and recorded in ``system.json``. Only
``stop()`` ends it. ``dead`` reports processes that are not running at the moment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from contracts.departments import DEPARTMENTS, department_principal, http_departments, seal_principal
from contracts.intake.v1 import RATERS_PRINCIPAL
from contracts.sharing.v1 import BASE_REGISTRIES, registry_principal
from exchange.access.credentials import CREDENTIALS_FILE, ensure_dev_credentials
from exchange.access.tokens import IDENTITY_PRINCIPAL
from exchange.broker import EmbeddedBroker, free_port
from exchange.settings import ExchangeSettings, embedded_service_urls
from exchange.signing import ensure_holdings
from exchange.system_state import STATE_FILE, read_state
from onething.processes import PROCESSES, ProcessSpec
from onething.supervisor import Child, Restart, RestartPolicy, Supervisor
from onething.tokens import SystemTokens

__all__ = [
    "OPERATOR", "STATE_FILE", "RunningProcess", "System", "SystemConfig", "database_names", "drop_databases", "key_holdings", "read_state",
]

OPERATOR = "operator"  # the platform's operators (运维): signs dead-letter requests (onething dlq)


def key_holdings(gateway_departments: Iterable[str] = ()) -> dict[str, list[str]]:
    """Who holds which private keys (密钥持有): each process its own, the licence service the departments' seals
    (统一电子印章), the gateway the departments it answers for over HTTP, the simulators every other department,
    the base registries and 统一身份认证, the operators theirs. ``onething keys``, ``onething up`` and the compose
    file's per-container mounts follow this one plan."""
    served = set(gateway_departments)
    codes = [d.code for d in DEPARTMENTS]
    holdings: dict[str, list[str]] = {p.name: [p.name] for p in PROCESSES}
    holdings["licence"] += [seal_principal(code) for code in codes]
    holdings["intake"] += [RATERS_PRINCIPAL]  # the secret that keys the rater digests, shared with rating
    holdings["rating"] += [RATERS_PRINCIPAL]
    holdings["gateway"] += [department_principal(code) for code in codes if code in served]
    holdings["simulators"] += [IDENTITY_PRINCIPAL, *(department_principal(code) for code in codes if code not in served),
                               *(registry_principal(r) for r in BASE_REGISTRIES)]
    holdings[OPERATOR] = [OPERATOR]
    return holdings


@dataclass
class SystemConfig:
    data_dir: Path = Path(".onething")
    kafka_bootstrap: str | None = None  # None: start the embedded broker
    database_url: str | None = None  # None: one SQLite file per service
    database_prefix: str | None = None  # None: ONETHING_DATABASE_PREFIX as set, else the services' default
    host: str = "127.0.0.1"
    free_ports: bool = False  # tests: pick free ports instead of the defaults
    fresh: bool = False  # the embedded default: delete the databases of earlier runs first (kept otherwise)
    env: Mapping[str, str] = field(default_factory=dict)  # extra ONETHING_* for every process
    ready_timeout_s: float = 120.0
    supervise: bool = True  # restart a process that dies once the system is up
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)


@dataclass
class RunningProcess:
    spec: ProcessSpec
    port: int
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def returncode(self) -> int | None:
        """None while it runs; its exit status once it has gone (negative: the signal that ended it)."""
        return None if self.popen is None else self.popen.poll()

    def launch(self) -> None:
        """Start (or start again) ``python -m <module>``, its output appended to its log."""
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(  # noqa: S603 - our own modules
                [sys.executable, "-m", self.spec.module], env=self.env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )


class System:
    def __init__(self, config: SystemConfig, on_restart: Callable[[Restart], None] | None = None) -> None:
        self.config = config
        self.broker: EmbeddedBroker | None = None
        self.processes: dict[str, RunningProcess] = {}
        self.bootstrap = config.kafka_bootstrap or ""
        self.restarts: list[Restart] = []  # every death since start, oldest first
        self._on_restart = on_restart
        self._supervisor: Supervisor | None = None

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir.resolve()

    def url(self, name: str) -> str:
        return self.processes[name].url

    @property
    def tokens(self) -> SystemTokens:
        """Tokens from this system's identity platform, with the development credentials it was started with."""
        return SystemTokens.of(self.data_dir, {name: p.url for name, p in self.processes.items()})

    def _prepare_data_dir(self) -> None:
        # The data dir holds personal data (databases, logs, held requests) and private keys: the operating
        # user's alone. Everything created below it from here on (by this process and the services) is 0600/0700.
        os.umask(0o077)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        (self.data_dir / "logs").chmod(0o700)
        for kept in [*self.data_dir.glob("*.db*"), *(self.data_dir / "logs").iterdir()]:  # from an earlier run
            kept.chmod(0o600)
        # Kept by default: the embedded broker forgets everything when it stops, but each service finds the new
        # broker epoch and sends its outbox again (exchange.recovery), so cases in flight when the system
        # stopped (Ctrl-C, a killed `onething up`, a power cut) complete, once. Deleting is asked for.
        if self.config.fresh and self.config.kafka_bootstrap is None and self.config.database_url is None:
            for old in self.data_dir.glob("*.db*"):
                old.unlink()
            (self.data_dir / "simulator-holds.json").unlink(missing_ok=True)  # holds of requests on that bus
        served = http_departments(self._env(0).get("ONETHING_GATEWAY_DEPARTMENTS", ""))
        ensure_holdings(self.data_dir / "keys", key_holdings(served))
        ensure_dev_credentials(self.data_dir / CREDENTIALS_FILE)  # one OAuth client per role (开发用凭据)

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
        if "ONETHING_DATABASE_URL" not in self._env(0):
            return f"SQLite {self.data_dir}/<service>.db"
        return "PostgreSQL " + ", ".join(self.database_names())

    def database_names(self) -> list[str]:
        """The PostgreSQL database of each service, as their settings will name it."""
        return database_names(self._env(0).get("ONETHING_DATABASE_PREFIX"))

    def start(self) -> None:
        """Start everything and wait until every process is ready; on any failure stop what started."""
        self._prepare_data_dir()
        try:
            self._launch()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        if self.config.supervise:
            self._supervise()
        self._write_state()

    def _supervise(self) -> None:
        children = [Child(name, self._poll(proc), proc.launch) for name, proc in self.processes.items()]
        if self.broker is not None:
            broker = self.broker
            # The same port: every process keeps the bootstrap address it was started with.
            children.insert(0, Child("broker", lambda: broker.process.poll() if broker.process else 0, broker.start))
        self._supervisor = Supervisor(children, self.config.restart_policy, self._restarting, self._relaunched)
        self._supervisor.start()

    @staticmethod
    def _poll(proc: RunningProcess) -> Callable[[], int | None]:
        return lambda: proc.returncode

    def _restarting(self, restart: Restart) -> None:
        self.restarts.append(restart)
        self._write_state()
        if self._on_restart is not None:
            self._on_restart(restart)

    def _relaunched(self, child: Child) -> None:
        if child.name in self.processes:
            self.processes[child.name].restarts = child.restarts
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
            # Where pages find each other and the sign-in (统一身份认证), and whose pages may call whom (CORS).
            env.setdefault("ONETHING_SERVICE_URLS", json.dumps(embedded_service_urls(self.config.host, ports)))
            proc = RunningProcess(spec, port, env, self.data_dir / "logs" / f"{spec.name}.log")
            proc.launch()
            self.processes[spec.name] = proc

    def wait_ready(self) -> None:
        """Until every process answers ``/readyz``. Before supervision a death is a failed start; once
        supervised, a dead process is waited for while it is restarted."""
        deadline = time.monotonic() + self.config.ready_timeout_s
        waiting = set(self.processes)
        with httpx.Client(timeout=2.0) as client:
            while waiting:
                dead = self.dead()
                if dead and self._supervisor is None:
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
        return [p for p in self.processes.values() if p.returncode is not None]

    def describe_death(self, dead: list[RunningProcess]) -> str:
        lines = []
        for proc in dead:
            tail = proc.log_path.read_text(errors="replace").splitlines()[-15:]
            lines.append(f"{proc.spec.name} exited with {proc.returncode}; last log lines:")
            lines.extend(f"    {line}" for line in tail)
        return "\n".join(lines)

    def _write_state(self) -> None:
        """``system.json``: where everything runs, each process's pid and restarts, the latest deaths. Written
        whole and renamed into place, so a reader (``onething status``, ``onething chaos``) never sees half."""
        if self._supervisor is not None and self._supervisor.stopping:
            return
        broker = self.broker
        state = {
            "kafka_bootstrap": self.bootstrap,
            "pid": os.getpid(),
            "broker": {"pid": broker.process.pid, "embedded": True} if broker and broker.process else None,
            "processes": {n: {"url": p.url, "pid": p.popen.pid if p.popen else None, "restarts": p.restarts}
                          for n, p in self.processes.items()},
            "restarts": [r.as_json() for r in self.restarts[-50:]],
            "restart_count": len(self.restarts),
        }
        path = self.data_dir / STATE_FILE
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(state, indent=2))
        os.replace(tmp, path)

    def pid(self, name: str) -> int | None:
        """The pid of ``name`` (a process of :data:`PROCESSES`, or ``broker``) as it runs now."""
        if name == "broker":
            return self.broker.process.pid if self.broker and self.broker.process else None
        popen = self.processes[name].popen
        return popen.pid if popen else None

    def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.stop()  # first: nothing is restarted while the system stops
        running = [p.popen for p in self.processes.values() if p.popen is not None]
        for popen in running:
            if popen.poll() is None:
                popen.terminate()
        deadline = time.monotonic() + 15
        for popen in running:
            try:
                popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()
        if self.broker is not None:
            self.broker.stop()
        state = self.data_dir / STATE_FILE
        if state.exists():
            state.unlink()

    def power_cut(self) -> None:
        """SIGKILL every process and the embedded broker at once, as a power cut would (for fault tests): nothing
        shuts down cleanly. The data dir stays as the processes left it; start a new :class:`System` on it."""
        if self._supervisor is not None:
            self._supervisor.stop()
        popens = [p.popen for p in self.processes.values() if p.popen is not None]
        if self.broker is not None and self.broker.process is not None:
            popens.append(self.broker.process)
        for popen in popens:
            if popen.poll() is None:
                popen.kill()
        for popen in popens:
            popen.wait()
        (self.data_dir / STATE_FILE).unlink(missing_ok=True)

    def __enter__(self) -> System:
        self.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def database_names(prefix: str | None) -> list[str]:
    """The services' PostgreSQL databases under ``prefix`` (None: the services' default prefix)."""
    if prefix is None:
        prefix = str(ExchangeSettings.model_fields["database_prefix"].default)
    return [f"{prefix}{spec.name}" for spec in PROCESSES if spec.has_database]


async def drop_databases(server_url: str, names: list[str]) -> None:
    """Drop the named databases of a system this process started on ``server_url`` (chaos, bench)."""
    engine = create_async_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for name in names:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()
