"""Running the peers one after another, after OneThing's own run, in the same closed loop (window, warm-up,
duration); a peer that cannot run here (no redis-server, no ``.venv-peers``) is reported and skipped."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

from onething.bench.figures import BenchFigures, PeerFigures

__all__ = ["DEFAULT_PEERS_SERVER", "PEERS", "run_peers"]

PEERS = ("raw", "celery", "dbos")
DEFAULT_PEERS_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


async def run_peers(names: Sequence[str], onething: BenchFigures, args: argparse.Namespace) -> list[PeerFigures]:
    server = args.peers_database_url or args.database_url or DEFAULT_PEERS_SERVER
    shape = {"window": args.window, "warmup_s": args.warmup, "duration_s": args.duration}
    measured: list[PeerFigures] = []
    for name in names:
        print(f"对照 peer {name} …", file=sys.stderr, flush=True)
        try:  # imported here: each peer's dependencies are the bench extra's, and missing ones skip only it
            if name == "raw":
                from onething.bench.peers.raw import run_raw

                messages = onething.per_case(onething.messages)  # NaN when nothing was delivered
                measured.append(await run_raw(messages_per_case=100.0 if math.isnan(messages) else messages,
                                              hops=args.raw_hops, **shape))
            elif name == "celery":
                from onething.bench.peers.celery_peer import run_celery

                measured.append(await run_celery(server_url=server, **shape))
            elif name == "dbos":
                from onething.bench.peers.dbos_peer import run_dbos

                if not args.peers_python.exists():
                    raise RuntimeError(f"{args.peers_python} not found: `make bench` makes it (DBOS needs an "
                                       "environment of its own)")
                measured.append(await run_dbos(python=args.peers_python, server_url=server, **shape))
        except (ImportError, RuntimeError, OSError) as exc:
            print(f"对照 peer {name} skipped: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    return measured
