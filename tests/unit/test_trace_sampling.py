"""Which traces a process keeps (exchange.tracing): a few new ones a second at the roots, every later span as its
root decided (ParentBased; on the real broker: tests/exchange/test_exchange_tracing.py)."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, ParentBased

from exchange.tracing import BURST_SECONDS, TracesPerSecond, sampler_of


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _decisions(sampler: TracesPerSecond, n: int) -> list[bool]:
    return [sampler.should_sample(None, trace_id, "POST /cases").decision is Decision.RECORD_AND_SAMPLE
            for trace_id in range(1, n + 1)]


def test_a_quiet_process_keeps_a_burst_then_the_rate() -> None:
    clock = Clock()
    sampler = TracesPerSecond(2, clock=clock)
    burst = int(2 * BURST_SECONDS)
    assert _decisions(sampler, burst + 5) == [True] * burst + [False] * 5
    clock.now += 1.0  # one second's worth comes back
    assert _decisions(sampler, 3) == [True, True, False]
    clock.now += 3600  # never more than the burst
    assert sum(_decisions(sampler, 100)) == burst


def test_a_rate_under_one_a_second_keeps_at_least_one() -> None:
    clock = Clock()
    sampler = TracesPerSecond(0.05, clock=clock)  # one trace every 20 s; the bucket still holds one
    assert _decisions(sampler, 2) == [True, False]
    clock.now += 10
    assert _decisions(sampler, 1) == [False]
    clock.now += 10
    assert _decisions(sampler, 1) == [True]


def test_a_dropped_root_says_so_and_records_no_attributes() -> None:
    sampler = TracesPerSecond(1, clock=Clock())
    _decisions(sampler, int(BURST_SECONDS))
    result = sampler.should_sample(None, 7, "POST /cases", attributes={"http.route": "/cases"})
    assert result.decision is Decision.DROP and not result.attributes
    with pytest.raises(ValueError):
        TracesPerSecond(0)


def test_the_installed_sampler_follows_roots_and_yields_to_opentelemetrys_setting() -> None:
    kept = sampler_of(2.0)
    assert isinstance(kept, ParentBased) and "TracesPerSecond{2}" in kept.get_description()
    every = sampler_of(0)
    assert isinstance(every, ParentBased) and ALWAYS_ON.get_description() in every.get_description()
    assert sampler_of(2.0, "parentbased_traceidratio") is None  # the SDK reads OTEL_TRACES_SAMPLER itself
