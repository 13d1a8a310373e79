"""``onething bench`` as a smoke run (not a timed test: it checks the report's form and exactly once): the whole
system started on the embedded default, a few seconds of closed-loop load, the table, results line and summary."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from onething.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_a_short_bench_reports_its_figures_and_every_case_delivered_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    with pytest.raises(SystemExit) as exit_:
        main(["--data-dir", str(tmp_path / "data"), "bench", "--duration", "5", "--warmup", "2", "--window", "4",
              "--out", str(out)])
    printed = capsys.readouterr().out.strip().splitlines()
    assert exit_.value.code == 0, printed[-20:]
    assert re.fullmatch(r"bench E-02 sqlite: onething \d+\.\d cases/s p99 \d+ ms( \(not sustained\))?", printed[-1])
    [record] = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert record["exactly_once"] and record["lost"] == 0 and record["duplicated"] == 0
    assert record["submitted_total"] >= 4 and record["delivered"] >= 1
    assert {p["name"] for p in record["processes"]} >= {"intake", "dispatch", "supervision", "broker", "load"}
    assert all(p["cpu_s"] > 0 for p in record["processes"] if p["name"] in ("intake", "dispatch"))
    assert record["messages"] > record["case_stream_events"] > 0
    assert any(g["group"] == "supervision" for g in record["groups"])
    [table] = out.glob("bench-*.md")
    assert "| consumer group |" in table.read_text()
