"""What the ops room (运维室) reads from dispatch besides what every service serves (``/healthz``, ``/readyz``,
``/metrics``, ``/dead-letters``): the processes' restarts as ``onething up`` records them, one case's trace from
the spans the processes keep in the data dir, and the case stream live (server-sent events, no event data).
Operators only (bearer token with the operator role, or the signed ``operator`` request).

The first two read the system's data dir (``ONETHING_DATA_DIR``), which dispatch shares with every process in the embedded
default. Under docker compose there is no ``system.json`` (the orchestrator counts restarts) and the spans go to
the collector (Jaeger draws them): the routes then say so rather than guess.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from contracts.envelope import Envelope, EnvelopeError
from dispatch.domain.messages import MESSAGES
from exchange.access.http import ACCESS_RESPONSES, Allow
from exchange.access.roles import Caller, Role
from exchange.http_edge import refused
from exchange.kafka.case_stream import LostLogWatch, case_stream_reader
from exchange.system_state import read_state
from exchange.trace_store import TRACES_FOLDER, case_spans, span_depths

__all__ = ["OpsSources", "case_event_summary", "ops_router"]

Operator = Annotated[Caller, Depends(Allow(Role.OPERATOR))]


class OpsSources:
    """Where dispatch finds what the ops room asks of it: the system's data dir and the broker (None: not known to
    this process)."""

    def __init__(self, data_dir: Path | None, kafka_bootstrap: str | None = None) -> None:
        self.data_dir = data_dir
        self.kafka_bootstrap = kafka_bootstrap


def _sources(request: Request) -> OpsSources:
    found = getattr(request.app.state, "ops_sources", None)
    return found if isinstance(found, OpsSources) else OpsSources(None)


class ProcessRestarts(BaseModel):
    restarts: int = Field(description="times the supervisor of `onething up` started it again 重启次数")


class SystemRestarts(BaseModel):
    """The processes' restarts (重启), as ``onething up`` records them in ``system.json``."""

    known: bool = Field(description="false when no `onething up` runs from this data dir (compose: ask the "
                                    "orchestrator, `docker compose ps`)")
    processes: dict[str, ProcessRestarts] = Field(default_factory=dict)
    restart_count: int = 0
    latest: list[dict[str, Any]] = Field(default_factory=list, description="the latest deaths, newest last")


