"""``onething dlq list|show|redrive``: the dead letters (死信) of every service of the running system.

Each service with a database keeps the records its consumers could never apply in its own store and serves
them on ``/dead-letters`` (:mod:`exchange.dead_letters_api`); this command finds the services through the state
file of ``onething up`` (``system.json`` in the data dir) and asks each one, signing as the ``operator``
principal (``--as``) with its key from the keys directory. An entry is named ``<service>/<id>``; a bare id
is looked up in every service (or ``--service``).

* ``list``: a table, newest first (filters ``--topic --group --error --case --since --until --state``);
* ``show ID``: why it failed, its headers and the envelope;
* ``redrive ID…`` or ``redrive --all`` (with the same filters; pending entries only): one line per entry with
  its outcome.

Exit status: 0 when everything asked for was done (every re-drive applied, or already applied); 1 when
something was not (not found, refused, a service unreachable, a re-drive that failed again); 2 when the
request could not be made (bad arguments, no key to sign with).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from contracts.days import CHINA_TZ
from exchange.http_identity import signing_hook
from exchange.signing import KeyRing
from onething.catalogue import display_width
from onething.processes import PROCESSES
from onething.system import OPERATOR

__all__ = ["DLQ_SUMMARY", "add_dlq_arguments", "dlq_command", "letter_table"]

DLQ_SUMMARY = "死信: list, show and re-drive the records services could not apply (docs/reliability.md)"
PURPOSE = "死信运维 dead-letter operations"
STATES = ("pending", "redriven", "already_applied", "failed_again", "skipped")
STATE_ZH = {"pending": "待重投", "redriven": "重投成功", "already_applied": "早已生效", "failed_again": "再次失败",
            "skipped": "已跳过"}
DONE = {"redriven", "already_applied", "skipped"}  # outcomes that leave nothing to do
_AGO = re.compile(r"^(\d+)([mhd])$")


class Usage(Exception):
    """Arguments that cannot make a request (exit status 2)."""


def when(text: str) -> str:
    """``--since``/``--until``: ISO 8601 (a date or time without offset is China time, 北京时间) or ``30m``,
    ``2h``, ``7d`` ago; as an ISO instant with offset."""
    ago = _AGO.match(text)
    if ago:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[ago.group(2)]
        return (datetime.now(CHINA_TZ) - timedelta(**{unit: int(ago.group(1))})).isoformat()
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"应为时间 not a time: {text} (2026-12-04, 2026-12-04T09:30, …+08:00, or 30m / 2h / 7d ago)") from None
    return (at if at.tzinfo is not None else at.replace(tzinfo=CHINA_TZ)).isoformat()


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"应为正整数 must be a positive whole number, not {text}")
    return int(text)


def add_dlq_arguments(dlq: argparse.ArgumentParser, after: argparse.ArgumentParser) -> None:
    """The ``dlq`` sub-commands; ``after`` lets ``--data-dir`` come after them too."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--service", default=None, help="only this service (default: every service with a database)")
    common.add_argument("--as", dest="principal", default=OPERATOR, metavar="PRINCIPAL",
                        help=f"sign as this principal (default {OPERATOR}; its key must be in the keys directory)")
    common.add_argument("--keys", type=Path, default=None, help="keys directory (default <data-dir>/keys)")
    common.add_argument("--json", action="store_true", help="the answers as JSON")
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("--topic", default=None, help="the topic the record was read from")
    filters.add_argument("--group", default=None, help="the consumer group that refused it")
    filters.add_argument("--error", default=None, metavar="TYPE", help="error type, e.g. Rejected, Malformed")
    filters.add_argument("--case", default=None, metavar="ID", help="case id")
    filters.add_argument("--since", type=when, default=None, metavar="TIME",
                         help="failed at or after (ISO 8601, China time without offset; or 30m, 2h, 7d ago)")
    filters.add_argument("--until", type=when, default=None, metavar="TIME", help="failed before")
    filters.add_argument("--state", choices=STATES, default=None, help="pending (待重投) or an outcome")
    sub = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = sub.add_parser("list", parents=[after, common, filters], help="list dead letters, newest first",
                             description="死信列表 list dead letters, newest first")
    listing.add_argument("--limit", type=_positive, default=50, help="at most N entries (default 50)")
    show = sub.add_parser("show", parents=[after, common], help="one dead letter: why, headers, envelope",
                          description="一条死信 one dead letter: why it failed, its headers and envelope")
    show.add_argument("id", help="<service>/<id>, or an id (looked up in every service)")
    redrive = sub.add_parser("redrive", parents=[after, common, filters], help="re-drive dead letters",
                             description="重投 re-drive dead letters through the consumer that refused them")
    redrive.add_argument("ids", nargs="*", metavar="ID", help="<service>/<id> or id, one or more")
    redrive.add_argument("--all", action="store_true", help="every pending entry matching the filters")
    redrive.add_argument("--limit", type=_positive, default=100, help="with --all: at most N per service (default 100)")


