"""Where a case's time goes between hops (逐跳时延): from the trace files a bench left, per kind of hop.

    ONETHING_TRACES_PER_SECOND=0 .venv/bin/onething bench --duration 30 --warmup 10 --window 16
    .venv/bin/python benchmarks/hop_latency.py [--traces .onething/bench/traces]

Every consumer span (``"{topic} process"``) has as parent the span that emitted its record: the handler of the
record before, or the request. For each kind of hop (the event type, and the process that handled it) it prints
how many, the **wait** (from the end of the parent span to the start of this one: the rest of the parent's
transaction and its commit, the outbox relay's round, the broker, the fetch, and the records ahead in this
consumer's poll) and the **work** (the span itself), p50 and p90 in milliseconds, longest wait first. Run the bench
with every trace kept (``ONETHING_TRACES_PER_SECOND=0``), else only the sampled cases are there.
A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any


def _spans(folder: Path) -> dict[str, dict[str, Any]]:
    spans: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.jsonl*")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                span = json.loads(line)
                spans[span["span_id"]] = span
    return spans


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=Path, default=Path(".onething/bench/traces"))
    parser.add_argument("--least", type=int, default=20, help="leave out hops seen fewer times")
    args = parser.parse_args()
    spans = _spans(args.traces)
    waits: dict[str, list[float]] = defaultdict(list)
    works: dict[str, list[float]] = defaultdict(list)
    for span in spans.values():
        parent = spans.get(span.get("parent_id") or "")
        if span["kind"] != "consumer" or parent is None:
            continue
        hop = f'{span["attributes"].get("onething.event_type", span["name"])} → {span["service"]}'
        waits[hop].append((span["start_ns"] - parent["end_ns"]) / 1e6)
        works[hop].append((span["end_ns"] - span["start_ns"]) / 1e6)
    print(f"{len(spans)} spans in {args.traces}")
    print(f'{"hop":58} {"n":>6} {"wait p50":>9} {"p90":>7} {"work p50":>9} {"p90":>7}')
    for hop in sorted((h for h in waits if len(waits[h]) >= args.least), key=lambda h: -_quantile(waits[h], 0.5)):
        wait, work = waits[hop], works[hop]
        print(f"{hop[:58]:58} {len(wait):6} {_quantile(wait, 0.5):9.0f} {_quantile(wait, 0.9):7.0f} "
              f"{_quantile(work, 0.5):9.1f} {_quantile(work, 0.9):7.1f}")


if __name__ == "__main__":
    main()
