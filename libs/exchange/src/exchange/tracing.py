"""OpenTelemetry across HTTP and Kafka (链路追踪).

The W3C ``traceparent`` of the code that *wrote* an event is stored in the envelope and sent as a
Kafka header, so a case can be followed from the HTTP request that created it through every
consumer. Consumers open one ``"{topic} process"`` span per handled message (aiokafka's own
instrumentation ends its spans inside ``getmany``, which is why the runner does it). Only
entrypoints configure the SDK; library code uses the API. Telemetry never breaks the app.

Which traces are kept (采样): a new trace (its root: an application's request, a timer) is kept while the process
starts at most ``ONETHING_TRACES_PER_SECOND`` of them a second (:class:`TracesPerSecond`, a token bucket, as AWS
X-Ray's and Jaeger's default samplers keep a few a second), and every later span of a trace does what its root did
(``ParentBased``, across processes through the ``traceparent`` flags): a case's trace is kept whole or not at all.
On a development machine every case is traced; under load a few cases a second are. A record of a trace not kept
gets a span that records nothing (the SDK's own drop), which carries the trace on to what its handler emits.
``OTEL_TRACES_SAMPLER``, when set, is honoured as OpenTelemetry defines it instead.

Spans leave a process only through :class:`RedactingExporter`: every string in a span's name, attributes and
events (FastAPI's own spans carry ``url.path``, e.g. ``/holders/<ID number>/licences``; a recorded exception
carries its message) is masked by :func:`exchange.privacy.redact` on the way out.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, Status, TraceState
from opentelemetry.util.types import Attributes

from exchange.privacy import redact

__all__ = [
    "RedactingExporter",
    "TracesPerSecond",
    "configure_tracing",
    "context_from_headers",
    "current_traceparent",
    "sampler_of",
    "tracer",
]

logger = logging.getLogger(__name__)


@functools.cache
def tracer() -> trace.Tracer:
    """The library's tracer, made once: ``get_tracer`` builds a new SDK tracer on every call (4–5% of a busy
    consumer's CPU when it was called per record). Made before the process installs its provider, it is
    OpenTelemetry's proxy, which hands over to the real tracer once there is one."""
    return trace.get_tracer("onething.exchange")


BURST_SECONDS = 10.0  # a quiet process keeps this many seconds' worth of traces at once (a page's requests, a demo)


class TracesPerSecond(Sampler):
    """Keeps at most ``per_second`` new traces a second over time, drops the rest: a token bucket that holds
    :data:`BURST_SECONDS` worth (at least one). For roots only: under :class:`ParentBased` a trace's later spans
    follow its root."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.per_second = per_second
        self._capacity = max(1.0, per_second * BURST_SECONDS)
        self._tokens = self._capacity
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()  # spans may start on other threads (the SDK's own, a library's)

    def should_sample(
        self, parent_context: Context | None, trace_id: int, name: str, kind: SpanKind | None = None,
        attributes: Attributes = None, links: Sequence[Link] | None = None, trace_state: TraceState | None = None,
    ) -> SamplingResult:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._last) * self.per_second)
            self._last = now
            kept = self._tokens >= 1.0
            if kept:
                self._tokens -= 1.0
        parent_state = trace.get_current_span(parent_context).get_span_context().trace_state
        if kept:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, parent_state)
        return SamplingResult(Decision.DROP, None, parent_state)

    def get_description(self) -> str:
        return f"TracesPerSecond{{{self.per_second:g}}}"


def sampler_of(traces_per_second: float, otel_traces_sampler: str | None = None) -> Sampler | None:
    """The sampler a service installs: None (OpenTelemetry's own) when ``OTEL_TRACES_SAMPLER`` is set; every trace
    kept for 0; else :class:`TracesPerSecond` at the roots and their decision after them."""
    if otel_traces_sampler:
        return None
    if traces_per_second <= 0:
        return ParentBased(root=ALWAYS_ON)
    return ParentBased(root=TracesPerSecond(traces_per_second))


def configure_tracing(
    service_name: str, otlp_endpoint: str | None, exporter: SpanExporter | None = None,
    sampler: Sampler | None = None,
) -> TracerProvider:
    """Install the SDK for a service process; export over OTLP/HTTP when an endpoint is set. ``sampler``: see
    :func:`sampler_of` (None: OpenTelemetry's from the environment, every trace by default)."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}), sampler=sampler)
    if exporter is None and otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(RedactingExporter(exporter)))
    trace.set_tracer_provider(provider)
    return provider


class RedactingExporter(SpanExporter):
    """Hands ``inner`` each span with its personal numbers masked (个人信息不出链路追踪)."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([_Redacted(span) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def _masked(attributes: Attributes) -> dict[str, object]:
    masked: dict[str, object] = {}
    for key, value in (attributes or {}).items():
        if isinstance(value, str):
            masked[key] = redact(value)
        elif isinstance(value, (list, tuple)) and any(isinstance(v, str) for v in value):
            masked[key] = tuple(redact(v) if isinstance(v, str) else v for v in value)
        else:
            masked[key] = value
    return masked


class _Redacted(ReadableSpan):
    """A finished span as exported: the same span, its strings masked."""

    def __init__(self, span: ReadableSpan) -> None:
        super().__init__(
            name=redact(span.name), context=span.context, parent=span.parent, resource=span.resource,
            attributes=_masked(span.attributes),  # type: ignore[arg-type]
            events=[Event(redact(e.name), _masked(e.attributes), e.timestamp)  # type: ignore[arg-type]
                    for e in span.events],
            links=span.links, kind=span.kind,
            status=Status(span.status.status_code, redact(span.status.description))
            if span.status.description else span.status, start_time=span.start_time,
            end_time=span.end_time, instrumentation_scope=span.instrumentation_scope,
        )


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def context_from_headers(
    headers: Sequence[tuple[str, bytes]] | None, fallback_traceparent: str | None = None
) -> Context:
    carrier: dict[str, str] = {}
    for name, value in headers or ():
        if name in ("traceparent", "tracestate") and value is not None:
            try:
                carrier[name] = value.decode()
            except UnicodeDecodeError:
                logger.debug("ignoring undecodable %s header", name)
    if "traceparent" not in carrier and fallback_traceparent:
        carrier["traceparent"] = fallback_traceparent
    return propagate.extract(carrier)
