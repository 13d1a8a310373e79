"""What a bench run saw, judged and written out (压测结果): pure, no I/O, driven directly by unit tests.

A rate counts as **sustained** only if every consumer group kept up over the measured window: a group whose
lag grew by more than :data:`LAG_GROWTH_ALLOWED` of what it had to read in the window (and by more than
:data:`LAG_GROWTH_FLOOR` records) was falling behind, so the delivery rate it allowed is not one the
system could keep (supervision or rating falling behind a fast delivery path would show here).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ACCEPTED", "LAG_GROWTH_ALLOWED", "LAG_GROWTH_FLOOR", "BenchFigures", "GroupLag", "IntakeFigures",
           "IntakeLevel", "PeerFigures", "ProcessUse", "Request", "cpu_thirds", "error_kind", "intake_level",
           "percentile", "tally_errors", "with_peers"]

LAG_GROWTH_ALLOWED = 0.05  # of the records a group had to read in the window
LAG_GROWTH_FLOOR = 50  # records; below it a group's lag is noise (one poll's worth)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def cpu_thirds(readings: Sequence[tuple[float, float]]) -> tuple[float | None, float | None]:
    """% of one core over the first and the last third of ``readings`` (monotonic time, CPU seconds so far)."""
    if len(readings) < 4:
        return None, None
    start, end = readings[0][0], readings[-1][0]
    third = (end - start) / 3

    def pct(lo: float, hi: float) -> float | None:
        a = min(readings, key=lambda r: abs(r[0] - lo))
        b = min(readings, key=lambda r: abs(r[0] - hi))
        if b[0] <= a[0] or b[1] < a[1]:  # a restart resets the count
            return None
        return 100 * (b[1] - a[1]) / (b[0] - a[0])

    return pct(start, start + third), pct(end - third, end)


@dataclass(frozen=True, slots=True)
class ProcessUse:
    """One process over the measured window."""

    name: str
    cpu_s: float  # user + system CPU seconds spent in the window
    peak_rss_mb: float  # the largest resident size sampled in the window
    # % of one core in the window's first and last thirds: a process whose cost grows as the run goes on (the
    # embedded broker, whose fetches list every batch a partition ever held: docs/performance.md, step 35)
    # shows it here, and the others' fall with the rate.
    first_third_pct: float | None = None
    last_third_pct: float | None = None

    def rss(self) -> str:
        """Peak resident MB, or nothing when not sampled (the load generator; a database server's many
        processes, whose shared buffers would be counted once per process)."""
        return f"{self.peak_rss_mb:.0f}" if self.peak_rss_mb else ""

    def thirds(self) -> str:
        """``first → last`` third, or nothing when not sampled."""
        if self.first_third_pct is None or self.last_third_pct is None:
            return ""
        return f"{self.first_third_pct:.0f} → {self.last_third_pct:.0f}"


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
    offered_rate: float | None = None  # applications per second of an open loop; None: the closed loop of ``window``
    window_review: str = ""  # 委托窗口初审: the departments whose preliminary review the window did ("*": every one)

    @property
    def rate(self) -> float:
        return self.delivered / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def load(self) -> str:
        return (f"{self.window} in flight" if self.offered_rate is None
                else f"{self.offered_rate:g} applications/s offered (open loop)")

    @property
    def setup(self) -> str:
        """What the workload and database leave unsaid: whose preliminary review the window did, if any."""
        return f" (window review {self.window_review})" if self.window_review else ""

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
        return (f"bench {self.workload} {self.database}{self.setup}: onething {self.rate:.1f} cases/s "
                f"p99 {self.p(99):.0f} ms"
                f"{'' if self.sustained else ' (not sustained)'}{'' if self.exactly_once else ' (NOT exactly once)'}")

    def markdown(self) -> str:
        lines = [
            f"### onething bench {self.workload} on {self.database}{self.setup}: {self.load}, "
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
            "| process | CPU s | CPU % of one core | first → last third | peak RSS MB |",
            "|---|---:|---:|---:|---:|",
            *(f"| {p.name} | {p.cpu_s:.1f} | {100 * p.cpu_s / self.duration_s:.0f} | {p.thirds()} | "
              f"{p.rss()} |" for p in self.processes),
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


# --- onething bench --intake: POST /cases under concurrent clients (受理接口压测) ---------------------------------

ACCEPTED = 201  # what intake answers a new application (200 is a repeat of an idempotency key: not a fresh case)
STEADY_ANSWERS_PER_CLIENT = 2  # in the window, on average: fewer, and the window saw waves of requests, not a steady loop


@dataclass(frozen=True, slots=True)
class Request:
    """One ``POST /cases`` as the load generator saw it (monotonic seconds)."""

    started: float
    ended: float
    error: str | None = None  # None: accepted; else its kind (:func:`error_kind`)


def error_kind(status: int | None = None, exception: BaseException | None = None) -> str:
    """How a failed request is tallied: ``HTTP 503`` for an answer other than accepted, else the exception's name
    (``ServerDisconnectedError``, ``TimeoutError``, …)."""
    if exception is not None:
        return type(exception).__name__
    return f"HTTP {status}"


def tally_errors(kinds: Iterable[str | None]) -> dict[str, int]:
    """Each kind of error and how many, most frequent first (None, an accepted request, is not an error)."""
    counts = Counter(k for k in kinds if k is not None)
    return dict(sorted(counts.items(), key=lambda kc: (-kc[1], kc[0])))


def _or_none(value: float) -> float | None:
    """NaN (no value, e.g. a percentile of nothing) as JSON's null."""
    return None if math.isnan(value) else value


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0f} ms"


