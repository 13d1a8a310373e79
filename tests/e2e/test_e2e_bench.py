"""``onething bench`` as a smoke run (not a timed test: it checks the report's form and exactly once): the whole
system started on the embedded default, a few seconds of closed-loop load, the table, results line and summary."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from onething.cli import main
from onething.system import STATE_FILE, read_state

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_a_short_bench_reports_its_figures_and_every_case_delivered_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the window doing every department's preliminary review (委托窗口初审), so that the real system shows
    that cases then go straight to handling and are delivered, once each."""
    out = tmp_path / "results"
    with pytest.raises(SystemExit) as exit_:
        main(["--data-dir", str(tmp_path / "data"), "bench", "--duration", "5", "--warmup", "2", "--window", "4",
              "--out", str(out), "--window-review", "*"])
    printed = capsys.readouterr().out.strip().splitlines()
    assert exit_.value.code == 0, printed[-20:]
    assert re.fullmatch(r"bench E-02 sqlite \(window review \*\): onething \d+\.\d cases/s p99 \d+ ms"
                        r"( \(not sustained\))?", printed[-1])
    [record] = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert record["exactly_once"] and record["lost"] == 0 and record["duplicated"] == 0
    assert record["window_review"] == "*"
    # What dispatch did, not what the bench says it asked for: every task went to handling with no review request.
    with closing(sqlite3.connect(tmp_path / "data" / "bench" / "dispatch.db")) as dispatch:
        kinds = dict(dispatch.execute("SELECT kind, count(*) FROM dispatch_request GROUP BY kind").fetchall())
        tasks, asked = dispatch.execute("SELECT count(*), count(review_request_id) FROM dispatch_task").fetchone()
    assert kinds.keys() == {"handling"} and tasks > 0 and asked == 0, (kinds, tasks, asked)
    assert record["submitted_total"] >= 4 and record["delivered"] >= 1
    assert {p["name"] for p in record["processes"]} >= {"intake", "dispatch", "supervision", "broker", "load"}
    assert all(p["cpu_s"] > 0 for p in record["processes"] if p["name"] in ("intake", "dispatch"))
    assert record["messages"] > record["case_stream_events"] > 0
    assert any(g["group"] == "supervision" for g in record["groups"])
    [table] = out.glob("bench-*.md")
    assert "| consumer group |" in table.read_text()


def test_a_bench_stopped_with_sigterm_stops_the_system_it_started(tmp_path: Path) -> None:
    """``kill`` (what a CI job or a shell script sends) must stop the bench's services and broker as Ctrl-C does;
    a bench that left them running would load every run after it on the same machine."""
    data = tmp_path / "data"
    bench = subprocess.Popen(
        [sys.executable, "-c", "from onething.cli import main; main()", "--data-dir", str(data), "bench",
         "--duration", "120", "--warmup", "0", "--window", "2", "--out", str(tmp_path / "results")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pids: list[int] = []
    try:
        state = _started_system(data / "bench", bench, within_s=120)
        pids = [state["broker"]["pid"], *(p["pid"] for p in state["processes"].values())]
        assert all(_alive(pid) for pid in pids)
        bench.send_signal(signal.SIGTERM)
        assert bench.wait(timeout=60) != 0  # stopped, not finished
        left = [pid for pid in pids if _alive(pid)]
        assert not left, f"still running after the bench stopped: {left}"
        assert not (data / "bench" / STATE_FILE).exists()
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
        for pid in filter(_alive, pids):  # what a failing run left behind must not load the tests after it
            os.kill(pid, signal.SIGKILL)


def _started_system(data_dir: Path, bench: subprocess.Popen[bytes], within_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        assert bench.poll() is None, "the bench ended before its system had started"
        state: dict[str, Any] | None = read_state(data_dir)
        if state and state.get("broker") and all(p["pid"] for p in state["processes"].values()):
            return state
        time.sleep(0.2)
    raise AssertionError(f"no system started within {within_s} s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a child the bench has not reaped yet is gone in all but name
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
