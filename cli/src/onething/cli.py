"""``onething``: run the whole system (up) and see it (status), a demo batch (demo), one application (apply), a
case, the catalogue, read a topic (tail) or export it (export), a case's trace (trace), verify a licence, keys, dead letters (dlq), re-drive a department request
parked as undeliverable, inject faults (chaos), measure it under load (bench). ``--data-dir`` goes before or after the command."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx

from contracts.departments import http_departments
from exchange.access.credentials import CREDENTIALS_FILE, ensure_dev_credentials, read_dev_credentials
from exchange.access.roles import Role
from exchange.base64url import b64
from exchange.errors import SignatureInvalid
from exchange.kafka.metadata import refuse_topic_auto_creation
from exchange.key_list import KEY_LIST_FILE
from exchange.signing import PRIVATE, PUBLIC, KeyRing, ensure_holdings, revoke_key, rotate_key
from onething.apply import apply_once, follow_lines
from onething.audit import audit_chain_command
from onething.bench.command import BENCH_SUMMARY, add_bench_arguments, bench_command
from onething.call import CALL_SUMMARY, add_call_arguments, call_command
from onething.case import print_case
from onething.catalogue import bundle_mix, print_catalogue
from onething.chaos.command import CHAOS_SUMMARY, add_chaos_arguments, chaos_command
from onething.demo import DemoResult, run_demo
from onething.dlq import DLQ_SUMMARY, add_dlq_arguments, dlq_command
from onething.export import export_command
from onething.processes import PROCESSES
from onething.redrive import redrive_command
from onething.submit import IntakeRefused
from onething.supervisor import Restart
from onething.system import STATE_FILE, System, SystemConfig, key_holdings, read_state
from onething.tail import DEFAULT_LAST, tail
from onething.tokens import SystemTokens, command_auth
from onething.trace import trace_command
from onething.verify import verify_command

__all__ = ["build_parser", "main"]


_DATA_DIR_HELP = "the system's data dir: embedded databases, keys, logs, system.json (default $ONETHING_DATA_DIR or .onething)"


def _default_data_dir() -> Path:
    return Path(os.environ.get("ONETHING_DATA_DIR", ".onething"))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为正整数 must be a positive whole number, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onething", description="OneThing 一件事一次办: one application, many departments, one result, once."
    )
    parser.add_argument("--data-dir", type=Path, default=_default_data_dir(), help=_DATA_DIR_HELP)
    # The same option after the command too (`onething up --data-dir DIR`); SUPPRESS keeps the value given before it.
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help=_DATA_DIR_HELP)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=summary, parents=[after])

    up = command("up", "start broker, services and simulators; serve until Ctrl-C")
    up.add_argument("--demo", type=int, default=0, metavar="N", help="submit N demo applications once ready")
    up.add_argument("--fresh", action="store_true",
                    help="start clean: delete the embedded databases of earlier runs (清空重来; kept by default)")
    up.add_argument("--keep-data", action="store_true", help=argparse.SUPPRESS)  # the default now; still accepted

    demo = command("demo", "submit N applications and wait until each is delivered exactly once")
    demo.add_argument("--cases", type=int, default=10)
    demo.add_argument("--bundle", action="append", default=None, metavar="CODE",
                      help="one-thing code, repeatable, or 'all' (default P-01 新生儿出生); cases cycle through them")
    demo.add_argument("--intake-url", default=None, help="a running intake; default: the local system, started if needed")
    demo.add_argument("--identity-url", default=None, metavar="URL",
                      help="with --intake-url: the identity platform whose development clients "
                           "($ONETHING_AUTH_CLIENTS_FILE, else <data-dir>/credentials.json) the demo signs in with")
    demo.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for deliveries")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--late", type=int, default=0, metavar="N",
                      help="hold N cases at the departments and run weeks of statutory time until each gets its "
                           "yellow card, red card and supervision order (超期演示)")

    status = command("status", "the running system: each process, its pid and restarts, the latest restarts")
    status.add_argument("--json", action="store_true", help="system.json as it is")

    apply = command("apply", "submit one sample application (a valid test applicant) and say where to follow it")
    apply.add_argument("--bundle", required=True, metavar="CODE", help="the one-thing, e.g. P-01 (onething catalogue)")
    apply.add_argument("--intake-url", default=None, help="a running intake; default: the system in the data dir")
    apply.add_argument("--id-number", default=None, metavar="ID",
                       help="the applicant's resident ID or credit code; default: a generated valid test applicant")
    apply.add_argument("--seed", type=int, default=None, help="the same seed makes the same application (and case)")
    apply.add_argument("--json", action="store_true", help="intake's answer as JSON")
    apply.add_argument("--wait", type=float, default=10.0, metavar="S",
                       help="how long to wait for an intake that cannot be reached (default 10 s)")

    case = command("case", "one case: items, clocks, cards, orders, projected completion, who is blocking")
    case.add_argument("case_id")
    case.add_argument("--json", action="store_true", help="the same, as JSON for machines")

    cat = command("catalogue", "list the one-things: code, names, life cycle, items, lead unit")
    cat.add_argument("--json", action="store_true", help="the same, as JSON for machines")
    cat.add_argument("--dir", type=Path, default=None, help="a service centre's own catalogue folder")

    tail_p = command("tail", "print a topic's decoded, signature-checked events: the last ones, from the "
                             "beginning, or as they arrive (--follow)")
    tail_p.add_argument("topic", help="e.g. onething.case.stream")
    tail_p.add_argument("--from-beginning", action="store_true", help="start at the first event")
    tail_p.add_argument("--follow", "-f", action="store_true",
                        help="wait for new events (Ctrl-C stops); without it, stop at the end of the topic")
    tail_p.add_argument("--limit", type=_positive, default=None, metavar="N",
                        help=f"print exactly N events, then stop (fewer if the topic ends first); "
                             f"without --from-beginning or --follow, the last N (default {DEFAULT_LAST})")
    tail_p.add_argument("--case", default=None, metavar="ID", help="only this case's events (from the beginning)")
    tail_p.add_argument("--json", action="store_true",
                        help="one JSON object per line: topic, partition, offset, verdict, envelope")

    export_p = command("export", "数据导出: a topic's decoded events, personal numbers masked, as JSON lines or "
                                 "Parquet for pandas and DuckDB (restricted topics are not exported)")
    export_p.add_argument("topic", help="e.g. onething.case.stream")
    export_p.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl")
    export_p.add_argument("--out", type=Path, required=True, metavar="FILE")

    trace_p = command("trace", "链路: one case's trace across every process as a waterfall, from the spans the "
                               "embedded default keeps in <data-dir>/traces")
    trace_p.add_argument("case_id")
    trace_p.add_argument("--json", action="store_true", help="one span per line, as JSON")

    audit = command("audit-chain", "哈希链审计: verify every producer's hash chain and signatures on the bus and name "
                                   "the first broken link (exit 0 intact, 1 broken, 3 gaps only)")
    audit.add_argument("topic", nargs="*", help="topics to read (default: every chained topic of the registry)")

    verify = command("verify", "证照验真: check an e-licence (JSON, PDF or QR payload), offline or online")
    verify.add_argument("source", help="a credential .json, a licence .pdf, a QR payload 'OT1:…', or - for stdin")
    verify.add_argument("--trust-list", type=Path, default=None,
                        help="a published trust list (GET /trust-list); default: the seal keys in the data dir")
    verify.add_argument("--status-list", type=Path, action="append", default=[], metavar="FILE",
                        help="a signed status list saved earlier (repeatable); without one, status is not checked")
    verify.add_argument("--online", default=None, metavar="URL", help="ask a licence service instead (checks status)")
    verify.add_argument("--json", action="store_true", help="the result as JSON")

    token = command("token", "访问令牌: print an access token of the running system's identity platform, for curl "
                             "(Authorization: Bearer …); a development client, or an applicant signing in")
    token.add_argument("client", nargs="?", default="window.W01",
                       help="a development client (credentials.json): window.W01…W08, kiosk.K01…, hotline, supervisor, "
                            "operator, analyst, department.<code> (default window.W01)")
    token.add_argument("--applicant", metavar="ID_NUMBER", default=None,
                       help="sign in as this applicant instead (a resident ID number, or an enterprise's credit code "
                            "for its 法人 account)")
    token.add_argument("--name", default="申请人", help="the applicant's name (with --applicant)")

    keys = command("keys", "create Ed25519 key pairs for every service and department, each process's private keys "
                           "in a folder of its own (ONETHING_GATEWAY_DEPARTMENTS: the gateway holds those departments' "
                           "keys); rotate or revoke one principal's key (密钥轮换、吊销)")
    keys.add_argument("action", nargs="?", choices=("create", "rotate", "revoke"), default="create",
                      help="create (default): a pair for every principal that has none; rotate PRINCIPAL: a new pair, "
                           "the old public key kept as retired (what it signed still verifies); revoke PRINCIPAL "
                           "STAMP: a retired key verifies nothing any more")
    keys.add_argument("principal", nargs="?", default=None, help="the principal (rotate, revoke): intake, "
                                                                   "dept.police, seal.health …")
    keys.add_argument("stamp", nargs="?", default=None, help="the retired key's stamp (revoke), as rotate printed it")
    keys.add_argument("--dir", type=Path, default=None, help="default <data-dir>/keys")
    keys.add_argument("--overlap-days", type=float, default=None, metavar="DAYS",
                      help="rotate: how long envelopes signed with the retired key are still accepted (the key list's "
                           "overlap window; default: as the list says, 7 days at first)")
    keys.add_argument("--credentials", type=Path, default=None, metavar="FILE",
                      help="also write the development OAuth clients there (as `onething up` does in the data dir)")
    add_call_arguments(command("call", CALL_SUMMARY))
    add_dlq_arguments(command("dlq", DLQ_SUMMARY), after)

    redrive = command("redrive-request", "人工重发: send a department request parked as undeliverable (无法送达) "
                                         "again, under the same request id; --parked lists them")
    redrive.add_argument("request_id", nargs="?", default=None, help="the request id (on the supervision card)")
    redrive.add_argument("--parked", action="store_true", help="list the parked requests; re-drive nothing")
    redrive.add_argument("--dispatch-url", default=None, help="a running dispatch; default: the system in the data dir")
    redrive.add_argument("--json", action="store_true", help="dispatch's answer as JSON")
    add_chaos_arguments(command("chaos", CHAOS_SUMMARY))
    add_bench_arguments(command("bench", BENCH_SUMMARY))
    return parser


def _bootstrap(data_dir: Path) -> str:
    state = read_state(data_dir)
    if state:
        return str(state["kafka_bootstrap"])
    return os.environ.get("ONETHING_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


def _system_config(args: argparse.Namespace, fresh: bool = False) -> SystemConfig:
    return SystemConfig(
        data_dir=args.data_dir,
        kafka_bootstrap=os.environ.get("ONETHING_KAFKA_BOOTSTRAP") or None,
        database_url=os.environ.get("ONETHING_DATABASE_URL") or None,
        fresh=fresh,
        env={"ONETHING_CLOCK_CONTROL": "true"},  # the embedded system is a demo: its supervision clock may be moved
    )


def _report(result: DemoResult) -> None:
    n = len(result.cases)
    print(f"delivered {result.delivered_once}/{n}")
    if result.first_delivery_s is not None:
        print(f"  首个送达 first delivery after {result.first_delivery_s:.2f}s")
    if result.all_delivered_s:
        print(f"  全部送达 all delivered after {result.all_delivered_s:.2f}s ({n / result.all_delivered_s:.1f} cases/s)")
    print(f"  部门请求 department requests: {result.requests_by_department()}")
    print(f"  部门结果 department results: {result.results_by_outcome()}")
    print(f"  一次补正 corrections supplied: {result.corrections}; 授权预填 pre-filled: {result.prefilled}")
    by_bundle = sorted({result.bundle_of[c] for c in result.cases})
    if len(by_bundle) > 1:
        print(f"  一件事 one-things: {len(by_bundle)} ({', '.join(by_bundle)})")
    repeated = [c for c in result.cases if result.correction_notices[c] > 1]
    if repeated:
        print(f"  多次补正告知 MORE THAN ONE correction notice: {repeated}")
    duplicates = {c: k for c, k in result.deliveries.items() if k > 1 and c in set(result.cases)}
    if duplicates:
        print(f"  重复送达 DUPLICATE deliveries: {duplicates}")
    missing = [c for c in result.cases if result.deliveries[c] == 0]
    if missing:
        print(f"  未送达 not delivered: {', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}")
    if result.ratings:
        bad = result.ratings["dissatisfied"] + result.ratings["very_dissatisfied"]
        print(f"  好差评 ratings: {sum(result.ratings.values())} ({bad} 差评 → 整改单 rectification orders; "
              "GET /rectifications on rating, GET /figures for satisfaction)")
    for case_id in result.late:
        print(f"  超期演示 late case {case_id}: 黄牌 yellow {result.cards[(case_id, 'yellow')]}, "
              f"红牌 red {result.cards[(case_id, 'red')]}, 督办 orders {result.orders[case_id]} "
              f"(onething case {case_id})")


def _print_where(system: System) -> None:
    print("OneThing 已启动 is up:")
    print(f"  broker   {system.bootstrap}{' (embedded tansu)' if system.broker else ''}")
    for spec in PROCESSES:
        proc = system.processes[spec.name]
        print(f"  {spec.name:<12} {proc.url:<24} {spec.description_zh} — {spec.description_en}")
    intake = system.url("intake")
    print(f"  pages     一件事导办 finder {intake}/   综合窗口 window {intake}/window/   网上大厅 portal {intake}/portal/")
    print(f"            证照验真 licence verification {system.url('licence')}/   电子监察看板 supervision board "
          f"{system.url('supervision')}/   运维室 ops room {system.url('dispatch')}/ops/")
    print(f"            sign in: staff with their account's secret, applicants with applicant_password, from "
          f"{system.data_dir / CREDENTIALS_FILE}")
    print(f"  databases {system.databases()}")
    print(f"  API docs  {system.url('intake')}/docs   logs  {system.data_dir / 'logs'}   "
          f"metrics  …/metrics   traces  {_command_for(system.data_dir)} trace CASE_ID")
    print(f"  tokens    {system.url('simulators')}/oauth/token (统一身份认证, simulated); development clients in "
          f"{system.data_dir / CREDENTIALS_FILE}")
    print(f"            TOKEN=$({_command_for(system.data_dir)} token window.W01)   then  "
          "curl -H \"Authorization: Bearer $TOKEN\" …")


def _say_restart(restart: Restart) -> None:
    print(restart.describe(), file=sys.stderr, flush=True)


def cmd_up(args: argparse.Namespace) -> int:
    config = _system_config(args, fresh=args.fresh)
    system = System(config, on_restart=_say_restart)
    embedded = config.kafka_bootstrap is None and config.database_url is None
    kept = sorted(args.data_dir.glob("*.db")) if embedded and not args.fresh else []
    stop = {"now": False}

    def _on_signal(signum: int, _frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    started = time.monotonic()
    try:
        system.start()
    except (RuntimeError, TimeoutError) as exc:
        print(f"启动失败 start failed: {exc}", file=sys.stderr)
        return 1
    print(f"ready in {time.monotonic() - started:.1f}s")
    _print_where(system)
    if kept:
        print(f"  数据保留 kept the {len(kept)} databases of an earlier run: cases in flight then complete now "
              "(--fresh starts clean)")
    code = 0
    try:
        if args.demo:
            result = asyncio.run(run_demo(system.url("intake"), system.bootstrap, args.demo, bundles=bundle_mix(["all"]),
                                          rating_url=system.url("rating"), tokens=system.tokens))
            _report(result)
            if not result.ok:
                code = 1
        print("serving; a process that dies is restarted; Ctrl-C to stop 按 Ctrl-C 停止")
        while not stop["now"]:  # the supervisor restarts what dies and says so (_say_restart)
            time.sleep(0.5)
    finally:
        print("stopping 正在停止 …")
        system.stop()
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    intake_url = args.intake_url
    system: System | None = None
    urls: dict[str, str] = {}
    if intake_url is None:
        running = _running_urls(args.data_dir)
        if running is not None:
            urls = running
            intake_url = urls["intake"]
        else:
            print(f"未发现运行中的系统，正在启动（演示结束即停止） no running system in {args.data_dir.resolve()}; "
                  "starting one for this demo …")
            system = System(_system_config(args))
            system.start()
            urls = {name: system.url(name) for name in system.processes}
            intake_url = urls["intake"]
    try:
        with httpx.Client() as client:
            client.get(f"{intake_url}/readyz", timeout=5).raise_for_status()
        bootstrap = system.bootstrap if system else _bootstrap(args.data_dir)
        bundles = bundle_mix(args.bundle)
        try:
            result = asyncio.run(run_demo(intake_url, bootstrap, args.cases, bundles=bundles, seed=args.seed,
                                          timeout_s=args.timeout, late=args.late, supervision_url=urls.get("supervision"),
                                          simulators_url=urls.get("simulators"), rating_url=urls.get("rating"),
                                          tokens=_demo_tokens(args, urls)))
        except IntakeRefused as exc:
            print(exc.describe(), file=sys.stderr)
            return 1
        _report(result)
        return 0 if result.ok else 1
    finally:
        if system is not None:
            system.stop()


def _demo_tokens(args: argparse.Namespace, urls: dict[str, str]) -> SystemTokens | None:
    """The development clients the demo signs in with: the local system's, or with --identity-url a remote one's."""
    if args.identity_url:
        path = Path(os.environ.get("ONETHING_AUTH_CLIENTS_FILE") or args.data_dir / CREDENTIALS_FILE)
        return SystemTokens(f"{args.identity_url.rstrip('/')}/oauth/token", read_dev_credentials(path))
    return SystemTokens.of(args.data_dir, urls) if "simulators" in urls else None


def _running_urls(data_dir: Path) -> dict[str, str] | None:
    """The URLs of the processes of the system that ``onething up`` serves from ``data_dir``, if one does."""
    state = read_state(data_dir)
    processes = state.get("processes") if state else None
    if not isinstance(processes, dict):
        return None
    return {name: str(p["url"]) for name, p in processes.items()}


def _no_system(data_dir: Path, *, or_else: str = "") -> int:
    """Say where no system was found and what to do; exit status 1."""
    stale = " (its system.json is from a system that has stopped 该系统已停止)" if (data_dir / STATE_FILE).exists() else ""
    print(f"未发现运行中的系统 no running system in the data dir {data_dir.resolve()}{stale}.\n"
          f"  启动 start one:  {_command_for(data_dir)} up\n"
          "  或指明其数据目录 or name the data dir it runs from:  --data-dir DIR (or ONETHING_DATA_DIR=DIR)"
          + (f"\n  {or_else}" if or_else else ""), file=sys.stderr)
    return 1


def _command_for(data_dir: Path) -> str:
    """``onething`` with the option that finds the system in ``data_dir`` again."""
    return "onething" if data_dir == _default_data_dir() else f"onething --data-dir {data_dir}"


def cmd_apply(args: argparse.Namespace) -> int:
    urls = _running_urls(args.data_dir)
    intake_url = (args.intake_url or (urls or {}).get("intake") or "").rstrip("/")
    if not intake_url:
        return _no_system(args.data_dir, or_else="或指明受理服务 or name a running intake:  --intake-url URL")
    try:
        clerk = SystemTokens.of(args.data_dir, urls).client("window.W01") if urls and not args.intake_url else None
        submitted = asyncio.run(apply_once(intake_url, args.bundle, seed=args.seed, id_number=args.id_number,
                                           wait_s=args.wait, auth=clerk))
    except IntakeRefused as exc:
        print(exc.describe(), file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"无法连接受理服务 cannot reach intake at {intake_url} (waited {args.wait:g} s; --wait S): {exc}",
              file=sys.stderr)
        return 2
    case = submitted.case
    if args.json:
        print(json.dumps(case, ensure_ascii=False, indent=2))
        return 0
    print(f"已受理 accepted: 办件 case {case['case_id']}  {case['bundle_code']}  {case['status_zh']} ({case['status']})  "
          f"承诺办结 due {case['due_on']}（{case['limit_days']} 个工作日 working days）")
    print(f"  申请人 applicant  {submitted.applicant_name} {submitted.applicant_id}")
    ours = urls is not None and intake_url == urls["intake"]
    for line in follow_lines(intake_url, case["case_id"], _command_for(args.data_dir) if ours else None):
        print(line)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state = read_state(args.data_dir)
    if state is None:
        return _no_system(args.data_dir)
    if args.json:
        print(json.dumps(state, ensure_ascii=False, indent=2))
        return 0
    broker = state.get("broker")
    print(f"broker   {state['kafka_bootstrap']}"
          + (f"  pid {broker['pid']} (embedded tansu)" if isinstance(broker, dict) else ""))
    processes = state.get("processes")
    for name, proc in (processes.items() if isinstance(processes, dict) else []):
        print(f"  {name:<12} {proc['url']:<24} pid {proc['pid']}  重启 restarts {proc.get('restarts', 0)}")
    restarts = state.get("restarts")
    if isinstance(restarts, list) and restarts:
        print(f"重启记录 restarts: {state.get('restart_count', len(restarts))}; latest:")
        for r in restarts[-10:]:
            print(f"  {r['at']}  {r['process']} died ({r['exit']}), attempt {r['attempt']}, restarted after {r['delay_s']:.1f}s")
    return 0


def cmd_case(args: argparse.Namespace) -> int:
    urls = _running_urls(args.data_dir)
    if urls is None:
        return _no_system(args.data_dir)
    return print_case(urls, args.case_id, args.json, auth=command_auth(args.data_dir, urls, Role.OPERATOR))


def cmd_dlq(args: argparse.Namespace) -> int:
    urls = _running_urls(args.data_dir)
    if urls is None:
        return _no_system(args.data_dir)
    return dlq_command(args, urls)


def cmd_redrive_request(args: argparse.Namespace) -> int:
    urls = _running_urls(args.data_dir)
    dispatch_url = (args.dispatch_url or (urls or {}).get("dispatch") or "").rstrip("/")
    if not dispatch_url:
        return _no_system(args.data_dir, or_else="或指明分办服务 or name a running dispatch:  --dispatch-url URL")
    return redrive_command(dispatch_url, args.request_id, parked=args.parked, as_json=args.json,
                           auth=command_auth(args.data_dir, urls, Role.OPERATOR))


def cmd_token(args: argparse.Namespace) -> int:
    urls = _running_urls(args.data_dir)
    if urls is None:
        return _no_system(args.data_dir)
    tokens = SystemTokens.of(args.data_dir, urls)
    try:
        auth = tokens.applicant(args.applicant, args.name) if args.applicant else tokens.client(args.client)
    except KeyError:
        print(f"没有该开发用客户端 no development client {args.client!r}; choose from: "
              f"{', '.join(tokens.credentials.clients)}", file=sys.stderr)
        return 2
    try:
        with httpx.Client(timeout=10, auth=auth) as client:
            print(auth.token(client))
    except httpx.HTTPError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    target = args.dir or args.data_dir / "keys"
    if args.action != "create":
        return _rotate_or_revoke(args, target)
    holdings = key_holdings(http_departments(os.environ.get("ONETHING_GATEWAY_DEPARTMENTS", "")))
    try:
        ensure_holdings(target, holdings)
    except (FileNotFoundError, SignatureInvalid) as exc:
        print(f"onething keys: {exc}", file=sys.stderr)
        return 1
    print(f"public keys in {target / PUBLIC}; private keys, each holder its own folder (0700) in {target / PRIVATE}:")
    for holder, principals in holdings.items():
        print(f"  {holder}: {len(principals)}")
    anchor = KeyRing(target).key_list_anchor().raw
    print(f"signed key list 公钥清单: {target / PUBLIC / KEY_LIST_FILE}; pin its anchor in every service with "
          f"ONETHING_KEY_LIST_ANCHOR={b64(anchor)}")
    if args.credentials is not None:
        ensure_dev_credentials(args.credentials)
        print(f"development OAuth clients in {args.credentials}")
    return 0


def _rotate_or_revoke(args: argparse.Namespace, target: Path) -> int:
    if args.principal is None or (args.action == "revoke") != (args.stamp is not None):
        print("用法 usage: onething keys rotate PRINCIPAL | onething keys revoke PRINCIPAL STAMP", file=sys.stderr)
        return 2
    try:
        if args.action == "rotate":
            if args.overlap_days is not None and not 0 <= args.overlap_days <= 365:
                print("--overlap-days: from 0 to 365", file=sys.stderr)
                return 2
            overlap = None if args.overlap_days is None else timedelta(days=args.overlap_days)
            stamp = rotate_key(target, args.principal, overlap=overlap)
            print(f"已轮换 rotated {args.principal}: new key in {target}; the old one is retired as {stamp} "
                  f"(envelopes it signed are accepted through the key list's overlap window, e-licences it sealed for "
                  f"good; revoke it with `onething keys revoke {args.principal} {stamp}`). "
                  "Restart the processes that sign as it.")
        else:
            revoke_key(target, args.principal, args.stamp)
            print(f"已吊销 revoked {args.principal} key {args.stamp}: nothing it signed verifies any more")
    except (FileNotFoundError, SignatureInvalid) as exc:
        print(f"onething keys {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_tail(args: argparse.Namespace) -> int:
    keys = args.data_dir / "keys"
    keyring = KeyRing(keys) if keys.exists() else None  # signatures are checked when keys are at hand
    return asyncio.run(tail(_bootstrap(args.data_dir), args.topic, from_beginning=args.from_beginning,
                            follow=args.follow, limit=args.limit, keyring=keyring, as_json=args.json,
                            case_id=args.case))


def cmd_export(args: argparse.Namespace) -> int:
    keys = args.data_dir / "keys"
    keyring = KeyRing(keys) if keys.exists() else None  # signatures are checked when keys are at hand
    return export_command(_bootstrap(args.data_dir), args.topic, args.out, args.format, keyring)


def cmd_trace(args: argparse.Namespace) -> int:
    return trace_command(args.data_dir, args.case_id, as_json=args.json)


def cmd_audit_chain(args: argparse.Namespace) -> int:
    keys = args.data_dir / "keys"
    if not keys.exists():
        print(f"没有公钥 no keys in {keys}: name the system's data dir with --data-dir DIR", file=sys.stderr)
        return 2
    return audit_chain_command(_bootstrap(args.data_dir), args.topic, KeyRing(keys))


def cmd_verify(args: argparse.Namespace) -> int:
    return verify_command(args.source, data_dir=args.data_dir, trust_list=args.trust_list,
                          status_lists=args.status_list, online=args.online, as_json=args.json)


def cmd_catalogue(args: argparse.Namespace) -> int:
    try:
        print_catalogue(args.dir, args.json)
    except ValueError as exc:  # CatalogueError names the file, one-thing and item
        print(f"目录有误 catalogue error: {exc}", file=sys.stderr)
        return 1
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "up": cmd_up, "status": cmd_status, "demo": cmd_demo, "apply": cmd_apply, "case": cmd_case,
    "catalogue": cmd_catalogue, "tail": cmd_tail, "export": cmd_export, "trace": cmd_trace, "verify": cmd_verify, "keys": cmd_keys, "token": cmd_token, "call": call_command,
    "dlq": cmd_dlq, "redrive-request": cmd_redrive_request, "chaos": chaos_command, "bench": bench_command,
    "audit-chain": cmd_audit_chain,
}


def _interrupt_on_sigterm(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # `kill` stops a command as Ctrl-C does: what it started is stopped on the way out


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    refuse_topic_auto_creation()  # reading a topic must not create it with the broker's partition count
    on_main_thread = threading.current_thread() is threading.main_thread()  # signals are the main thread's
    before = signal.signal(signal.SIGTERM, _interrupt_on_sigterm) if on_main_thread else None
    try:
        sys.exit(_COMMANDS[args.command](args))
    except KeyboardInterrupt:  # Ctrl-C or `kill`: stop quietly (each command has already closed what it opened)
        print(file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    finally:
        if on_main_thread:  # as it was (tests call main in-process)
            signal.signal(signal.SIGTERM, before)
