"""OpenTelemetry across HTTP and Kafka (链路追踪).

The W3C ``traceparent`` of the code that *wrote* an event is stored in the envelope and sent as a
Kafka header, so a case can be followed from the HTTP request that created it through every
consumer. Consumers open one ``"{topic} process"`` span per handled message (aiokafka's own
instrumentation ends its spans inside ``getmany``, which is why the runner does it). Only
entrypoints configure the SDK; library code uses the API. Telemetry never breaks the app.

Spans leave a process only through :class:`RedactingExporter`: every string in a span's name, attributes and
events (FastAPI's own spans carry ``url.path``, e.g. ``/holders/<ID number>/licences``; a recorded exception
carries its message) is masked by :func:`exchange.privacy.redact` on the way out.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Status
from opentelemetry.util.types import Attributes

from exchange.privacy import redact

__all__ = [
    "RedactingExporter",
    "configure_tracing",
    "context_from_headers",
    "current_traceparent",
    "tracer",
]

logger = logging.getLogger(__name__)


@functools.cache
def tracer() -> trace.Tracer:
    """The library's tracer, made once: ``get_tracer`` builds a new SDK tracer on every call (4–5% of a busy
    consumer's CPU when it was called per record). Made before the process installs its provider, it is
    OpenTelemetry's proxy, which hands over to the real tracer once there is one."""
    return trace.get_tracer("onething.exchange")


def configure_tracing(
    service_name: str, otlp_endpoint: str | None, exporter: SpanExporter | None = None
) -> TracerProvider:
    """Install the SDK for a service process; export over OTLP/HTTP when an endpoint is set."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
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
