"""``onething bench``: start the whole system (every service in its own process, as in production, with the
simulated departments answering at once), hold a closed loop of applications on it, and report what it
sustained (see ``docs/performance.md``).

It writes a markdown table, a PNG chart (with the ``bench`` extra: matplotlib) and one JSON line appended to the
results file; its last line is the summary, for scripts. ``--intake`` measures intake's ``POST /cases`` under
concurrent clients instead (:mod:`.intake`), on the same system, with the same kind of output.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from contracts.departments import department_codes
from contracts.topics import CASE_STREAM
from onething.bench.figures import BenchFigures, IntakeFigures, IntakeLevel, ProcessUse, lags, percentile, with_peers
from onething.bench.load import Applications, ClosedLoop, OpenLoop
from onething.bench.peers.run import PEERS, run_peers
from onething.bench.probes import (
    BusProbe,
    BusSnapshot,
    ProcessSampler,
    arrived,
    cpu_seconds,
    local_database_cpu,
)
from onething.catalogue import bundle_mix
from onething.processes import PROCESSES
from onething.system import System, SystemConfig, drop_databases

__all__ = ["BENCH_SUMMARY", "add_bench_arguments", "bench_command"]

BENCH_SUMMARY = "压力测试: sustained closed-loop load on the whole system; cases/s, latency, CPU, lag, exactly once"

# Departments answer at once and never ask for a correction or refuse: what is measured is the platform.
INSTANT_DEPARTMENTS = {"ONETHING_SIM_LATENCY_MS_MIN": "0", "ONETHING_SIM_LATENCY_MS_MAX": "0",
                       "ONETHING_SIM_CORRECTION_RATE": "0", "ONETHING_SIM_REJECT_RATE": "0"}


WINDOW_REVIEW_ENV = "ONETHING_DISPATCH_WINDOW_REVIEW"


def window_review(args: argparse.Namespace) -> str:
    """Which departments' preliminary review the window does in this run (委托窗口初审): ``--window-review``, else
    what the environment the system inherits says; empty: every department reviews its own items."""
    chosen = args.window_review if args.window_review is not None else os.environ.get(WINDOW_REVIEW_ENV, "")
    return ",".join(code.strip() for code in chosen.split(",") if code.strip())


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bundle", action="append", default=None, metavar="CODE",
                        help="one-thing code, repeatable (default E-02); cases cycle through them")
    parser.add_argument("--window", type=int, default=32, help="applications in flight (default 32)")
    parser.add_argument("--rate", type=float, default=None, metavar="PER_S",
                        help="开环 an open loop instead: applications arriving at this many per second whatever is in "
                             "flight (for the latency at a given rate, e.g. half the sustained one)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds (default 60)")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds of load before measuring (default 20)")
    parser.add_argument("--database-url", default=None, metavar="URL",
                        help="PostgreSQL server (databases of its own, dropped after); default: the embedded SQLite")
    parser.add_argument("--out", type=Path, default=Path("bench-results"), metavar="DIR",
                        help="where the table, chart and results.jsonl go (default ./bench-results)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--window-review", default=None, metavar="DEPTS",
                        help="委托窗口初审: departments whose preliminary review the window does (codes separated by "
                             "commas, or * for every one), as ONETHING_DISPATCH_WINDOW_REVIEW; default: that variable "
                             "if set, else none (every department reviews); the table and summary say which")
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
    parser.add_argument("--intake", action="store_true",
                        help="受理接口压测 measure intake's POST /cases under concurrent clients instead of the closed "
                             "loop: each level of --clients for --warmup then --duration seconds, then the --spike")
    parser.add_argument("--clients", default="100,500,1000", metavar="LIST",
                        help="with --intake: concurrent clients of each level, one connection each (default 100,500,1000)")
    parser.add_argument("--spike", type=int, default=1000, metavar="N",
                        help="with --intake: after the levels, N requests fired at once, min(N, 500) at a time "
                             "(default 1000; 0: none)")
    parser.add_argument("--drain-timeout", type=float, default=600.0, metavar="SECONDS",
                        help="with --intake: how long to wait after the load for every accepted case to be delivered "
                             "(default 600)")


def bench_command(args: argparse.Namespace) -> int:
    try:
        department_codes(window_review(args))
    except ValueError as exc:
        print(f"--window-review ({WINDOW_REVIEW_ENV}): {exc}", file=sys.stderr)
        return 2
    if args.intake:
        return intake_command(args)
    if args.window < 1 or args.duration <= 0 or args.warmup < 0 or (args.rate is not None and args.rate <= 0):
        print("--window ≥ 1, --rate > 0, --duration > 0 and --warmup ≥ 0, please", file=sys.stderr)
        return 2
    if args.rate is not None and args.peers is not None:
        print("--peers run closed loops: compare them with --window, not --rate", file=sys.stderr)
        return 2
    peers = [] if args.peers is None else [name.strip() for name in args.peers.split(",") if name.strip()]
    unknown = sorted(set(peers) - set(PEERS))
    if unknown or args.raw_hops < 1:
        print(f"--peers takes {', '.join(PEERS)} (got {', '.join(unknown)}); --raw-hops ≥ 1", file=sys.stderr)
        return 2
    bundles = bundle_mix(args.bundle or ["E-02"])
    with _bench_system(args) as system:
        figures = asyncio.run(_measure(system, bundles, args))
    table, stamp = _write_results(args.out, figures.markdown(), figures.as_json())
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


@contextmanager
def _bench_system(args: argparse.Namespace) -> Iterator[System]:
    """The bench's own system, started (its databases dropped after, on PostgreSQL) and stopped."""
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    database_url = args.database_url or None
    config = SystemConfig(data_dir=args.data_dir / "bench", database_url=database_url, fresh=True, free_ports=True,
                          kafka_bootstrap=os.environ.get("ONETHING_KAFKA_BOOTSTRAP") or None,
                          env={**INSTANT_DEPARTMENTS, WINDOW_REVIEW_ENV: window_review(args)})
    if database_url:
        config = replace(config, database_prefix=f"bench_{uuid.uuid4().hex[:8]}_")
    system = System(config, on_restart=lambda r: print(r.describe(), file=sys.stderr, flush=True))
    print(f"启动系统 starting the system ({system.databases()}) …", file=sys.stderr, flush=True)
    try:  # started inside: a Ctrl-C or `kill` while the system starts stops what had started
        system.start()
        yield system
    finally:
        system.stop()
        if database_url:
            asyncio.run(drop_databases(database_url, system.database_names()))


