"""Spans kept on the machine (本地链路存储): the embedded default's traces, with no collector to send them to.

Without ``OTEL_EXPORTER_OTLP_ENDPOINT``, each process appends its finished spans, one JSON object per line, to
``<data_dir>/traces/<service>.jsonl`` (after :class:`exchange.tracing.RedactingExporter` has masked them, like every
span that leaves a process). When the file passes its size limit it becomes ``<service>.jsonl.1`` (the one before
is dropped), so the folder holds each process's latest spans within twice the limit. ``onething trace CASE_ID``
and the ops room read them back: :func:`case_spans` finds a case's traces from the consumer spans that name the
case (``onething.case_id``), then every span of those traces, from every process.

The spans are written by the SDK's batch processor on its own thread, never on the event loop.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

__all__ = ["CASE_ATTRIBUTE", "TRACES_FOLDER", "LocalSpanFile", "StoredSpan", "case_spans", "read_spans", "span_depths",
           "span_line"]

logger = logging.getLogger(__name__)

CASE_ATTRIBUTE = "onething.case_id"
TRACES_FOLDER = "traces"  # under the data dir


def span_line(span: ReadableSpan) -> dict[str, Any]:
    """One finished span as stored: ids in hex as W3C writes them, times in Unix nanoseconds."""
    context, parent = span.context, span.parent
    return {
        "trace_id": f"{context.trace_id:032x}" if context else "",
        "span_id": f"{context.span_id:016x}" if context else "",
        "parent_id": f"{parent.span_id:016x}" if parent else None,
        "name": span.name,
        "service": str(span.resource.attributes.get("service.name", "")),
        "kind": span.kind.name.lower(),
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name.lower(),
        "attributes": {k: v if isinstance(v, str | int | float | bool) else list(v)  # type: ignore[arg-type]
                       for k, v in (span.attributes or {}).items()},
    }


def _encoded(line: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(line)
    except TypeError:  # what orjson refuses (an integer past 64 bits) json writes
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class LocalSpanFile(SpanExporter):
    """Appends spans to ``path`` as JSON lines; past ``max_bytes`` the file is renamed ``<path>.1`` and begun anew."""

    def __init__(self, path: Path, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()  # the batch processor exports from one thread; shutdown may come from another

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        # orjson: compact UTF-8 as json.dumps(ensure_ascii=False) wrote, on the exporter's thread, which holds
        # the interpreter lock while it encodes (py-spy: ~6% of a busy service went to this line with json).
        text = b"".join(_encoded(span_line(span)) + b"\n" for span in spans)
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if self.path.exists() and self.path.stat().st_size >= self.max_bytes:
                    self.path.replace(self.path.with_name(self.path.name + ".1"))
                with self.path.open("a+b") as out:
                    if out.tell() and (out.seek(-1, 2), out.read(1))[1] != b"\n":
                        text = b"\n" + text  # a line torn by a crash stays alone, and this batch's first span whole
                    out.write(text)
        except OSError as exc:  # telemetry never breaks the app
            logger.warning("spans not kept in %s: %s", self.path, exc)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class StoredSpan:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    kind: str
    start_ns: int
    end_ns: int
    status: str
    attributes: dict[str, Any]

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


def read_spans(folder: Path) -> Iterator[StoredSpan]:
    """Every span kept in ``folder`` (older files first); a line that is not a whole span (one being written, or
    cut by a crash) is passed over."""
    for path in sorted(folder.glob("*.jsonl.1")) + sorted(folder.glob("*.jsonl")):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            try:
                found = json.loads(line)
                yield StoredSpan(**found)
            except (ValueError, TypeError):
                continue


def case_spans(folder: Path, case_id: str) -> list[StoredSpan]:
    """Every span of the traces a case went through, from every process, in order of their start."""
    spans = list(read_spans(folder))
    traces = {span.trace_id for span in spans if span.attributes.get(CASE_ATTRIBUTE) == case_id}
    return sorted((span for span in spans if span.trace_id in traces), key=lambda span: span.start_ns)


def span_depths(spans: Sequence[StoredSpan]) -> dict[str, int]:
    """Each span's depth under its trace's root (a span whose parent is not kept counts as a root): the waterfall's
    indentation, in ``onething trace`` and in the ops room."""
    parents = {span.span_id: span.parent_id for span in spans}
    depths: dict[str, int] = {}
    for span in spans:
        depth, at, seen = 0, span.parent_id, {span.span_id}
        while at is not None and at in parents and at not in seen:
            seen.add(at)
            depth, at = depth + 1, parents[at]
        depths[span.span_id] = depth
    return depths
