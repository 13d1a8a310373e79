"""``onething bench --peers`` brought up for real, briefly (not a timed test: it checks that each peer runs its
closed loop on the real thing, delivers and is reported): the raw bus on a fresh embedded broker, the Celery chord
on a Redis of its own with prefork workers, the DBOS workflow in ``.venv-peers`` (``make test`` makes it), the
latter two on databases of their own. The figures OneThing's side brings are a fixed example: its own run is
``test_e2e_bench.py``'s."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from onething.bench.figures import BenchFigures, ProcessUse, with_peers
from onething.bench.peers.run import run_peers

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]


async def test_each_peer_runs_the_same_closed_loop_and_is_given_as_a_ratio(postgres_url: str) -> None:
    onething = BenchFigures(workload="E-02", database="sqlite", window=4, duration_s=2.0, warmup_s=0.5, delivered=6,
                            latencies_ms=[900.0, 1000.0], processes=[ProcessUse("intake", 1.0, 100.0)], groups=[],
                            messages=600, case_stream_events=240, submitted_total=6, delivered_once=6, duplicated=0,
                            lost=0)
    args = argparse.Namespace(window=4, warmup=0.5, duration=2.0, raw_hops=3, database_url=None,
                              peers_database_url=postgres_url, peers_python=REPO / ".venv-peers/bin/python")
    peers = await run_peers(["raw", "celery", "dbos"], onething, args)
    assert [p.name for p in peers] == ["raw", "celery", "dbos"], "a peer was skipped (see the captured stderr)"
    for peer in peers:
        assert peer.delivered > 0 and peer.cpu_s > 0 and "failed" not in peer.note, peer
        assert 0 < peer.p(50) <= peer.p(99) < 30_000, peer
    assert peers[0].note.startswith("3 hops × 33 records")  # 100 messages per case, as OneThing's run had
    summary, table = with_peers(onething, peers)
    number = r"\d+\.\d"
    assert re.fullmatch(rf"bench E-02 sqlite: onething 3\.0 cases/s p99 1000 ms \| raw {number} \({number}%\) \| "
                        rf"celery {number} \({number}\dx\) \| dbos {number} \({number}\dx\)", summary), summary
    assert "| celery | 4 |" in table and "| dbos | 4 |" in table
