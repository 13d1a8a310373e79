"""``onething bench --intake``'s judgement of what it saw (onething.bench.figures): pure, no system needed."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace

import pytest

from onething.bench.command import client_levels
from onething.bench.figures import (
    IntakeFigures,
    IntakeLevel,
    ProcessUse,
    Request,
    error_kind,
    intake_level,
    tally_errors,
)
from onething.bench.load import Deliveries


def level(clients: int, accepted: int, *, spike: int = 0, errors: dict[str, int] | None = None,
          errors_outside: dict[str, int] | None = None, duration_s: float = 10.0) -> IntakeLevel:
    return IntakeLevel(clients=clients, duration_s=duration_s, warmup_s=0.0 if spike else 5.0, accepted=accepted,
                       latencies_ms=[float(i) for i in range(1, 101)], errors=errors or {},
                       errors_outside=errors_outside or {}, intake=ProcessUse("intake", 8.0, 150.0), rest_cpu_s=6.0,
                       load_cpu_s=2.0, spike=spike)


def figures(**overrides: object) -> IntakeFigures:
    base: dict[str, object] = dict(
        workload="E-02", database="sqlite", levels=[level(100, 1302), level(500, 1401), level(1000, 2500),
                                                    level(500, 1000, spike=1000, duration_s=18.5)],
        cores=2, submitted_total=9000, delivered_once=9000, duplicated=0, lost=0, waited_s=120.0, wait_limit_s=600.0,
    )
    base.update(overrides)
    return IntakeFigures(**base)  # type: ignore[arg-type]


def test_an_error_is_tallied_by_its_status_or_its_exception() -> None:
    assert error_kind(503) == "HTTP 503"
    assert error_kind(exception=TimeoutError()) == "TimeoutError"
    assert error_kind(200, exception=ConnectionResetError()) == "ConnectionResetError"


def test_the_tally_counts_every_kind_most_frequent_first_and_leaves_out_the_accepted() -> None:
    kinds = ["HTTP 503", None, "TimeoutError", "HTTP 503", None, "HTTP 422", "TimeoutError", "HTTP 503"]
    assert list(tally_errors(kinds).items()) == [("HTTP 503", 3), ("TimeoutError", 2), ("HTTP 422", 1)]
    assert tally_errors([None, None]) == {}


def test_a_level_measures_what_ended_in_its_window_and_still_counts_every_error_outside_it() -> None:
    requests = [
        Request(0.0, 0.5),  # warm-up: not measured
        Request(0.2, 0.9, "HTTP 503"),  # warm-up error: counted apart
        Request(0.9, 1.1),  # sent in the warm-up, answered in the window: measured
        Request(1.5, 1.75),
        Request(2.0, 2.5, "ServerDisconnectedError"),
        Request(2.9, 3.4, "TimeoutError"),  # in flight when the window closed
        Request(2.95, 3.2),  # likewise, accepted: neither measured nor an error
    ]
    measured = intake_level(100, requests, 1.0, 3.0, warmup_s=1.0, intake=ProcessUse("intake", 1.5, 130.0),
                            rest_cpu_s=0.5, load_cpu_s=0.2)
    assert measured.accepted == 2 and measured.rate == 1.0 and measured.duration_s == 2.0
    assert [round(ms) for ms in measured.latencies_ms] == [200, 250]
    assert measured.errors == {"ServerDisconnectedError": 1}
    assert measured.errors_outside == {"HTTP 503": 1, "TimeoutError": 1}
    assert measured.error_count == 3
    assert measured.cpu_percent(measured.intake.cpu_s) == 75.0
    assert measured.label == "100 clients"


def test_a_spike_is_labelled_with_its_requests_and_concurrency() -> None:
    spike = level(500, 1000, spike=1000, duration_s=20.0)
    assert spike.label == "spike 1000 at 500" and spike.rate == 50.0


def test_the_summary_line_gives_each_level_and_the_spike_for_scripts() -> None:
    line = figures().summary()
    assert line == ("bench intake E-02 sqlite: 100 clients 130.2 req/s p99 99 ms | 500 clients 140.1 req/s p99 99 ms "
                    "| 1000 clients 250.0 req/s p99 99 ms | spike 1000 at 500: 54.1 req/s p99 99 ms | "
                    "exactly once yes"), line


def test_errors_show_on_their_level_in_the_summary() -> None:
    line = figures(levels=[level(100, 1302), level(1000, 2100, errors={"TimeoutError": 3},
                                                    errors_outside={"HTTP 503": 2})]).summary()
    assert "| 1000 clients 210.0 req/s p99 99 ms (5 errors) |" in line
    assert "100 clients 130.2 req/s p99 99 ms |" in line


def test_a_level_whose_clients_answered_less_than_twice_in_the_window_is_not_steady() -> None:
    assert level(100, 200).steady and not level(100, 199).steady
    assert level(500, 300, spike=300).steady  # a spike has no steady state to reach
    slow = replace(level(1000, 0, errors_outside={"TimeoutError": 316}), latencies_ms=[])
    line = figures(levels=[level(100, 119), slow]).summary()
    assert "100 clients 11.9 req/s p99 99 ms (not steady) |" in line
    assert "| 1000 clients 0.0 req/s p99 n/a (not steady; 316 errors) |" in line
    assert "| **11.9** (not steady) |" in figures(levels=[level(100, 119)]).markdown()


def test_exactly_once_needs_every_accepted_case_delivered_once() -> None:
    assert figures().exactly_once
    lost = figures(lost=40, delivered_once=8960)
    assert not lost.exactly_once
    assert lost.summary().endswith("exactly once NO (40 not delivered within 600 s)")
    twice = figures(duplicated=2, delivered_once=8998)
    assert twice.summary().endswith("exactly once NO (2 more than once)")


def test_cases_still_arriving_when_the_wait_ended_are_said_to_be_so() -> None:
    slow = figures(lost=4000, delivered_once=5000, late_rate=3.24)
    assert slow.summary().endswith("exactly once NO (4000 not delivered within 600 s, still arriving at 3.2/s)")
    assert "a longer --drain-timeout would tell" in slow.markdown()


def test_the_table_carries_every_level_its_errors_and_the_shared_cores() -> None:
    table = figures(levels=[level(100, 1302, errors={"HTTP 503": 2}), level(500, 1000, spike=1000)]).markdown()
    assert table.startswith("### onething bench --intake E-02 on sqlite: POST /cases, 10 s measured after 5 s warm-up")
    assert "| 100 clients | 1302 | **130.2** | 50 | 95 | 99 | 2 | 80 | 150 | 60 | 20 |" in table
    assert "| spike 1000 at 500 | 1000 | **100.0** |" in table
    assert "| 100 clients | HTTP 503 × 2 | none |" in table
    assert "| 容缺 materials of 0 cases, 0 supplied after the load | none | |" in table
    assert "shares the machine's 2 cores" in table and "负载发生器" in table
    assert "| exactly once | yes: 9000 accepted, 9000 delivered once, 0 more than once, 0 not delivered" in table


def test_the_json_line_is_strict_json_even_for_a_level_with_nothing_accepted() -> None:
    empty = IntakeLevel(clients=10, duration_s=5.0, warmup_s=1.0, accepted=0, latencies_ms=[],
                        errors={"ConnectionRefusedError": 50}, errors_outside={}, intake=ProcessUse("intake", 0.0, 0.0),
                        rest_cpu_s=0.0, load_cpu_s=0.1)
    assert math.isnan(empty.p(99))
    record = figures(levels=[level(100, 1302), empty]).as_json()
    text = json.dumps(record, allow_nan=False)
    again = json.loads(text)
    assert again["mode"] == "intake" and again["errors"] == 50 and again["exactly_once"]
    assert again["levels"][1]["p99_ms"] is None and again["levels"][0]["rate"] == 130.2
    assert re.search(r"\| 10 clients 0\.0 req/s p99 n/a \(not steady; 50 errors\) \|", again["summary"])


def test_deliveries_tally_once_more_than_once_and_never() -> None:
    seen = Deliveries()
    for case in ("a", "b", "c", "d"):
        seen.submitted_at[case] = 0.0
    seen.delivered("a", "e1", 1.0)
    seen.delivered("b", "e2", 1.0)
    seen.delivered("b", "e2", 1.5)  # the same event again (a relay republishing it): still once
    seen.delivered("c", "e3", 1.0)
    seen.delivered("c", "e4", 2.0)
    seen.delivered("x", "e5", 1.0)  # not this run's
    assert seen.tally() == (2, 1, 1)


def test_client_levels_are_a_comma_list_of_positive_numbers() -> None:
    assert client_levels("100,500,1000") == [100, 500, 1000]
    assert client_levels(" 5, 20 ,") == [5, 20]
    for wrong in ("", "0,5", "ten", "-3"):
        with pytest.raises(ValueError):
            client_levels(wrong)
