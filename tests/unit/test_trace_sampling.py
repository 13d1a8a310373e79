"""Which traces a process keeps (exchange.tracing): a few new ones a second, each whole, and a record of a trace not
kept costs its consumer no span."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, ParentBased
from opentelemetry.trace import TraceFlags

from exchange.tracing import BURST_SECONDS, TracesPerSecond, sampler_of, unsampled_span

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


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


def test_a_record_of_a_trace_not_kept_gets_a_span_that_records_nothing_in_the_same_trace() -> None:
    sampler = sampler_of(2.0)
    quiet = unsampled_span(f"00-{TRACE}-{PARENT}-00".encode(), sampler)
    assert quiet is not None and not quiet.is_recording()
    context = quiet.get_span_context()
    assert format(context.trace_id, "032x") == TRACE  # what the handler emits carries the trace on
    assert format(context.span_id, "016x") != PARENT and not context.trace_flags & TraceFlags.SAMPLED
    random_bit = unsampled_span(f"00-{TRACE}-{PARENT}-02".encode(), sampler)  # W3C's random-trace-id flag
    assert random_bit is not None and random_bit.get_span_context().trace_flags == 0x02


@pytest.mark.parametrize("traceparent", [
    f"00-{TRACE}-{PARENT}-01",  # kept: make the span
    f"00-{TRACE}-{PARENT}-03",  # kept, with another flag set
    None, b"", b"garbage",
    f"00-{'0' * 32}-{PARENT}-00",  # an invalid trace id: the SDK decides what to do with it
    f"00-{TRACE[:-1]}x-{PARENT}-00", f"01-{TRACE}-{PARENT}-00", f"00-{TRACE}-{PARENT}-zz",
])
def test_anything_else_gets_a_span_made_as_usual(traceparent: str | bytes | None) -> None:
    value = traceparent.encode() if isinstance(traceparent, str) else traceparent
    assert unsampled_span(value, sampler_of(2.0)) is None


def test_a_sampler_that_keeps_what_its_parent_dropped_gets_its_spans() -> None:
    unsampled = f"00-{TRACE}-{PARENT}-00".encode()
    assert unsampled_span(unsampled, ALWAYS_ON) is None  # OTEL_TRACES_SAMPLER=always_on: every span is made
    assert unsampled_span(unsampled, ParentBased(ALWAYS_ON, remote_parent_not_sampled=ALWAYS_ON)) is None
    assert unsampled_span(unsampled, None) is None  # no SDK installed
