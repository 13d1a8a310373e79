"""The bench's judgement of what it saw (onething.bench.figures): pure, no system needed."""

from __future__ import annotations

import math
import re

import pytest

from onething.bench.figures import (
    LAG_GROWTH_FLOOR,
    BenchFigures,
    GroupLag,
    PeerFigures,
    ProcessUse,
    cpu_thirds,
    lags,
    percentile,
    with_peers,
)
from onething.bench.probes import ProcessSampler


def figures(**overrides: object) -> BenchFigures:
    base: dict[str, object] = dict(
        workload="E-02", database="sqlite", window=8, duration_s=60.0, warmup_s=20.0, delivered=300,
        latencies_ms=[float(i) for i in range(1, 101)],
        processes=[ProcessUse("intake", 30.0, 120.0), ProcessUse("dispatch", 15.0, 110.0), ProcessUse("load", 9.0, 0.0)],
        groups=[GroupLag("dispatch", 10, 12, 5000)], messages=30000, case_stream_events=12000,
        submitted_total=320, delivered_once=320, duplicated=0, lost=0,
    )
    base.update(overrides)
    return BenchFigures(**base)  # type: ignore[arg-type]


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99 and percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_a_group_whose_lag_grew_by_more_than_its_allowance_did_not_keep_up() -> None:
    assert GroupLag("g", 0, LAG_GROWTH_FLOOR, 10).kept_up  # within the floor
    assert not GroupLag("g", 0, LAG_GROWTH_FLOOR + 1, 10).kept_up
    assert GroupLag("g", 0, 400, 10_000).kept_up  # 4% of what arrived
    assert not GroupLag("g", 0, 600, 10_000).kept_up  # 6%
    assert GroupLag("g", 900, 0, 10).kept_up  # caught up


def test_a_lag_caught_at_a_busy_moment_at_the_end_is_judged_by_its_lowest_in_the_last_third() -> None:
    busy_at_the_end = GroupLag("dispatch", 10, 400, 3000, lag_late_low=20)
    assert busy_at_the_end.kept_up  # it got back down in the last third: a poll's worth in hand at the end
    assert not GroupLag("supervision", 10, 400, 3000, lag_late_low=300).kept_up  # never got back down
    assert lags({"a": 1}, {"a": 9}, {"a": 10}, late=[{"a": 4}, {"a": 2}, {"a": 9}]) == [GroupLag("a", 1, 9, 10, 2)]


def test_the_rate_counts_as_sustained_only_if_every_group_kept_up() -> None:
    assert figures().sustained
    behind = figures(groups=[GroupLag("dispatch", 0, 0, 100), GroupLag("supervision", 0, 5000, 20000)])
    assert not behind.sustained
    assert behind.summary().endswith("(not sustained)")


def test_the_summary_line_is_one_line_for_scripts() -> None:
    line = figures().summary()
    assert re.fullmatch(r"bench E-02 sqlite: onething 5\.0 cases/s p99 99 ms", line), line
    assert figures(duplicated=1, delivered_once=319).summary().endswith("(NOT exactly once)")


def test_a_run_with_the_window_reviewing_says_so_in_its_summary_and_table() -> None:
    """委托窗口初审 changes what a case sends: a figure of such a run is not comparable unlabelled."""
    entrusted = figures(window_review="*")
    assert entrusted.summary().startswith("bench E-02 sqlite (window review *): onething 5.0 cases/s")
    assert entrusted.markdown().startswith("### onething bench E-02 on sqlite (window review *): 8 in flight")
    assert entrusted.as_json()["window_review"] == "*" and figures().as_json()["window_review"] == ""


def test_cpu_per_case_leaves_out_the_load_generator() -> None:
    assert figures().cpu_per_case == (30.0 + 15.0) / 300
    assert math.isnan(figures(delivered=0).cpu_per_case)


def test_exactly_once_needs_every_submitted_case_delivered_once() -> None:
    assert figures().exactly_once
    assert not figures(lost=1, delivered_once=319).exactly_once
    assert not figures(duplicated=1).exactly_once


