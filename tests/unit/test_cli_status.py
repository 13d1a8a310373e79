"""``onething status``: the running system's processes, their pids and restarts, from its system.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from onething.cli import main
from onething.system import STATE_FILE


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def test_status_shows_each_process_its_restarts_and_the_latest_deaths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = {"kafka_bootstrap": "127.0.0.1:9092", "pid": os.getpid(), "broker": {"pid": 41, "embedded": True},
             "processes": {"intake": {"url": "http://127.0.0.1:8101", "pid": 42, "restarts": 0},
                           "dispatch": {"url": "http://127.0.0.1:8102", "pid": 77, "restarts": 2}},
             "restarts": [{"process": "dispatch", "exit": "signal SIGKILL", "returncode": -9, "attempt": 1,
                           "delay_s": 0.5, "at": "2026-12-04T21:00:00+00:00"}], "restart_count": 2}
    (tmp_path / STATE_FILE).write_text(json.dumps(state))
    code, out, _ = run(capsys, "status", "--data-dir", str(tmp_path))
    assert code == 0
    assert "broker   127.0.0.1:9092  pid 41 (embedded tansu)" in out
    assert "dispatch     http://127.0.0.1:8102    pid 77  重启 restarts 2" in out
    assert "dispatch died (signal SIGKILL), attempt 1, restarted after 0.5s" in out
    code, out, _ = run(capsys, "status", "--json", "--data-dir", str(tmp_path))
    assert json.loads(out)["restart_count"] == 2


def test_status_without_a_system_says_where_it_looked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "status", "--data-dir", str(tmp_path))
    assert code == 1 and str(tmp_path.resolve()) in err