def _write_results(out: Path, markdown: str, record: dict[str, Any]) -> tuple[Path, str]:
    """The markdown table (a file of its own) and one JSON line appended to ``results.jsonl``; the table's path
    and the run's stamp."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    table = out / f"bench-{stamp}.md"
    table.write_text(markdown + "\n")
    with open(out / "results.jsonl", "a") as results:
        results.write(json.dumps({"at": stamp, **record}, ensure_ascii=False) + "\n")
    return table, stamp


DATABASE_SERVER = "postgresql"  # the row of a PostgreSQL server on this machine, all its processes together


def _process_names(system: System) -> list[str]:
    return [spec.name for spec in PROCESSES] + (["broker"] if system.broker is not None else [])


SPIKE_CONCURRENCY = 500  # the spike's clients at a time, at most


def client_levels(text: str) -> list[int]:
    """``--clients``: a comma list of positive numbers (ValueError otherwise)."""
    levels = [int(part) for part in text.split(",") if part.strip()]
    if not levels or any(n < 1 for n in levels):
        raise ValueError(text)
    return levels


def intake_command(args: argparse.Namespace) -> int:
    """``onething bench --intake``: intake's POST /cases at each level of concurrent clients, then a spike."""
    # aiohttp's clients are imported for this mode only: every `onething` command imports this module
    from onething.bench.intake import raise_open_files

    try:
        levels = client_levels(args.clients)
    except ValueError:
        print(f"--clients 是逗号分隔的正整数 takes positive numbers separated by commas (got {args.clients!r})",
              file=sys.stderr)
        return 2
    if args.duration <= 0 or args.warmup < 0 or args.spike < 0 or args.drain_timeout <= 0:
        print("--duration > 0, --warmup ≥ 0, --spike ≥ 0 and --drain-timeout > 0, please", file=sys.stderr)
        return 2
    if args.peers is not None:
        print("--peers 只用于闭环压测 is for the closed loop, not with --intake", file=sys.stderr)
        return 2
    # every client holds a connection in this process and in intake (which inherits the limit when started)
    needed = 2 * max([*levels, min(args.spike, SPIKE_CONCURRENCY)]) + 1024
    soft, hard = raise_open_files(needed)
    if soft < needed:
        print(f"注意 note: 打开文件数上限 the open-files limit is {soft} (hard {hard}), below the {needed} this run may "
              "need: expect OSError (too many open files) among the errors", file=sys.stderr)
    bundles = bundle_mix(args.bundle or ["E-02"])
    with _bench_system(args) as system:
        figures = asyncio.run(_measure_intake(system, bundles, levels, args))
    table, _ = _write_results(args.out, figures.markdown(), figures.as_json())
    print(figures.markdown())
    print(f"\n表 table {table}; 结果 results {args.out / 'results.jsonl'}", file=sys.stderr)
    print(figures.summary())
    return 0 if figures.exactly_once else 1  # errors are figures: in the table and the summary line


