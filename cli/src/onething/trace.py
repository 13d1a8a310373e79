"""``onething trace CASE_ID``: one case's trace across every process, drawn as a waterfall (链路瀑布图).

Reads the spans the processes keep under ``<data-dir>/traces`` in the embedded default (``exchange.trace_store``);
with an OTLP endpoint set, the spans go to the collector instead (Jaeger draws them there).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from exchange.trace_store import TRACES_FOLDER, StoredSpan, case_spans, span_depths

__all__ = ["trace_command", "waterfall"]


def waterfall(spans: Sequence[StoredSpan], width: int = 40) -> list[str]:
    """Lines of a text waterfall: offset from the first span, duration, service, the span indented by depth, and a
    bar placed on a ``width``-character time axis. ``spans`` in order of their start."""
    if not spans:
        return []
    start = spans[0].start_ns
    end = max(span.end_ns for span in spans)
    total = max(end - start, 1)
    depths = span_depths(spans)
    service_width = max(len(span.service) for span in spans)
    lines = [f"{'+ms':>9} {'ms':>8}  {'service':<{service_width}}  span"]
    for span in spans:
        left = (span.start_ns - start) * width // total
        length = max(1, (span.end_ns - span.start_ns) * width // total)
        bar = " " * left + "█" * min(length, width - left) + " " * max(0, width - left - length)
        failed = " ✗" if span.status == "error" else ""
        lines.append(f"{(span.start_ns - start) / 1e6:>9.1f} {span.duration_ms:>8.1f}  {span.service:<{service_width}}"
                     f"  |{bar}| {'  ' * depths[span.span_id]}{span.name}{failed}")
    services = sorted({span.service for span in spans})
    traces = len({span.trace_id for span in spans})
    lines.append(f"{len(spans)} spans, {traces} trace(s), {len(services)} processes ({', '.join(services)}), "
                 f"{total / 1e6:.1f} ms from the first span's start to the last one's end")
    return lines


def trace_command(data_dir: Path, case_id: str, *, as_json: bool) -> int:
    folder = data_dir / TRACES_FOLDER
    if not folder.is_dir():
        print(f"没有本地链路 no spans kept in {folder}: the processes keep them there in the embedded default "
              f"(ONETHING_TRACES_LOCAL, no OTEL_EXPORTER_OTLP_ENDPOINT); name the system's data dir with --data-dir")
        return 2
    spans = case_spans(folder, case_id)
    if not spans:
        print(f"未找到 no spans of case {case_id} in {folder} (under load each process traces only a few cases a "
              f"second, ONETHING_TRACES_PER_SECOND; the files keep each process's latest spans)")
        return 1
    if as_json:
        for span in spans:
            print(json.dumps(asdict(span), ensure_ascii=False))
    else:
        print(f"办件 case {case_id}")
        print("\n".join(waterfall(spans)))
    return 0
