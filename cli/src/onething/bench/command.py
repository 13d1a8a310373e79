"""``onething bench``: start the whole system (every service in its own process, as in production, with the
simulated departments answering at once), hold a closed loop of applications on it, and report what it
sustained (see ``docs/performance.md``).

It writes a markdown table, a PNG chart (with the ``bench`` extra: matplotlib) and one JSON line appended to the
results file; its last line is the summary, for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

from contracts.topics import CASE_STREAM
from onething.bench.figures import BenchFigures, ProcessUse, lags, percentile, with_peers
from onething.bench.load import ClosedLoop
from onething.bench.peers.run import PEERS, run_peers
from onething.bench.probes import BusProbe, BusSnapshot, ProcessSampler, arrived, cpu_seconds
from onething.catalogue import bundle_mix
from onething.processes import PROCESSES
from onething.system import System, SystemConfig, drop_databases

__all__ = ["BENCH_SUMMARY", "add_bench_arguments", "bench_command"]

BENCH_SUMMARY = "压力测试: sustained closed-loop load on the whole system; cases/s, latency, CPU, lag, exactly once"

# Departments answer at once and never ask for a correction or refuse: what is measured is the platform.
INSTANT_DEPARTMENTS = {"ONETHING_SIM_LATENCY_MS_MIN": "0", "ONETHING_SIM_LATENCY_MS_MAX": "0",
                       "ONETHING_SIM_CORRECTION_RATE": "0", "ONETHING_SIM_REJECT_RATE": "0"}


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bundle", action="append", default=None, metavar="CODE",
                        help="one-thing code, repeatable (default E-02); cases cycle through them")
    parser.add_argument("--window", type=int, default=32, help="applications in flight (default 32)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds (default 60)")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds of load before measuring (default 20)")
    parser.add_argument("--database-url", default=None, metavar="URL",
                        help="PostgreSQL server (databases of its own, dropped after); default: the embedded SQLite")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), metavar="DIR",
                        help="where the table, chart and results.jsonl go (default ./bench-results)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--peers", nargs="?", const="raw,celery,dbos", default=None, metavar="LIST",
                        help="then run the peers in the same closed loop (raw bus, Celery chord, DBOS workflow; default "
                             "all three) and give OneThing's rate as a ratio to each (docs/performance.md)")
    parser.add_argument("--peers-database-url", default=None, metavar="URL",
                        help="PostgreSQL server the Celery and DBOS peers write to (default: --database-url, else "
                             "postgresql://postgres@127.0.0.1:5432/postgres); databases of their own, dropped after")
    parser.add_argument("--peers-python", type=Path, default=Path(".venv-peers/bin/python"), metavar="PATH",
                        help="the interpreter the DBOS peer runs in (made by `make bench`; default .venv-peers)")
    parser.add_argument("--raw-hops", type=int, default=6,
                        help="sequential hops of the raw bus peer (default 6: a case's longest chain of events)")


def bench_command(args: argparse.Namespace) -> int:
    if args.window < 1 or args.duration <= 0 or args.warmup < 0:
        print("--window ≥ 1, --duration > 0 and --warmup ≥ 0, please", file=sys.stderr)
        return 2
    peers = [] if args.peers is None else [name.strip() for name in args.peers.split(",") if name.strip()]
    unknown = sorted(set(peers) - set(PEERS))
    if unknown or args.raw_hops < 1:
        print(f"--peers takes {', '.join(PEERS)} (got {', '.join(unknown)}); --raw-hops ≥ 1", file=sys.stderr)
        return 2
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    bundles = bundle_mix(args.bundle or ["E-02"])
    database_url = args.database_url or None
    config = SystemConfig(data_dir=args.data_dir / "bench", database_url=database_url, fresh=True, free_ports=True,
                          kafka_bootstrap=os.environ.get("ONETHING_KAFKA_BOOTSTRAP") or None,
                          env=INSTANT_DEPARTMENTS)
    if database_url:
        config = replace(config, database_prefix=f"bench_{uuid.uuid4().hex[:8]}_")
    system = System(config, on_restart=lambda r: print(r.describe(), file=sys.stderr, flush=True))
    print(f"启动系统 starting the system ({system.databases()}) …", file=sys.stderr, flush=True)
    system.start()
    try:
        figures = asyncio.run(_measure(system, bundles, args))
    finally:
        system.stop()
        if database_url:
            asyncio.run(drop_databases(database_url, system.database_names()))
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    table = args.out / f"bench-{stamp}.md"
    table.write_text(figures.markdown() + "\n")
    with open(args.out / "results.jsonl", "a") as results:
        results.write(json.dumps({"at": stamp, **figures.as_json()}, ensure_ascii=False) + "\n")
    chart = _chart(figures, args.out / f"bench-{stamp}.png")
    print(figures.markdown())
    summary = figures.summary()
    if peers:
        measured = asyncio.run(run_peers(peers, figures, args))
        summary, side_by_side = with_peers(figures, measured)
        print("\n" + side_by_side)
        with open(table, "a") as written:
            written.write("\n" + side_by_side + "\n")
        with open(args.out / "results.jsonl", "a") as results:
            results.write(json.dumps({"at": stamp, "peers": [p.as_json() for p in measured], "summary": summary},
                                     ensure_ascii=False) + "\n")
    print(f"\n表 table {table}; 图 chart {chart or 'not drawn (pip install onething-cli[bench])'}; "
          f"结果 results {args.out / 'results.jsonl'}", file=sys.stderr)
    print(summary)
    return 0 if figures.exactly_once else 1


async def _measure(system: System, bundles: list[str], args: argparse.Namespace) -> BenchFigures:
    names = [spec.name for spec in PROCESSES] + (["broker"] if system.broker is not None else [])
    sampler = ProcessSampler(system.pid, names)
    probe = BusProbe(system.bootstrap)
    await probe.start()
    loop = ClosedLoop(system.url("intake"), system.bootstrap, system.tokens, bundles, args.window, args.seed)
    marks: dict[str, float] = {}
    snapshots: dict[str, BusSnapshot] = {}
    load_cpu: dict[str, float] = {}

    readings: list[tuple[float, dict[str, int]]] = []  # (when, each group's lag) every 5 s of the window

    async def sample_every_second() -> None:
        for n in itertools.count(1):
            await asyncio.sleep(1.0)
            sampler.sample()
            if n % 5 == 0:
                readings.append((time.monotonic(), (await probe.snapshot()).lag()))

    sampling: asyncio.Task[None] | None = None

    async def open_window() -> None:
        nonlocal sampling
        snapshots["start"] = await probe.snapshot()
        sampler.open()
        load_cpu["start"] = cpu_seconds(os.getpid()) or 0.0
        marks["start"] = time.monotonic()
        sampling = asyncio.create_task(sample_every_second())
        print(f"测量中 measuring {args.duration:.0f} s …", file=sys.stderr, flush=True)

    async def close_window() -> None:
        marks["end"] = time.monotonic()
        load_cpu["end"] = cpu_seconds(os.getpid()) or 0.0
        sampler.close()
        if sampling is not None:
            sampling.cancel()
        snapshots["end"] = await probe.snapshot()

    print(f"预热 warming up {args.warmup:.0f} s with {args.window} in flight …", file=sys.stderr, flush=True)
    try:
        await loop.run([(args.warmup, None), (args.duration, open_window), (0.0, close_window)])
    finally:
        await probe.stop()
    start, end = marks["start"], marks["end"]
    before, after = snapshots["start"], snapshots["end"]
    lag_start, lag_end = before.lag(), after.lag()
    late = [lag for at, lag in readings if at >= end - (end - start) / 3] + [lag_end]
    seen = loop.seen
    submitted = list(seen.submitted_at)
    once = sum(1 for c in submitted if len(seen.event_ids.get(c, ())) == 1)
    many = sum(1 for c in submitted if len(seen.event_ids.get(c, ())) > 1)
    processes = [ProcessUse(n, sampler.used(n), sampler.peak_rss.get(n, 0.0)) for n in names]
    processes.append(ProcessUse("load", load_cpu["end"] - load_cpu["start"], 0.0))
    if loop.refused:
        print(f"被拒 {len(loop.refused)} applications refused, e.g. {loop.refused[0]}", file=sys.stderr)
    return BenchFigures(
        workload="+".join(dict.fromkeys(bundles)), database="postgresql" if args.database_url else "sqlite",
        window=args.window, duration_s=end - start, warmup_s=args.warmup,
        delivered=seen.count(start, end), latencies_ms=seen.latencies_ms(start, end), processes=processes,
        groups=lags(lag_start, lag_end, {g: arrived(before, after, after.topics_of(g) | before.topics_of(g))
                                         for g in set(lag_start) | set(lag_end)}, late),
        messages=arrived(before, after), case_stream_events=arrived(before, after, {CASE_STREAM.name}),
        submitted_total=len(submitted), delivered_once=once, duplicated=many,
        lost=sum(1 for c in submitted if c not in seen.delivered_at),
        timeline=_timeline(seen.delivered_at, seen.submitted_at, start, end),
    )


def _timeline(delivered_at: dict[str, float], submitted_at: dict[str, float], start: float, end: float
              ) -> list[tuple[float, float, float]]:
    """Per stretch of the window (5 s; 1 s in a window under 20 s): when it began, the cases/s delivered in it
    and their p99 latency (ms). Deliveries arrive in bursts (a poll's worth), so single seconds are noise."""
    step = 5 if end - start >= 20 else 1
    out = []
    for lo in range(0, int(end - start) - step + 1, step):
        at = start + lo
        latencies = [1000 * (t - submitted_at[c]) for c, t in delivered_at.items()
                     if at <= t < at + step and c in submitted_at]
        out.append((float(lo), len(latencies) / step, percentile(latencies, 99)))
    return out


def _chart(figures: BenchFigures, path: Path) -> Path | None:
    """Throughput and p99 latency over the window; None without matplotlib (the ``bench`` extra)."""
    try:
        import matplotlib  # optional: the bench extra
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    seconds = [t[0] for t in figures.timeline]
    fig, rate_axis = plt.subplots(figsize=(9, 4.5), dpi=110)
    rate_axis.plot(seconds, [t[1] for t in figures.timeline], color="tab:blue", marker="o", label="delivered cases/s")
    rate_axis.set_xlabel("seconds into the measured window")
    rate_axis.set_ylabel("cases/s", color="tab:blue")
    rate_axis.set_ylim(bottom=0)
    latency_axis = rate_axis.twinx()
    latency_axis.plot(seconds, [t[2] for t in figures.timeline], color="tab:red", marker="s", label="p99 latency")
    latency_axis.set_ylabel("p99 submission→delivery (ms)", color="tab:red")
    latency_axis.set_ylim(bottom=0)
    rate_axis.set_title(f"onething bench {figures.workload} {figures.database}, {figures.window} in flight: "
                        f"{figures.rate:.1f} cases/s, p99 {figures.p(99):.0f} ms")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
