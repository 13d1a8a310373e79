"""``onething up`` supervises its processes: a service or the embedded broker killed with SIGKILL is started
again (the broker on its same port), each restart reported and recorded in ``system.json``, and the
system is ready again. Only ``stop()`` ends it."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from exchange.broker import _port_open
from onething.supervisor import Restart, RestartPolicy
from onething.system import STATE_FILE, System, SystemConfig

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def _wait_for_restart(system: System, name: str, old_pid: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while system.pid(name) in (old_pid, None) or (name == "broker" and not _port_open("127.0.0.1", system.broker.port)):  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"{name} was not restarted"
        time.sleep(0.2)


def test_a_killed_service_and_the_killed_broker_are_restarted(tmp_path: Path, fast_groups: dict[str, str]) -> None:
    reported: list[Restart] = []
    config = SystemConfig(data_dir=tmp_path / "sup", free_ports=True, env=fast_groups,
                          restart_policy=RestartPolicy(first_delay_s=0.2))
    with System(config, on_restart=reported.append) as system:
        old = system.pid("dispatch")
        assert old is not None
        os.kill(old, signal.SIGKILL)
        _wait_for_restart(system, "dispatch", old)
        system.wait_ready()
        assert [(r.process, r.returncode, r.attempt) for r in reported] == [("dispatch", -signal.SIGKILL, 1)]
        assert "dispatch died (signal SIGKILL); restart attempt 1 in 0.2s" in reported[0].describe()

        assert system.broker is not None
        port, old_broker = system.broker.port, system.pid("broker")
        assert old_broker is not None
        os.kill(old_broker, signal.SIGKILL)
        _wait_for_restart(system, "broker", old_broker)
        assert system.broker.port == port and system.bootstrap == f"127.0.0.1:{port}", "the same port"
        assert reported[-1].process == "broker"
        system.wait_ready()

        state = json.loads((system.data_dir / STATE_FILE).read_text())
        assert state["processes"]["dispatch"]["restarts"] == 1
        assert state["processes"]["dispatch"]["pid"] == system.pid("dispatch")
        assert state["broker"]["pid"] == system.pid("broker")
        assert [r["process"] for r in state["restarts"]][:2] == ["dispatch", "broker"]
    assert not (config.data_dir / STATE_FILE).exists()
    assert all(p.returncode is not None for p in system.processes.values()), "stop() ends everything"