async def _measure_intake(system: System, bundles: list[str], levels: list[int],
                          args: argparse.Namespace) -> IntakeFigures:
    from onething.bench.intake import IntakeLoad

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    load = IntakeLoad(system.url("intake"), system.bootstrap, Applications(system.tokens, bundles, args.seed),
                      system.pid, _process_names(system), say=say)
    await load.start()
    measured: list[IntakeLevel] = []
    try:
        for clients in levels:
            measured.append(await load.level(clients, args.warmup, args.duration))
            say(f"  {measured[-1].line()}")
        if args.spike:
            measured.append(await load.spike(args.spike, min(args.spike, SPIKE_CONCURRENCY)))
        waited, late_rate = await load.settle(args.drain_timeout)
    finally:
        await load.stop()
    once, many, never = load.seen.tally()
    return IntakeFigures(
        workload="+".join(dict.fromkeys(bundles)), database="postgresql" if args.database_url else "sqlite",
        levels=measured, cores=os.cpu_count() or 1, submitted_total=len(load.seen.submitted_at),
        delivered_once=once, duplicated=many, lost=never, waited_s=waited, wait_limit_s=args.drain_timeout,
        deferred=len(load.deferred), supplied=load.supplied, supplement_errors=load.supplement_tally,
        late_rate=late_rate,
    )


async def _measure(system: System, bundles: list[str], args: argparse.Namespace) -> BenchFigures:
    names = _process_names(system)
    database_cpu = await local_database_cpu(args.database_url) if args.database_url else None
    servers: dict[str, Callable[[], float | None]] = {}
    if database_cpu is not None:  # PostgreSQL on this machine: its share of the cores is the system's
        servers[DATABASE_SERVER] = database_cpu
    sampler = ProcessSampler(system.pid, names, servers)
    probe = BusProbe(system.bootstrap)
    await probe.start()
    loop = (ClosedLoop(system.url("intake"), system.bootstrap, system.tokens, bundles, args.window, args.seed)
            if args.rate is None else
            OpenLoop(system.url("intake"), system.bootstrap, system.tokens, bundles, args.rate, args.seed))
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

    load = f"{args.window} in flight" if args.rate is None else f"{args.rate:g} applications/s"
    print(f"预热 warming up {args.warmup:.0f} s with {load} …", file=sys.stderr, flush=True)
    try:
        await loop.run([(args.warmup, None), (args.duration, open_window), (0.0, close_window)])
    finally:
        await probe.stop()
    start, end = marks["start"], marks["end"]
    before, after = snapshots["start"], snapshots["end"]
    lag_start, lag_end = before.lag(), after.lag()
    late = [lag for at, lag in readings if at >= end - (end - start) / 3] + [lag_end]
    seen = loop.seen
    once, many, lost = seen.tally()
    processes = [sampler.use(n) for n in [*names, *servers]]
    processes.append(ProcessUse("load", load_cpu["end"] - load_cpu["start"], 0.0))
    if loop.refused:
        print(f"被拒 {len(loop.refused)} applications refused, e.g. {loop.refused[0]}", file=sys.stderr)
    return BenchFigures(
        workload="+".join(dict.fromkeys(bundles)), database="postgresql" if args.database_url else "sqlite",
        window=args.window, offered_rate=args.rate, duration_s=end - start, warmup_s=args.warmup,
        delivered=seen.count(start, end), latencies_ms=seen.latencies_ms(start, end), processes=processes,
        groups=lags(lag_start, lag_end, {g: arrived(before, after, after.topics_of(g) | before.topics_of(g))
                                         for g in set(lag_start) | set(lag_end)}, late),
        messages=arrived(before, after), case_stream_events=arrived(before, after, {CASE_STREAM.name}),
        submitted_total=len(seen.submitted_at), delivered_once=once, duplicated=many, lost=lost,
        timeline=_timeline(seen.delivered_at, seen.submitted_at, start, end), window_review=window_review(args),
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
    rate_axis.set_title(f"onething bench {figures.workload} {figures.database}, {figures.load}: "
                        f"{figures.rate:.1f} cases/s, p99 {figures.p(99):.0f} ms")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
