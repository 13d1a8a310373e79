"""``onething bench --intake`` as a smoke run (not a timed test: it checks the report's form, that no request
failed and exactly once): the whole system on the embedded default, two tiny levels of clients posting
applications back to back, a small spike, and the wait until every accepted case is delivered."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from onething.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_a_short_intake_bench_reports_each_level_without_errors_and_every_case_delivered_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    with pytest.raises(SystemExit) as exit_:
        main(["--data-dir", str(tmp_path / "data"), "bench", "--intake", "--clients", "2,5", "--duration", "1.5",
              "--warmup", "0.5", "--spike", "8", "--drain-timeout", "150", "--out", str(out)])
    printed = capsys.readouterr().out.strip().splitlines()
    assert exit_.value.code == 0, printed[-20:]
    # 1.5 s windows: on a slow moment a level's clients get fewer than two answers each, and it says "(not steady)"
    rate = r"\d+\.\d req/s p99 \d+ ms(?: \(not steady\))?"
    assert re.fullmatch(rf"bench intake E-02 sqlite: 2 clients {rate} \| 5 clients {rate} \| "
                        rf"spike 8 at 8: {rate} \| exactly once yes", printed[-1]), printed[-1]
    [record] = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert record["mode"] == "intake" and record["errors"] == 0 and not record["supplement_errors"]
    assert [level["label"] for level in record["levels"]] == ["2 clients", "5 clients", "spike 8 at 8"]
    for level in record["levels"]:
        assert level["accepted"] >= 1 and not level["errors"] and not level["errors_outside"], level
        assert level["intake_cpu_s"] > 0 and level["intake_peak_rss_mb"] > 0 and level["load_cpu_s"] > 0
    assert record["levels"][-1]["accepted"] == 8
    assert record["exactly_once"] and record["lost"] == 0 and record["duplicated"] == 0
    assert record["submitted_total"] >= sum(level["accepted"] for level in record["levels"])
    [table] = out.glob("bench-*.md")
    assert "| clients | accepted | req/s |" in table.read_text() and "load generator" in table.read_text()
