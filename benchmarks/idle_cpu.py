"""Benchmark: what the whole system costs when nothing happens (空闲开销), per process.

    .venv/bin/python benchmarks/idle_cpu.py [--seconds 20] [--settle 10] [--fetch-wait-ms 100]

Starts every process as ``onething up`` does (embedded broker, SQLite in a temporary data dir, no demo),
waits ``--settle`` seconds after every process is ready, then reads each process's CPU time from /proc over
``--seconds`` and prints cores used (CPU seconds / wall seconds) per process and in total.
``--fetch-wait-ms`` sets ``ONETHING_KAFKA_FETCH_MAX_WAIT_MS`` (docs/performance.md, step 7, compares 100 and
500). A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from onething.bench.probes import ProcessSampler
from onething.processes import PROCESSES
from onething.system import System, SystemConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument("--fetch-wait-ms", type=int, default=None)
    args = parser.parse_args()
    env = {} if args.fetch_wait_ms is None else {"ONETHING_KAFKA_FETCH_MAX_WAIT_MS": str(args.fetch_wait_ms)}
    with tempfile.TemporaryDirectory(prefix="onething-idle-") as data_dir:
        system = System(SystemConfig(data_dir=Path(data_dir), fresh=True, free_ports=True, env=env))
        system.start()
        try:
            time.sleep(args.settle)
            names = [spec.name for spec in PROCESSES] + (["broker"] if system.broker is not None else [])
            sampler = ProcessSampler(system.pid, names)
            sampler.open()
            started = time.monotonic()
            time.sleep(args.seconds)
            sampler.close()
            wall = time.monotonic() - started
        finally:
            system.stop()
    used = {name: sampler.used(name) / wall for name in names}
    wait = args.fetch_wait_ms if args.fetch_wait_ms is not None else "default"
    print(f"idle system, fetch wait {wait} ms, {wall:.1f} s: {sum(used.values()):.2f} cores")
    for name, cores in sorted(used.items(), key=lambda item: -item[1]):
        print(f"  {name:<12} {cores:.3f} cores")


if __name__ == "__main__":
    main()
