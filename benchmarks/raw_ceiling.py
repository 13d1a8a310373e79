"""What the bus alone allows at a given number of records per case (裸总线上限): the raw-bus peer of `onething bench
--peers` (`onething.bench.peers.raw`: sequential hops through a fresh embedded broker, no processing), run for each
``--records`` in turn.

    .venv/bin/python benchmarks/raw_ceiling.py --records 20 40 84 --hops 6 --window 16 --duration 30 --warmup 10

docs/performance.md, step 37: an E-02 case moves ~83 records. At 16 in flight the raw bus's rate follows its
latency (six hops of fetch waits), not the records; with ``--window 256`` or more it shows what the broker carries
at a given count (~900 cases/s at 84 records), so a contract change can be weighed before it is made. A
measurement, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio

from onething.bench.peers.raw import run_raw


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[20, 40, 84], help="records per case, each a run")
    parser.add_argument("--hops", type=int, default=6, help="sequential hops a case makes (default 6)")
    parser.add_argument("--window", type=int, default=16)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    args = parser.parse_args()
    print("| records per case | cases/s | p50 ms | p99 ms | CPU per case (core-s) | how |")
    print("|---:|---:|---:|---:|---:|---|")
    for records in args.records:
        peer = await run_raw(messages_per_case=float(records), hops=args.hops, window=args.window,
                             warmup_s=args.warmup, duration_s=args.duration)
        print(f"| {records} | {peer.rate:.1f} | {peer.p(50):.0f} | {peer.p(99):.0f} | {peer.cpu_per_case:.4f} | "
              f"{peer.note} |", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