@dataclass
class _Services:
    urls: dict[str, str]
    client: httpx.Client
    failed: bool = False

    def warn(self, service: str, problem: str) -> None:
        self.failed = True
        print(f"{service}: {problem}", file=sys.stderr)

    def ask(self, service: str, method: str, path: str, **options: Any) -> httpx.Response | None:
        """The service's answer, or None (said on stderr) when it could not be reached."""
        try:
            return self.client.request(method, f"{self.urls[service]}{path}", **options)
        except httpx.HTTPError as exc:
            self.warn(service, f"无法连接 cannot reach {self.urls[service]}: {exc}")
            return None


def _refusal(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    if isinstance(detail, dict) and "message_zh" in detail:
        return f"{detail['message_zh']} / {detail.get('message_en', '')}"
    return f"{response.status_code} {response.text[:300]}"


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    found = {"topic": args.topic, "group": args.group, "error_type": args.error, "case_id": args.case,
             "since": args.since, "until": args.until, "state": args.state}
    return {k: v for k, v in found.items() if v is not None}


def _china(at: str | None) -> str:
    return datetime.fromisoformat(at).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S") if at else "-"


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    if display_width(text) <= width:
        return text
    while display_width(text) > width - 1:
        text = text[:-1]
    return text + "…"


def letter_table(items: list[dict[str, Any]]) -> list[str]:
    """Dead letters as a table whose columns line up in a terminal (Chinese characters take two columns)."""
    head = ["编号 id", "状态 state", "失败时间 failed (北京时间)", "主题 topic", "消费组 group", "错误 error",
            "办件 case", "原因 reason"]
    rows = [[f"{i['service']}/{i['id']}", f"{STATE_ZH.get(i['state'], i['state'])} {i['state']}",
             _china(i["failed_at"]), i["topic"], i["consumer_group"], f"{i['error_type']} ({i['failure_class']})",
             i["case_id"] or "-", _clip(i["error_message"], 60)] for i in items]
    widths = [max(display_width(r[c]) for r in [head, *rows]) for c in range(len(head) - 1)]
    return [" ".join(_pad(cell, w) for cell, w in zip(r, widths, strict=False)) + " " + r[-1] for r in [head, *rows]]


def _list(services: _Services, names: list[str], args: argparse.Namespace) -> int:
    items: list[dict[str, Any]] = []
    total = 0
    for name in names:
        response = services.ask(name, "GET", "/dead-letters", params={**_filters(args), "limit": args.limit})
        if response is None:
            continue
        if not response.is_success:
            services.warn(name, _refusal(response))
            continue
        page = response.json()
        total += page["total"]
        items += [{**item, "service": name} for item in page["items"]]
    items.sort(key=lambda i: i["failed_at"], reverse=True)
    items = items[:args.limit]
    if args.json:
        print(json.dumps({"total": total, "items": items}, ensure_ascii=False, indent=2))
    elif not items:
        print("没有死信 no dead letters" + (" match" if _filters(args) else ""))
    else:
        print(f"死信 dead letters: {total}" + (f" (最新 newest {len(items)})" if total > len(items) else ""))
        print("\n".join(letter_table(items)))
    return 1 if services.failed else 0


def _locate(services: _Services, names: list[str], ref: str) -> tuple[str, int] | None:
    """``service/id`` as given, or the one service holding a bare id; None (said) when not exactly one."""
    service, _, number = ref.rpartition("/")
    if not number.isdigit() or int(number) < 1:
        raise Usage(f"应为 <服务>/<编号> expected <service>/<id> or <id>, not {ref}")
    if service:
        if service not in services.urls:
            raise Usage(f"没有服务 no service {service} (have {', '.join(names)})")
        return service, int(number)
    holders = []
    for name in names:
        response = services.ask(name, "GET", f"/dead-letters/{number}")
        if response is not None and response.is_success:
            holders.append(name)
        elif response is not None and response.status_code != 404:
            services.warn(name, _refusal(response))
    if len(holders) == 1:
        return holders[0], int(number)
    services.warn(ref, f"没有死信 no dead letter {number}" if not holders else
                  f"多个服务都有此编号，请写 <服务>/{number} several services have it: "
                  + ", ".join(f"{h}/{number}" for h in holders))
    return None


def _show(services: _Services, names: list[str], args: argparse.Namespace) -> int:
    found = _locate(services, names, args.id)
    if found is None:
        return 1
    service, number = found
    response = services.ask(service, "GET", f"/dead-letters/{number}")
    if response is None:
        return 1
    if not response.is_success:
        services.warn(f"{service}/{number}", _refusal(response))
        return 1
    letter = {**response.json(), "service": service}
    if args.json:
        print(json.dumps(letter, ensure_ascii=False, indent=2))
        return 0
    state = letter["state"]
    lines = [
        f"死信 dead letter {service}/{number}  {STATE_ZH.get(state, state)} {state}",
        f"  来源 from        {letter['topic']} [{letter['partition']}] @ {letter['offset']}  "
        f"消费组 group {letter['consumer_group']}",
        f"  死信主题 topic   {letter['dead_letter_topic']}",
        f"  失败时间 failed  {_china(letter['failed_at'])} (北京时间)",
        f"  错误 error       {letter['error_type']} ({letter['failure_class']})",
        f"  原因 reason      {letter['error_message']}",
        f"  事件 event       {letter['event_type'] or '-'} {letter['event_id'] or ''}".rstrip(),
        f"  办件 case        {letter['case_id'] or '-'}   键 key {letter['key'] or '-'}",
    ]
    if letter["redrive_of"]:
        lines.append(f"  重投自 re-drive of  {service}/{letter['redrive_of']}")
    if letter["redriven_at"]:
        lines.append(f"  重投 re-driven  {letter['redrive_count']} 次 times, last {_china(letter['redriven_at'])}")
    if letter.get("redriven_as"):
        lines.append(f"  再次失败为 failed again as  {service}/{letter['redriven_as']}")
    lines.append("  消息头 headers")
    lines += [f"    {h['name']}: {h['value']}" for h in letter["headers"]] or ["    -"]
    if letter["envelope"] is not None:
        lines.append("  信封 envelope")
        lines += [f"    {line}" for line in json.dumps(letter["envelope"], ensure_ascii=False, indent=2).splitlines()]
    else:
        value = letter["value_text"] if letter["value_text"] is not None else f"base64:{letter['value_base64']}"
        lines.append(f"  内容 value (不是信封 not an envelope)  {_clip(value, 400)}")
    print("\n".join(lines))
    return 0


def _outcome_line(service: str, result: dict[str, Any]) -> str:
    outcome = result["outcome"]
    line = f"{service}/{result['id']}  {STATE_ZH.get(outcome, outcome)} {outcome}"
    if result.get("new_dead_letter_id"):
        line += f" → 新死信 new dead letter {service}/{result['new_dead_letter_id']}"
    return line


def _redrive(services: _Services, names: list[str], args: argparse.Namespace) -> int:
    if bool(args.ids) == bool(args.all):
        raise Usage("请给出编号或 --all（二选一） give dead letter ids or --all, not both or neither")
    if args.ids and _filters(args):
        raise Usage("筛选条件只与 --all 同用 filters go with --all; ids name the entries themselves")
    results: list[dict[str, Any]] = []
    if args.all:
        for name in names:
            response = services.ask(name, "POST", "/dead-letters/redrive", json={**_filters(args), "limit": args.limit},
                                    timeout=300)
            if response is None:
                continue
            if not response.is_success:
                services.warn(name, _refusal(response))
                continue
            results += [{**r, "service": name} for r in response.json()["results"]]
    else:
        for ref in args.ids:
            found = _locate(services, names, ref)
            if found is None:
                continue
            service, number = found
            response = services.ask(service, "POST", f"/dead-letters/{number}/redrive", timeout=120)
            if response is None:
                continue
            if not response.is_success:
                services.warn(f"{service}/{number}", _refusal(response))
                continue
            results.append({**response.json(), "service": service})
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        for result in results:
            print(_outcome_line(result["service"], result))
        if args.all:
            print(f"重投 re-driven: {len(results)}")
    failed_again = any(r["outcome"] not in DONE for r in results)
    return 1 if services.failed or failed_again else 0


_ACTIONS: dict[str, Callable[[_Services, list[str], argparse.Namespace], int]] = {
    "list": _list, "show": _show, "redrive": _redrive,
}


def dlq_command(args: argparse.Namespace, urls: dict[str, str]) -> int:
    """Run ``args.dlq_command`` against the running services at ``urls`` (name → base URL)."""
    names = [p.name for p in PROCESSES if p.has_database and p.name in urls]
    if args.service is not None:
        if args.service not in names:
            print(f"没有带数据库的服务 {args.service} no service with a database named {args.service} "
                  f"(have {', '.join(names)})", file=sys.stderr)
            return 2
        names = [args.service]
    try:
        signer = KeyRing(args.keys or args.data_dir / "keys").signer(args.principal)
    except (OSError, ValueError) as exc:
        print(f"无法签名 cannot sign: {exc}", file=sys.stderr)
        return 2
    with httpx.Client(event_hooks={"request": [signing_hook(signer, PURPOSE)]}, timeout=30.0) as client:
        services = _Services({n: urls[n] for n in names}, client)
        try:
            return _ACTIONS[args.dlq_command](services, names, args)
        except Usage as exc:
            print(exc, file=sys.stderr)
            return 2
