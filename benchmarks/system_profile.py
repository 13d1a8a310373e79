"""Where every process's CPU goes under load (全系统剖析): py-spy on each service during a bench, by category.

    .venv/bin/python benchmarks/system_profile.py [--after 20] [--seconds 20] [--out .onething/system-profile]
        [--frames N] [--from-files] [--python-only] [-- <onething bench arguments, default: --duration 40 --warmup 10 --window 16>]

Starts ``onething bench`` (the ``bench`` extra installs py-spy), waits ``--after`` seconds for its system to be
busy, records every service process for ``--seconds`` (``py-spy record --native -r 50 -f raw``, one file per
process in ``--out``), lets the bench finish, and prints per process its busy samples and the share of them under
each category below (a sample counts for every category its stack passes through; a thread waiting on a lock, a
condition or the event loop's poll is idle and left out). The categories are the costs a record pays everywhere:
the spans, the signatures, the statements, the Kafka client, parsing and validating. ``--frames N`` also prints
each process's N functions with the largest share of its busy samples (a function counts once per sample whose
stack passes through it); ``--from-files`` reads the files a run left in ``--out`` instead of running a bench.
The broker is Rust and not sampled; ``onething bench`` reports its CPU. A measurement, not a test.

``--native`` pauses each process for every sample, and the samples then lean toward system calls: ``getpid`` was
8-10% of rating's and the simulators' busy samples where ``perf stat -e syscalls:sys_enter_getpid`` counted 4,000
calls a second (0.04% of a core). ``--python-only`` samples with ``--nonblocking`` and no native frames: no
pause, no such lean, no C frames (the signatures show as their Python callers).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

SERVICES = ("intake", "dispatch", "licence", "supervision", "rating", "simulators", "gateway")
CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("spans", re.compile(r"opentelemetry|exchange/tracing|trace_store|ConsumerRunner\._span|_describe")),
    ("verify", re.compile(r"verify_envelope|crypto_sign_open")),
    ("sign", re.compile(r"sign_envelope|SigningKey\.sign")),
    ("canonical JSON", re.compile(r"contracts/canonical")),
    ("sqlite", re.compile(r"sqlite3|_sqlite|inline_sqlite|exchange/db/statements")),
    ("asyncpg", re.compile(r"asyncpg")),
    ("sqlalchemy", re.compile(r"sqlalchemy")),
    ("aiokafka", re.compile(r"aiokafka")),
    ("faust", re.compile(r"faust/|mode/")),
    ("pydantic", re.compile(r"pydantic")),
    ("json", re.compile(r"orjson|json/|loads_checked")),
    ("http", re.compile(r"uvicorn|starlette|fastapi|h11_impl|httpx|httpcore")),
    ("logging", re.compile(r"logging/|exchange/logs")),
    ("metrics", re.compile(r"prometheus_client|exchange/metrics")),
)
LINE = re.compile(r":\d+\)$")
IDLE = re.compile(r"acquire_lock|cond_wait|cond_timedwait|epoll|uv__io_poll|select|sem_|futex")


def service_pids() -> dict[str, int]:
    """The bench's service processes (``python -m <service>``), by name."""
    found: dict[str, int] = {}
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        if len(words) >= 3 and words[1] == b"-m" and words[2].decode(errors="replace") in SERVICES:
            found[words[2].decode()] = int(cmdline.parent.name)
    return found


def categorise(path: Path) -> tuple[int, Counter[str], Counter[str]]:
    """Busy samples of a py-spy raw file, how many of them pass through each category, and through each function
    (``name (file)``, line numbers left out)."""
    busy, shares, functions = 0, Counter[str](), Counter[str]()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        if IDLE.search(";".join(frames[-3:])):
            continue
        busy += int(count)
        for name, pattern in CATEGORIES:
            if pattern.search(stack):
                shares[name] += int(count)
        for function in {LINE.sub(")", frame) for frame in frames}:
            functions[function] += int(count)
    return busy, shares, functions


def main() -> None:
    argv = sys.argv[1:]
    bench_args = argv[argv.index("--") + 1:] if "--" in argv else ["--duration", "40", "--warmup", "10", "--window", "16"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--after", type=float, default=20.0)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path(".onething/system-profile"))
    parser.add_argument("--frames", type=int, default=0)
    parser.add_argument("--from-files", action="store_true")
    parser.add_argument("--python-only", action="store_true",
                        help="py-spy --nonblocking without --native: never pauses a process, so no sample leans "
                             "toward system calls (see the module docstring)")
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if not args.from_files:
        print(_record(args, bench_args))
    report(args.out, args.frames)


def _record(args: argparse.Namespace, bench_args: list[str]) -> str:
    """Run the bench, profile its services into ``args.out``; the bench's summary line."""
    args.out.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    bench = subprocess.Popen(  # noqa: S603 - this environment's own command, the caller's bench arguments
        [str(bin_dir / "onething"), "bench", *bench_args], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(args.after)
        pids = service_pids()
        if not pids:
            raise SystemExit("no service processes found: did the bench start its system?")
        spies = [subprocess.Popen(  # noqa: S603 - this environment's py-spy, fixed arguments
            [str(bin_dir / "py-spy"), "record", "-p", str(pid), "-d", str(args.seconds), "-r", "50",
             *(["--nonblocking"] if args.python_only else ["--native"]),
             "-f", "raw", "-o", str(args.out / f"{name}.txt")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in pids.items()]
        for spy in spies:
            spy.wait()
        summary = (bench.communicate()[0] or "").strip().splitlines()
    finally:
        if bench.poll() is None:
            bench.terminate()  # `onething bench` stops its system on SIGTERM
            bench.wait()
    return summary[-1] if summary else "(the bench printed nothing)"


def report(folder: Path, frames: int) -> None:
    """Each process's busy samples by category, and its ``frames`` largest functions."""
    print(f"{'process':12} {'busy':>6}  share of its busy samples")
    found = {name: categorise(folder / f"{name}.txt") for name in SERVICES if (folder / f"{name}.txt").exists()}
    for name, (busy, shares, _) in found.items():
        cells = " ".join(f"{category} {100 * n / max(busy, 1):.0f}%" for category, n in shares.most_common())
        print(f"{name:12} {busy:6}  {cells}")
    for name, (busy, _, functions) in found.items() if frames else ():
        print(f"\n{name}: the {frames} functions most of its busy samples pass through")
        for function, n in functions.most_common(frames):
            print(f"  {100 * n / max(busy, 1):5.1f}%  {function}")


if __name__ == "__main__":
    main()
