"""What a bench run saw, judged and written out (压测结果): pure, no I/O, driven directly by unit tests.

A rate counts as **sustained** only if every consumer group kept up over the measured window: a group whose
lag grew by more than :data:`LAG_GROWTH_ALLOWED` of what it had to read in the window (and by more than
:data:`LAG_GROWTH_FLOOR` records) was falling behind, so the delivery rate it allowed is not one the
system could keep (supervision or rating falling behind a fast delivery path would show here).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["LAG_GROWTH_ALLOWED", "LAG_GROWTH_FLOOR", "BenchFigures", "GroupLag", "PeerFigures", "ProcessUse",
           "percentile", "with_peers"]

LAG_GROWTH_ALLOWED = 0.05  # of the records a group had to read in the window
LAG_GROWTH_FLOOR = 50  # records; below it a group's lag is noise (one poll's worth)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class ProcessUse:
    """One process over the measured window."""

    name: str
    cpu_s: float  # user + system CPU seconds spent in the window
    peak_rss_mb: float  # the largest resident size sampled in the window


@dataclass(frozen=True, slots=True)
class GroupLag:
    """One consumer group: its lag (records not yet committed) when the window opened and when it closed, its
    lowest lag in the window's last third (a lag read at one moment may catch a poll's worth in hand; a group
    falling behind never gets back down), and how many records arrived on its topics in the window."""

    group: str
    lag_start: int
    lag_end: int
    arrived: int
    lag_late_low: int | None = None  # None: only the end was seen

    @property
    def kept_up(self) -> bool:
        growth = (self.lag_end if self.lag_late_low is None else self.lag_late_low) - self.lag_start
        return growth <= max(LAG_GROWTH_FLOOR, LAG_GROWTH_ALLOWED * self.arrived)


@dataclass(frozen=True)
class BenchFigures:
    """Everything one run reports."""

    workload: str  # the one-things, e.g. "E-02"
    database: str  # "sqlite" or "postgresql"
    window: int  # applications in flight (closed loop)
    duration_s: float  # the measured window
    warmup_s: float
    delivered: int  # cases delivered in the window
    latencies_ms: Sequence[float]  # submission → delivery of the cases submitted and delivered in the window
    processes: Sequence[ProcessUse]
    groups: Sequence[GroupLag]
    messages: int  # records produced on every topic in the window
    case_stream_events: int  # of which on the case stream
    submitted_total: int  # the whole run, warm-up and drain included
    delivered_once: int  # of those, delivered exactly once
    duplicated: int  # delivered more than once (must be 0)
    lost: int  # never delivered (must be 0)
    timeline: Sequence[tuple[float, float, float]] = field(default_factory=tuple)  # (s, cases/s, p99 ms) per stretch of the window

    @property
    def rate(self) -> float:
        return self.delivered / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def sustained(self) -> bool:
        return all(g.kept_up for g in self.groups)

    @property
    def exactly_once(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.delivered_once == self.submitted_total

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def cpu_per_case(self) -> float:
        """Core-seconds of the whole system (every process, not the load generator) per delivered case."""
        total = sum(p.cpu_s for p in self.processes if p.name != "load")
        return total / self.delivered if self.delivered else math.nan

    def per_case(self, count: int) -> float:
        return count / self.delivered if self.delivered else math.nan

    def summary(self) -> str:
        """The last line, for scripts."""
        return (f"bench {self.workload} {self.database}: onething {self.rate:.1f} cases/s p99 {self.p(99):.0f} ms"
                f"{'' if self.sustained else ' (not sustained)'}{'' if self.exactly_once else ' (NOT exactly once)'}")

    def markdown(self) -> str:
        lines = [
            f"### onething bench {self.workload} on {self.database}: {self.window} in flight, "
            f"{self.duration_s:.0f} s after {self.warmup_s:.0f} s warm-up",
            "",
            "| figure | value |",
            "|---|---|",
            f"| delivered | {self.delivered} cases, **{self.rate:.1f} cases/s**"
            f"{'' if self.sustained else ' (not sustained: a consumer group fell behind)'} |",
            f"| submission → delivery | p50 {self.p(50):.0f} ms, p95 {self.p(95):.0f} ms, p99 {self.p(99):.0f} ms |",
            f"| CPU per case | {self.cpu_per_case:.3f} core-seconds (all processes) |",
            f"| messages per case | {self.per_case(self.messages):.1f} on all topics, "
            f"{self.per_case(self.case_stream_events):.1f} on the case stream |",
            f"| exactly once | {'yes' if self.exactly_once else 'NO'}: {self.submitted_total} submitted, "
            f"{self.delivered_once} delivered once, {self.duplicated} more than once, {self.lost} never |",
            "",
            "| process | CPU s | CPU % of one core | peak RSS MB |",
            "|---|---:|---:|---:|",
            *(f"| {p.name} | {p.cpu_s:.1f} | {100 * p.cpu_s / self.duration_s:.0f} | {p.peak_rss_mb:.0f} |"
              for p in self.processes),
            "",
            "| consumer group | lag at start | lowest in the last third | lag at end | arrived | kept up |",
            "|---|---:|---:|---:|---:|---|",
            *(f"| {g.group} | {g.lag_start} | {'' if g.lag_late_low is None else g.lag_late_low} | {g.lag_end} | "
              f"{g.arrived} | {'yes' if g.kept_up else '**no**'} |" for g in self.groups),
        ]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in ("latencies_ms", "timeline")}
        out.update(rate=round(self.rate, 2), p50_ms=self.p(50), p95_ms=self.p(95), p99_ms=self.p(99),
                   sustained=self.sustained, exactly_once=self.exactly_once, cpu_per_case=self.cpu_per_case,
                   summary=self.summary())
        return out


@dataclass(frozen=True)
class PeerFigures:
    """What a peer (``onething bench --peers``) did in its own closed loop of the same shape: the raw bus (the same
    messages per case through the same broker, no processing), a Celery chord, a DBOS workflow."""

    name: str  # "raw", "celery", "dbos"
    window: int
    duration_s: float
    delivered: int
    latencies_ms: Sequence[float]
    cpu_s: float  # the peer's own processes in the window (its workers, or the bench process for in-process peers)
    note: str = ""  # how it was run (workers, messages per case, …)

    @property
    def rate(self) -> float:
        return self.delivered / self.duration_s if self.duration_s > 0 else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def cpu_per_case(self) -> float:
        return self.cpu_s / self.delivered if self.delivered else math.nan

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "window": self.window, "duration_s": self.duration_s, "delivered": self.delivered,
                "rate": round(self.rate, 2), "p50_ms": self.p(50), "p99_ms": self.p(99),
                "cpu_per_case": self.cpu_per_case, "note": self.note}


def with_peers(onething: BenchFigures, peers: Sequence[PeerFigures]) -> tuple[str, str]:
    """The summary line with each peer as a ratio (OneThing's rate over the peer's; for the raw bus, OneThing's share
    of it), and a markdown table of all of them side by side."""
    parts = [onething.summary()]
    for peer in peers:
        if not peer.rate:
            parts.append(f"{peer.name} 0.0 (delivered none)")
        elif peer.name == "raw":
            parts.append(f"raw {peer.rate:.1f} ({100 * onething.rate / peer.rate:.1f}%)")
        else:
            parts.append(f"{peer.name} {peer.rate:.1f} ({onething.rate / peer.rate:.2f}x)")
    rows = [
        "| system | in flight | cases/s | p50 ms | p99 ms | CPU per case (core-s) | how |",
        "|---|---:|---:|---:|---:|---:|---|",
        f"| onething | {onething.window} | {onething.rate:.1f} | {onething.p(50):.0f} | {onething.p(99):.0f} | "
        f"{onething.cpu_per_case:.3f} | every service in its own process, {onething.database} |",
        *(f"| {p.name} | {p.window} | {p.rate:.1f} | {p.p(50):.0f} | {p.p(99):.0f} | {p.cpu_per_case:.3f} | {p.note} |"
          for p in peers),
    ]
    return " | ".join(parts), "\n".join(rows)


def lags(start: Mapping[str, int], end: Mapping[str, int], arrived: Mapping[str, int],
         late: Sequence[Mapping[str, int]] = ()) -> list[GroupLag]:
    """Each group seen at either end of the window (a group not seen at a reading had no lag there); ``late``:
    the readings of the window's last third, the end's included."""
    names = sorted(set(start) | set(end))
    return [GroupLag(g, start.get(g, 0), end.get(g, 0), arrived.get(g, 0),
                     min(r.get(g, 0) for r in late) if late else None) for g in names]
