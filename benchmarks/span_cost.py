"""What a span costs (链路追踪开销): CPU per consumed record's span, per request, and the parts of each.

    .venv/bin/python benchmarks/span_cost.py records [--count 20000] [--no-export] [--unsampled]
    .venv/bin/python benchmarks/span_cost.py requests [--fastapi-default] [--count 3000]
    .venv/bin/python benchmarks/span_cost.py parts [--count 20000]

Installs the SDK as a service does (:func:`exchange.tracing.configure_tracing` with the local span file, in a
temporary folder). ``records``: for each record, what the consumer runner runs around a handled record, its span
(``ConsumerRunner._span`` and ``_describe``) with nothing inside; ``--no-export`` leaves the span file out;
``--unsampled``: records of a trace not kept (the SDK drops their span; docs/performance.md step 23).
``requests``: requests to a FastAPI app set up as the services' are (``harden``, ``NATIVE_TELEMETRY``: the server
span only; ``--fastapi-default``: FastAPI's telemetry as it comes, three operation spans more per request), through
httpx's ASGI transport in this process, the client's share included. Both print the process's CPU time (every
thread: the batch processor exports on its own), after the last span is written, divided by the count. ``parts``:
the pieces one at a time, in microseconds each (the trace context from the headers, a span with its attributes
given in two steps or at once, a bare span; masking a finished span, its stored line, both fused).
docs/performance.md, steps 21 and 22. A measurement, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import ConsumerRecord
from fastapi import FastAPI
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

from contracts.envelope import Envelope
from contracts.sharing.v1 import LookupRequested, SubjectKind
from exchange.http_edge import harden
from exchange.http_telemetry import NATIVE_TELEMETRY
from exchange.kafka.consumer import ConsumerRunner
from exchange.privacy import redact
from exchange.settings import ExchangeSettings
from exchange.trace_store import LocalSpanFile, span_line
from exchange.tracing import RedactingExporter, configure_tracing, context_from_headers

CASE_ID = "OT202612074ABC7C3E3328"
HEADERS_OF_A_RECORD = (("event-type", b"supervision.clock.stopped"),)


def _envelope() -> Envelope:
    lookup = LookupRequested(request_id=uuid.uuid4(), draft_id="D-1", subject_kind=SubjectKind.PERSON,
                             subject_id="S-1", authorisation_id="A-1", purpose_zh="表单预填",
                             requested_at=datetime.now(UTC))
    return Envelope.wrap(lookup, source="intake", subject=CASE_ID)


def _headers(sampled: bool = True) -> list[tuple[str, bytes]]:
    flags = "01" if sampled else "00"
    return [*HEADERS_OF_A_RECORD, ("event-id", str(uuid.uuid4()).encode()),
            ("traceparent", f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-{flags}".encode())]


def _record(offset: int, sampled: bool) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic="onething.case.stream", partition=3, offset=offset, timestamp=0, timestamp_type=0,
                          key=CASE_ID.encode(), value=b"{}", checksum=None, serialized_key_size=22,
                          serialized_value_size=1000, headers=_headers(sampled))


def _consumed(count: int, sampled: bool) -> None:
    envelope = _envelope()
    runner = ConsumerRunner.__new__(ConsumerRunner)  # _span needs only the group
    runner.group = "supervision"
    for record in [_record(i, sampled) for i in range(count)]:
        with runner._span(record) as span:
            ConsumerRunner._describe(span, record, envelope)


async def _requested(count: int, fastapi_default: bool) -> None:
    unlimited = ExchangeSettings(http_anonymous_rate_per_s=100_000, http_anonymous_burst=1_000_000)  # one client
    app = harden(FastAPI() if fastapi_default else FastAPI(telemetry=NATIVE_TELEMETRY), unlimited)

    @app.get("/cases/{case_id}")
    async def case(case_id: str) -> dict[str, str]:
        return {"case_id": case_id}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for i in range(count):
            (await client.get(f"/cases/OT{i:020d}")).raise_for_status()


def _whole(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="span-cost-") as folder:
        kept = Path(folder) / "bench.jsonl"
        kept.touch()
        provider = configure_tracing("bench", None, exporter=None if args.no_export else LocalSpanFile(kept))
        started_cpu, started = time.process_time(), time.perf_counter()
        if args.what == "requests":
            asyncio.run(_requested(args.count, args.fastapi_default))
        else:
            _consumed(args.count, not args.unsampled)
        provider.force_flush()
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
        with kept.open("rb") as lines:
            spans = sum(1 for _ in lines)
        provider.shutdown()
    what = args.what[:-1]
    print(f"{args.count} {args.what}, {spans} spans kept: {cpu / args.count * 1e6:.1f} µs CPU per {what} "
          f"({wall / args.count * 1e6:.1f} µs wall)")


class _Kept(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


class _Dropped(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _parts(count: int) -> None:
    kept = _Kept()
    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    provider.add_span_processor(SimpleSpanProcessor(kept))
    tracer = provider.get_tracer("span-cost")
    headers = [_headers() for _ in range(count)]
    context = context_from_headers(headers[0])
    first = {"messaging.system": "kafka", "messaging.operation.type": "process",
             "messaging.destination.name": "onething.case.stream", "messaging.consumer.group.name": "supervision",
             "messaging.destination.partition.id": "3"}
    after = {"messaging.message.id": str(uuid.uuid4()), "onething.case_id": CASE_ID,
             "onething.event_type": "supervision.clock.stopped"}

    def each(label: str, step: Callable[[int], object]) -> None:
        started = time.process_time()
        for i in range(count):
            step(i)
        print(f"{label:55s} {(time.process_time() - started) / count * 1e6:7.1f} µs")

    def two_steps(i: int) -> None:
        with tracer.start_as_current_span("onething.case.stream process", context=context, kind=SpanKind.CONSUMER,
                                          attributes={**first, "messaging.kafka.offset": i}) as span:
            for key, value in after.items():
                span.set_attribute(key, value)

    def at_once(i: int) -> None:
        with tracer.start_as_current_span("onething.case.stream process", context=context, kind=SpanKind.CONSUMER,
                                          attributes={**first, "messaging.kafka.offset": i, **after}):
            pass

    def bare(i: int) -> None:
        tracer.start_span("onething.case.stream process", context=context, kind=SpanKind.CONSUMER).end()

    each("trace context from the headers", lambda i: context_from_headers(headers[i]))
    each("span, 6 attributes at start and 3 set after (as now)", two_steps)
    kept.spans.clear()
    each("span, all 9 attributes at start", at_once)
    each("span, bare: start_span and end, nothing attached", bare)
    finished = kept.spans[:count]
    masked = RedactingExporter(_Dropped())
    each("masking a finished span (RedactingExporter)", lambda i: masked.export(finished[i:i + 1]))
    each("its stored line (span_line)", lambda i: span_line(finished[i]))

    def fused(i: int) -> None:
        line = span_line(finished[i])
        line["name"] = redact(line["name"])
        line["attributes"] = {k: redact(v) if isinstance(v, str) else v for k, v in line["attributes"].items()}

    each("the line with its strings masked in place (fused)", fused)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    records = sub.add_parser("records")
    records.add_argument("--count", type=int, default=20_000)
    records.add_argument("--no-export", action="store_true", help="spans made and ended, not kept")
    records.add_argument("--unsampled", action="store_true",
                         help="records of a trace not sampled (traceparent flags 00): the SDK drops their span")
    requests = sub.add_parser("requests")
    requests.add_argument("--count", type=int, default=3_000)
    requests.add_argument("--fastapi-default", action="store_true", help="FastAPI's telemetry as it comes")
    parts = sub.add_parser("parts")
    parts.add_argument("--count", type=int, default=20_000)
    args = parser.parse_args()
    if args.what == "parts":
        _parts(args.count)
    else:
        args.no_export = getattr(args, "no_export", False)
        _whole(args)


if __name__ == "__main__":
    main()