def test_the_table_and_the_json_line_carry_the_figures() -> None:
    table = figures().markdown()
    assert "**5.0 cases/s**" in table and "p50 50 ms, p95 95 ms, p99 99 ms" in table
    assert "| intake | 30.0 | 50 |  | 120 |" in table and "| dispatch | 10 |  | 12 | 5000 | yes |" in table
    growing = figures(processes=[ProcessUse("broker", 30.0, 200.0, first_third_pct=28.4, last_third_pct=66.0)])
    assert "| broker | 30.0 | 50 | 28 → 66 | 200 |" in growing.markdown()
    record = figures().as_json()
    assert record["rate"] == 5.0 and record["sustained"] and record["exactly_once"]
    assert "latencies_ms" not in record and record["summary"] == figures().summary()


def test_a_process_cpu_is_read_over_the_first_and_the_last_third_of_its_readings() -> None:
    # one reading a second over 9 s: 0.2 core-s a second at first, 0.8 at the end
    readings, used = [], 0.0
    for second in range(10):
        readings.append((100.0 + second, used))
        used += 0.2 if second < 3 else 0.5 if second < 6 else 0.8
    first, last = cpu_thirds(readings)
    assert first == pytest.approx(20.0) and last == pytest.approx(80.0)
    assert cpu_thirds(readings[:3]) == (None, None)  # too few to split
    restarted = [*readings[:-1], (109.0, 0.1)]  # restarted at the end: the new process counts from zero
    first, last = cpu_thirds(restarted)
    assert first == pytest.approx(20.0) and last is None


def test_lags_pair_each_group_at_both_ends_of_the_window() -> None:
    paired = lags({"a": 3}, {"a": 5, "b": 2}, {"a": 100})
    assert paired == [GroupLag("a", 3, 5, 100), GroupLag("b", 0, 2, 0)]


def test_the_summary_gives_each_peer_as_a_ratio_and_the_raw_bus_as_a_share() -> None:
    onething = figures(delivered=600)  # 10.0 cases/s over 60 s
    peers = [PeerFigures("raw", 8, 60.0, 12000, [5.0] * 10, 30.0, "6 hops"),  # 200 cases/s
             PeerFigures("celery", 8, 60.0, 7200, [90.0, 100.0], 100.8, "chord"),  # 120 cases/s
             PeerFigures("dbos", 8, 60.0, 3000, [110.0], 75.0, "workflow")]  # 50 cases/s
    summary, table = with_peers(onething, peers)
    assert summary == ("bench E-02 sqlite: onething 10.0 cases/s p99 99 ms | raw 200.0 (5.0%) | celery 120.0 (0.08x) | "
                       "dbos 50.0 (0.20x)")
    assert peers[1].cpu_per_case == 0.014 and peers[1].p(99) == 100.0
    rows = table.splitlines()
    assert rows[2].startswith("| onething | 8 | 10.0 |") and rows[4].startswith("| celery | 8 | 120.0 | 90 | 100 | 0.014 |")
    assert len(rows) == 6


def test_a_peer_that_delivered_nothing_gives_no_ratio() -> None:
    summary, _ = with_peers(figures(), [PeerFigures("celery", 8, 60.0, 0, [], 0.0)])
    assert summary.endswith("| celery 0.0 (delivered none)")


def test_a_server_read_by_its_own_function_is_sampled_like_a_process() -> None:
    used = iter([1.0, 2.0, 3.0, 4.0, 4.5, 5.0])
    sampler = ProcessSampler(lambda name: None, [], {"postgresql": lambda: next(used)})
    sampler.open()  # the window's first reading
    for _ in range(4):
        sampler.sample()
    sampler.close()  # its last
    use = sampler.use("postgresql")
    assert use.cpu_s == pytest.approx(4.0) and use.first_third_pct is not None
    table = figures(processes=[use]).markdown()
    assert "| postgresql | 4.0 | 7 | " in table and table.split("| postgresql |")[1].split("\n")[0].endswith("|  |")
