"""OpenTelemetry across HTTP and Kafka (链路追踪).

The W3C ``traceparent`` of the code that *wrote* an event is stored in the envelope and sent as a
Kafka header, so a case can be followed from the HTTP request that created it through every
consumer. Consumers open one ``"{topic} process"`` span per handled message (aiokafka's own
instrumentation ends its spans inside ``getmany``, which is why the runner does it). Only
entrypoints configure the SDK; library code uses the API. Telemetry never breaks the app.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

__all__ = [
    "configure_tracing",
    "context_from_headers",
    "current_traceparent",
    "tracer",
]

logger = logging.getLogger(__name__)


def tracer() -> trace.Tracer:
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
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


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
