"""The system a chaos run works on (被测系统): one this run started, or one ``onething up`` serves.

Either way what a fault needs is read here: the URLs, the bootstrap, each process's pid *now* (a
supervised process gets a new pid when it is restarted, so pids are read again each time), the keys,
and where the services' PostgreSQL databases are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from exchange.signing import KeyRing
from onething.system import STATE_FILE, System, database_names, read_state
from onething.tokens import SystemTokens

__all__ = ["Target"]


@dataclass
class Target:
    data_dir: Path
    bootstrap: str
    urls: dict[str, str]  # process name -> base URL
    pid_of: Callable[[str], int | None]  # "intake", …, "simulators" or "broker"
    database_url: str | None  # the PostgreSQL server the services use; None on SQLite
    databases: list[str]  # the services' PostgreSQL databases (empty on SQLite)
    embedded_broker: bool

    @property
    def keyring(self) -> KeyRing:
        return KeyRing(self.data_dir / "keys")

    @property
    def tokens(self) -> SystemTokens:
        """The development credentials the system's identity platform signs tokens for."""
        return SystemTokens.of(self.data_dir, self.urls)

    @classmethod
    def of_system(cls, system: System) -> Target:
        on_postgres = bool(system.config.database_url)
        return cls(
            data_dir=system.data_dir, bootstrap=system.bootstrap,
            urls={name: proc.url for name, proc in system.processes.items()}, pid_of=system.pid,
            database_url=system.config.database_url, databases=system.database_names() if on_postgres else [],
            embedded_broker=system.broker is not None,
        )

    @classmethod
    def attached(cls, data_dir: Path, database_url: str | None, database_prefix: str | None) -> Target | None:
        """The system ``onething up`` serves from ``data_dir``, if one does; its pids from ``system.json``."""
        state = read_state(data_dir)
        if state is None or not isinstance(state.get("processes"), dict):
            return None
        processes: dict[str, dict[str, object]] = state["processes"]  # type: ignore[assignment]

        def pid_of(name: str) -> int | None:
            now = json.loads((data_dir / STATE_FILE).read_text())
            entry = now.get("broker") if name == "broker" else now["processes"].get(name)
            return int(entry["pid"]) if isinstance(entry, dict) and entry.get("pid") else None

        return cls(
            data_dir=data_dir.resolve(), bootstrap=str(state["kafka_bootstrap"]),
            urls={name: str(p["url"]) for name, p in processes.items()}, pid_of=pid_of,
            database_url=database_url, databases=database_names(database_prefix) if database_url else [],
            embedded_broker=isinstance(state.get("broker"), dict),
        )