def _errors_text(errors: Mapping[str, int]) -> str:
    return ", ".join(f"{kind} × {n}" for kind, n in errors.items()) or "none"


@dataclass(frozen=True)
class IntakeLevel:
    """One level of ``onething bench --intake`` (``clients`` posting back to back, measured after a warm-up), or the
    spike (``spike`` requests fired at once, ``clients`` at a time, measured from the first sent to the last
    answered)."""

    clients: int
    duration_s: float  # the measured window
    warmup_s: float
    accepted: int  # requests accepted (HTTP 201) and answered in the window
    latencies_ms: Sequence[float]  # send → answer of those
    errors: Mapping[str, int]  # requests that failed and ended in the window, by kind
    errors_outside: Mapping[str, int]  # failed in the warm-up or in flight when the window closed (none hidden)
    intake: ProcessUse  # the intake process over the window
    rest_cpu_s: float  # every other process of the system (consumers working off the backlog compete for the cores)
    load_cpu_s: float  # the load generator (the bench process: its clients and its case-stream reader)
    spike: int = 0  # requests fired at once; 0 for a level of sustained clients

    @property
    def label(self) -> str:
        return f"spike {self.spike} at {self.clients}" if self.spike else f"{self.clients} clients"

    @property
    def rate(self) -> float:
        """Accepted requests per second in the window."""
        return self.accepted / self.duration_s if self.duration_s > 0 else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + sum(self.errors_outside.values())

    @property
    def steady(self) -> bool:
        """Whether the window held a steady loop: each client answered at least :data:`STEADY_ANSWERS_PER_CLIENT`
        times in it on average. With answers slower than the window is long (intake answers many requests at once,
        each a little, so they all end late together) the window sees a wave, and its rate says little. A spike has
        no steady state to reach."""
        return bool(self.spike) or self.accepted >= STEADY_ANSWERS_PER_CLIENT * self.clients

    def cpu_percent(self, cpu_s: float) -> float:
        """``cpu_s`` over the window, as % of one core."""
        return 100 * cpu_s / self.duration_s if self.duration_s > 0 else math.nan

    def line(self) -> str:
        """``1000 clients 130.2 req/s p99 850 ms (not steady; 5 errors)``: the level's part of the summary line."""
        said = ([] if self.steady else ["not steady"]) + ([f"{self.error_count} errors"] if self.error_count else [])
        flags = f" ({'; '.join(said)})" if said else ""
        return f"{self.label}{':' if self.spike else ''} {self.rate:.1f} req/s p99 {_ms(self.p(99))}{flags}"

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "clients": self.clients, "spike": self.spike,
                "duration_s": round(self.duration_s, 3), "warmup_s": self.warmup_s, "accepted": self.accepted,
                "rate": round(self.rate, 2), **{f"p{q}_ms": _or_none(self.p(q)) for q in (50, 95, 99)},
                "steady": self.steady, "errors": dict(self.errors), "errors_outside": dict(self.errors_outside),
                "intake_cpu_s": round(self.intake.cpu_s, 2), "intake_cpu_pct": round(self.cpu_percent(self.intake.cpu_s), 1),
                "intake_peak_rss_mb": round(self.intake.peak_rss_mb, 1), "rest_cpu_s": round(self.rest_cpu_s, 2),
                "load_cpu_s": round(self.load_cpu_s, 3)}


def intake_level(clients: int, requests: Sequence[Request], start: float, end: float, *, warmup_s: float,
                 intake: ProcessUse, rest_cpu_s: float, load_cpu_s: float, spike: int = 0) -> IntakeLevel:
    """A level's figures from every request it sent: those that ended in ``[start, end]`` are measured, the rest
    (the warm-up's, those in flight when the window closed) only counted if they failed."""
    inside = [r for r in requests if start <= r.ended <= end]
    outside = [r for r in requests if not start <= r.ended <= end]
    return IntakeLevel(
        clients=clients, duration_s=end - start, warmup_s=warmup_s,
        accepted=sum(1 for r in inside if r.error is None),
        latencies_ms=[1000 * (r.ended - r.started) for r in inside if r.error is None],
        errors=tally_errors(r.error for r in inside), errors_outside=tally_errors(r.error for r in outside),
        intake=intake, rest_cpu_s=rest_cpu_s, load_cpu_s=load_cpu_s, spike=spike,
    )


