"""``onething chaos SCENARIO…``: the command line of the fault-injection runner (故障注入演练).

It attaches to the system ``onething up`` serves from the data dir, or else starts one of its own (the
embedded default, or PostgreSQL with ``--database-url``, in databases of its own that it drops at the
end) and stops it after. ``all`` runs every scenario in turn on that one system, each with a batch of its
own, judged on its own cases; kill-broker comes last because the embedded broker keeps nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import uuid
from dataclasses import replace
from pathlib import Path

from onething.catalogue import bundle_mix
from onething.chaos.runner import Outcome, run_scenario
from onething.chaos.scenarios import SCENARIOS, resolve
from onething.chaos.target import Target
from onething.supervisor import Restart
from onething.system import System, SystemConfig, drop_databases

__all__ = ["CHAOS_SUMMARY", "add_chaos_arguments", "chaos_command", "run_chaos"]

CHAOS_SUMMARY = ("故障注入: submit a batch, inject a scenario's faults while it runs, then count what was lost or "
                 "duplicated (exit 0 only if nothing was)")


def add_chaos_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="+", metavar="SCENARIO",
                        help=f"all, or any of: {', '.join(SCENARIOS)}")
    parser.add_argument("--cases", type=int, default=100, help="applications per scenario (default 100)")
    parser.add_argument("--database-url", default=None, metavar="URL",
                        help="PostgreSQL server for a system this command starts (default $ONETHING_DATABASE_URL, "
                             "else the embedded SQLite default); the db-* scenarios need it")
    parser.add_argument("--seed", type=int, default=7, help="the same seed, the same applications and fault moments")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds each scenario's batch may take to be delivered (default 300); past it, cases still "
                             "count as delivered while deliveries keep coming (30 s without one ends the wait)")
    parser.add_argument("--bundle", action="append", default=None, metavar="CODE",
                        help="one-thing code, repeatable (default: the whole catalogue, as `demo --bundle all`)")
    parser.add_argument("--no-ratings", action="store_true",
                        help="skip the applicants' ratings after delivery (faster; no rectification orders then)")
    parser.add_argument("--json", action="store_true", help="one JSON object per scenario instead of the lines")


async def run_chaos(target: Target, names: list[str], *, cases: int, seed: int, timeout_s: float,
                    bundles: list[str], rate: bool = True, as_json: bool = False) -> list[Outcome]:
    """Every scenario named, in turn, on ``target``; each line printed as its scenario ends."""
    outcomes = []
    for scenario in resolve(names):
        outcome = await run_scenario(target, scenario, cases=cases, seed=seed, timeout_s=timeout_s, bundles=bundles,
                                     rate=rate)
        outcomes.append(outcome)
        if as_json:
            print(json.dumps(outcome.as_json(), ensure_ascii=False), flush=True)
        else:
            print(outcome.line(), flush=True)
            for detail in outcome.details():
                print(detail, file=sys.stderr, flush=True)
    return outcomes


def chaos_command(args: argparse.Namespace) -> int:
    try:
        resolve(args.scenario)
    except KeyError as exc:
        print(f"没有该场景 {exc.args[0]}", file=sys.stderr)
        return 2
    # The faults are on purpose: the Kafka client's complaints about a broker it cannot reach are noise here.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    database_url = args.database_url or os.environ.get("ONETHING_DATABASE_URL") or None
    bundles = bundle_mix(args.bundle or ["all"])
    target = Target.attached(args.data_dir, database_url, os.environ.get("ONETHING_DATABASE_PREFIX"))
    system: System | None = None
    if target is None:
        system = _own_system(args.data_dir, database_url)
        print(f"未发现运行中的系统，正在启动 no running system in {args.data_dir.resolve()}; starting one "
              f"({system.databases()}) …", file=sys.stderr, flush=True)
        system.start()
        target = Target.of_system(system)
    try:
        outcomes = asyncio.run(run_chaos(target, args.scenario, cases=args.cases, seed=args.seed,
                                         timeout_s=args.timeout, bundles=bundles, rate=not args.no_ratings,
                                         as_json=args.json))
    finally:
        if system is not None:
            system.stop()
            if database_url:
                asyncio.run(drop_databases(database_url, system.database_names()))
    not_run = [o.scenario for o in outcomes if o.not_run is not None]
    if not_run and not args.json:
        print(f"未运行 not run: {', '.join(not_run)}", file=sys.stderr)
    return 1 if any(o.failed for o in outcomes) else 0


def _own_system(data_dir: Path, database_url: str | None) -> System:
    def say(restart: Restart) -> None:
        print(restart.describe(), file=sys.stderr, flush=True)

    config = SystemConfig(data_dir=data_dir, database_url=database_url,
                          kafka_bootstrap=os.environ.get("ONETHING_KAFKA_BOOTSTRAP") or None,
                          env={"ONETHING_CLOCK_CONTROL": "true"})
    if database_url:  # databases of its own, dropped at the end: chaos leaves nothing behind
        config = replace(config, database_prefix=f"chaos_{uuid.uuid4().hex[:8]}_")
    return System(config, on_restart=say)