class TraceSpan(BaseModel):
    """One span of the waterfall (链路瀑布图): times in ms from the first span's start; no attributes."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    kind: str
    status: str
    depth: int
    offset_ms: float
    duration_ms: float


class CaseTrace(BaseModel):
    case_id: str
    total_ms: float
    traces: int
    services: list[str]
    spans: list[TraceSpan]


TRACE_SPAN_LIMIT = 2000  # a case's traces hold a few hundred spans; a page draws no more than this

STREAM_LIMIT_S = 300.0  # a stream ends after this (the page opens a new one), so no reader holds dispatch for ever
KEEP_ALIVE_S = 15.0  # a comment line this often when no event comes, so proxies keep the connection


def case_event_summary(value: bytes | None) -> dict[str, Any] | None:
    """What the live stream shows of one record of the case stream: the envelope's type, version, source, case and
    time, never its data (the case stream carries no personal data, and the ops room needs none of the rest);
    None for a record that is not an envelope."""
    try:
        envelope, _ = Envelope.from_bytes(value or b"")
    except EnvelopeError:
        return None
    return {"event_id": str(envelope.id), "type": envelope.type, "version": envelope.version,
            "source": envelope.source, "case_id": envelope.subject, "time": envelope.time.isoformat()}


async def _case_events(request: Request, bootstrap: str) -> AsyncIterator[str]:
    """Server-sent events: one ``case-event`` per record of the case stream from now on, until the reader leaves
    or :data:`STREAM_LIMIT_S` has passed (``retry`` tells the browser when to come back)."""
    ends_at = time.monotonic() + STREAM_LIMIT_S
    async with case_stream_reader(bootstrap, start="end") as (consumer, partitions):
        yield "retry: 1000\n: 运维室事件流 case stream, live\n\n"
        quiet_since = time.monotonic()
        lost_logs = LostLogWatch(consumer, partitions)  # a broker restarted empty: the new epoch shows too
        while time.monotonic() < ends_at and not await request.is_disconnected():
            batch = await consumer.getmany(timeout_ms=1000)
            await lost_logs.after(batch)
            records = sorted((r for rs in batch.values() for r in rs), key=lambda r: (r.timestamp, r.partition, r.offset))
            for record in records:
                shown = case_event_summary(record.value)
                if shown is not None:
                    shown |= {"partition": record.partition, "offset": record.offset}
                    yield (f"id: {record.partition}-{record.offset}\nevent: case-event\n"
                           f"data: {json.dumps(shown, ensure_ascii=False)}\n\n")
            if records:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= KEEP_ALIVE_S:
                quiet_since = time.monotonic()
                yield ": keep-alive\n\n"


ops_router = APIRouter(tags=["ops 运维室"], responses=ACCESS_RESPONSES)


@ops_router.get("/ops/restarts", response_model=SystemRestarts,
            summary="各进程重启次数（onething up 记录）Each process's restarts, as `onething up` records them")
async def restarts(_: Operator, request: Request) -> SystemRestarts:
    data_dir = _sources(request).data_dir
    state = None if data_dir is None else await asyncio.to_thread(read_state, data_dir)
    if state is None:
        return SystemRestarts(known=False)
    processes = state.get("processes")
    latest = state.get("restarts")
    return SystemRestarts(
        known=True,
        processes={name: ProcessRestarts(restarts=int(p.get("restarts", 0) or 0))
                   for name, p in (processes.items() if isinstance(processes, dict) else ()) if isinstance(p, dict)},
        restart_count=int(str(state.get("restart_count", 0) or 0)),
        latest=[r for r in latest if isinstance(r, dict)][-10:] if isinstance(latest, list) else [],
    )


@ops_router.get("/traces/{case_id}", response_model=CaseTrace,
            responses={404: {"description": "没有该办件的链路 no spans of that case kept here"}},
            summary="一个办件的链路瀑布图 One case's trace across every process (local spans)")
async def case_trace(case_id: str, _: Operator, request: Request) -> CaseTrace:
    data_dir = _sources(request).data_dir
    folder = None if data_dir is None else data_dir / TRACES_FOLDER
    spans = [] if folder is None or not folder.is_dir() else await asyncio.to_thread(case_spans, folder, case_id)
    if not spans:
        raise refused(404, MESSAGES.text("trace_not_kept", case_id=case_id))
    spans = spans[:TRACE_SPAN_LIMIT]
    start = spans[0].start_ns
    depths = span_depths(spans)
    return CaseTrace(
        case_id=case_id,
        total_ms=(max(s.end_ns for s in spans) - start) / 1e6,
        traces=len({s.trace_id for s in spans}),
        services=sorted({s.service for s in spans}),
        spans=[TraceSpan(trace_id=s.trace_id, span_id=s.span_id, parent_id=s.parent_id, name=s.name,
                         service=s.service, kind=s.kind, status=s.status, depth=depths[s.span_id],
                         offset_ms=(s.start_ns - start) / 1e6, duration_ms=s.duration_ms) for s in spans],
    )


@ops_router.get("/ops/case-events", response_class=StreamingResponse,
                responses={200: {"content": {"text/event-stream": {}}}, 503: {"description": "不知道消息总线 no broker"}},
                summary="办件事件实时流（不含个人信息）The case stream live, as server-sent events (no personal data)")
async def case_events(_: Operator, request: Request) -> StreamingResponse:
    bootstrap = _sources(request).kafka_bootstrap
    if bootstrap is None:
        raise refused(503, MESSAGES.text("no_broker"))
    return StreamingResponse(_case_events(request, bootstrap), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
