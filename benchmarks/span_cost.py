"""What one consumed record's span costs (链路追踪开销): CPU per record, span made, ended and kept on file.

    .venv/bin/python benchmarks/span_cost.py [--records 20000] [--no-export]
    .venv/bin/python benchmarks/span_cost.py --http [--fastapi-default] [--records 5000]

Installs the SDK as a service does (:func:`exchange.tracing.configure_tracing` with the local span file, in a
temporary folder), then for each record runs what the consumer runner runs around a handled record: its span
(:meth:`ConsumerRunner._span` and ``_describe``) and nothing inside; ``--no-export`` leaves the span file out. The process's CPU time (every
thread: the batch processor exports on its own) over the records, after the last span is written, divided by
their number. docs/performance.md, step 21: with tracing on, a bench spent ~11% more CPU per case than with the SDK
disabled. ``--http``: instead, requests to a FastAPI app set up as the services' are (``harden``, the server span
of ``NATIVE_TELEMETRY``; ``--fastapi-default``: FastAPI's own telemetry as it comes, three operation spans more per
request), through httpx's ASGI transport in this process: CPU per request, the client's share included (step 22).
A measurement, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import ConsumerRecord
from fastapi import FastAPI

from contracts.envelope import Envelope
from contracts.sharing.v1 import LookupRequested, SubjectKind
from exchange.http_edge import harden
from exchange.http_telemetry import NATIVE_TELEMETRY
from exchange.kafka.consumer import ConsumerRunner
from exchange.settings import ExchangeSettings
from exchange.trace_store import LocalSpanFile
from exchange.tracing import configure_tracing


def _record(offset: int, envelope: Envelope) -> ConsumerRecord[bytes, bytes]:
    headers = [("event-type", envelope.type.encode()), ("event-id", str(envelope.id).encode()),
               ("traceparent", f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01".encode())]
    return ConsumerRecord(topic="onething.case.stream", partition=3, offset=offset, timestamp=0, timestamp_type=0,
                          key=envelope.subject.encode(), value=b"{}", checksum=None, serialized_key_size=22,
                          serialized_value_size=1000, headers=headers)


async def _requests(count: int, fastapi_default: bool) -> None:
    unlimited = ExchangeSettings(http_anonymous_rate_per_s=100_000, http_anonymous_burst=1_000_000)  # one client
    app = harden(FastAPI() if fastapi_default else FastAPI(telemetry=NATIVE_TELEMETRY), unlimited)

    @app.get("/cases/{case_id}")
    async def case(case_id: str) -> dict[str, str]:
        return {"case_id": case_id}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for i in range(count):
            (await client.get(f"/cases/OT{i:020d}")).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--no-export", action="store_true", help="spans made and ended, not kept")
    parser.add_argument("--http", action="store_true", help="requests to a FastAPI app instead of consumed records")
    parser.add_argument("--fastapi-default", action="store_true", help="with --http: FastAPI's telemetry as it comes")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="span-cost-"))
    (folder / "bench.jsonl").touch()
    provider = configure_tracing("bench", None,
                                 exporter=None if args.no_export else LocalSpanFile(folder / "bench.jsonl"))
    lookup = LookupRequested(request_id=uuid.uuid4(), draft_id="D-1", subject_kind=SubjectKind.PERSON,
                             subject_id="S-1", authorisation_id="A-1", purpose_zh="表单预填", requested_at=datetime.now(UTC))
    envelope = Envelope.wrap(lookup, source="intake", subject="OT202612074ABC7C3E3328")
    runner = ConsumerRunner.__new__(ConsumerRunner)
    runner.group = "supervision"
    records = [_record(i, envelope) for i in range(args.records)]
    started_cpu, started = time.process_time(), time.perf_counter()
    if args.http:
        asyncio.run(_requests(args.records, args.fastapi_default))
    else:
        for record in records:
            with runner._span(record) as span:
                ConsumerRunner._describe(span, record, envelope)
    provider.force_flush()
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    lines = sum(1 for _ in (folder / "bench.jsonl").open("rb"))
    what = "request" if args.http else "record"
    print(f"{args.records} {what}s, {lines} spans kept: {cpu / args.records * 1e6:.1f} µs CPU per {what} "
          f"({wall / args.records * 1e6:.1f} µs wall)")
    provider.shutdown()


if __name__ == "__main__":
    main()