@dataclass(frozen=True)
class IntakeFigures:
    """Everything ``onething bench --intake`` reports: each level, the spike, and whether every case accepted in the
    whole run was delivered exactly once."""

    workload: str
    database: str
    levels: Sequence[IntakeLevel]  # the spike last, if there was one
    cores: int  # the machine's, shared by the system and the load generator
    submitted_total: int  # cases accepted in the whole run (warm-ups, spike included)
    delivered_once: int
    duplicated: int  # must be 0
    lost: int  # not delivered when the wait ended (must be 0)
    waited_s: float  # how long the wait after the load took
    wait_limit_s: float
    deferred: int = 0  # cases accepted on 容缺, whose materials are supplied after the load
    supplied: int = 0  # of those, supplied before the wait ended
    supplement_errors: Mapping[str, int] = field(default_factory=dict)
    late_rate: float = 0.0  # deliveries/s in the wait's last 30 s (> 0 with cases missing: too short a wait to judge)

    @property
    def exactly_once(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.delivered_once == self.submitted_total

    @property
    def error_count(self) -> int:
        return sum(level.error_count for level in self.levels) + sum(self.supplement_errors.values())

    def _once_text(self) -> str:
        if self.exactly_once:
            return "yes"
        problems = []
        if self.lost:
            still = f", still arriving at {self.late_rate:.1f}/s" if self.late_rate > 0 else ""
            problems.append(f"{self.lost} not delivered within {self.wait_limit_s:.0f} s{still}")
        if self.duplicated:
            problems.append(f"{self.duplicated} more than once")
        return f"NO ({'; '.join(problems)})"

    def summary(self) -> str:
        """The last line, for scripts."""
        parts = " | ".join(level.line() for level in self.levels)
        return f"bench intake {self.workload} {self.database}: {parts} | exactly once {self._once_text()}"

    def markdown(self) -> str:
        sustained = [lv for lv in self.levels if not lv.spike]
        heading = (f"### onething bench --intake {self.workload} on {self.database}: POST /cases, "
                   + (f"{sustained[0].duration_s:.0f} s measured after {sustained[0].warmup_s:.0f} s warm-up "
                      "per level" if sustained else "spike only"))
        unsettled = self.lost and self.late_rate > 0
        lines = [
            heading,
            "",
            "| clients | accepted | req/s | p50 ms | p95 ms | p99 ms | errors | intake CPU % | intake peak RSS MB "
            "| rest of the system CPU % | load generator CPU % |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *(f"| {lv.label} | {lv.accepted} | **{lv.rate:.1f}**{'' if lv.steady else ' (not steady)'} | "
              f"{lv.p(50):.0f} | {lv.p(95):.0f} | {lv.p(99):.0f} | {lv.error_count} | "
              f"{lv.cpu_percent(lv.intake.cpu_s):.0f} | {lv.intake.peak_rss_mb:.0f} | "
              f"{lv.cpu_percent(lv.rest_cpu_s):.0f} | {lv.cpu_percent(lv.load_cpu_s):.0f} |" for lv in self.levels),
            "",
            f"CPU % is of one core. 负载发生器与系统共用本机 {self.cores} 个核: the load generator (this process) shares "
            f"the machine's {self.cores} cores with every process of the system, so its CPU is taken from theirs. "
            "Not steady: fewer than two answers per client in the window, which then saw a wave of requests rather "
            "than a steady loop (a longer --warmup and --duration).",
            "",
            "| errors | in the window | warm-up or in flight at its end |",
            "|---|---|---|",
            *(f"| {lv.label} | {_errors_text(lv.errors)} | {_errors_text(lv.errors_outside)} |" for lv in self.levels),
            f"| 容缺 materials of {self.deferred} cases, {self.supplied} supplied after the load | "
            f"{_errors_text(self.supplement_errors)} | |",
            "",
            f"| exactly once | {'yes' if self.exactly_once else 'NO'}: {self.submitted_total} accepted, "
            f"{self.delivered_once} delivered once, {self.duplicated} more than once, {self.lost} not delivered "
            f"(waited {self.waited_s:.0f} s of at most {self.wait_limit_s:.0f} s after the load"
            + (f"; deliveries still arriving at {self.late_rate:.1f}/s when it ended: not lost yet, a longer "
               "--drain-timeout would tell" if unsettled else "") + ") |",
        ]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {"mode": "intake", "workload": self.workload, "database": self.database, "cores": self.cores,
                "levels": [lv.as_json() for lv in self.levels], "submitted_total": self.submitted_total,
                "delivered_once": self.delivered_once, "duplicated": self.duplicated, "lost": self.lost,
                "waited_s": round(self.waited_s, 1), "wait_limit_s": self.wait_limit_s,
                "late_rate": round(self.late_rate, 2), "deferred": self.deferred, "supplied": self.supplied,
                "supplement_errors": dict(self.supplement_errors), "errors": self.error_count,
                "exactly_once": self.exactly_once, "summary": self.summary()}
