"""``onething case ID``: one case as the applicant and the supervisor see it — items, clocks, cards,
orders, projected completion and the department blocking it."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import httpx

from contracts.days import china_date
from contracts.workdays import PROVISIONAL_NOTE_EN, PROVISIONAL_NOTE_ZH, PROVISIONAL_ZH

__all__ = ["case_lines", "case_report", "print_case"]


def case_report(urls: dict[str, str], case_id: str, auth: httpx.Auth | None = None) -> dict[str, Any] | None:
    with httpx.Client(timeout=10, auth=auth) as client:
        case = client.get(f"{urls['intake']}/cases/{case_id}")
        if case.status_code == 404:
            return None
        case.raise_for_status()
        supervision = client.get(f"{urls['supervision']}/cases/{case_id}/supervision")
    return {"case": case.json(), "supervision": supervision.json() if supervision.status_code == 200 else None}


def print_case(urls: dict[str, str], case_id: str, as_json: bool, auth: httpx.Auth | None = None) -> int:
    report = case_report(urls, case_id, auth)
    if report is None:
        print(f"未找到办件 no case {case_id}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return 0
    print("\n".join(case_lines(report)))
    return 0


def _dated(day: object, provisional: bool) -> str:
    return f"{day}（{PROVISIONAL_ZH}）" if provisional else str(day)


def case_lines(report: dict[str, Any]) -> list[str]:
    """The case as text; a date counted over a year whose holiday arrangement is not yet published is 暂定."""
    case, sup = report["case"], report["supervision"]
    due = _dated(case["due_on"], case.get("due_on_provisional", False))
    lines = [f"办件 {case['case_id']}  {case['bundle_code']}  {case['status_zh']} ({case['status']})  "
             f"受理 {china_date(datetime.fromisoformat(case['accepted_at']))}  承诺办结 {due}（{case['limit_days']} 个工作日）"]
    clocks = {c["item_code"]: c for c in (sup or {}).get("clocks", [])}
    for item in case["items"]:
        clock = clocks.get(item["item_code"])
        timing = (f"期限 {_dated(clock['due_on'], clock.get('due_on_provisional', False))}，{clock['state']}"
                  + (f"，剩余 {clock['working_days_left']} 个工作日" if clock["working_days_left"] is not None else "")
                  ) if clock else "未开始计时"
        limits = (f"  法定时限 {item['time_limit_days']} 个工作日 / 承诺时限 {item['promised_limit_days']} 个工作日"
                  if item.get("time_limit_days") is not None else "")
        lines.append(f"  {item['item_code']:<9} {item['name_zh']}  [{item['department_name_zh']}]  "
                     f"{item['status_zh']}  {timing}{limits}")
    provisional = bool(case.get("calendar_note_zh") or (sup or {}).get("calendar_note_zh"))
    if sup is not None:
        case_clock = sup["case_clock"]
        if case_clock:
            due = _dated(case_clock["due_on"], case_clock.get("due_on_provisional", False))
            lines.append(f"一件事时限 case clock: 期限 {due}，{case_clock['state']}，"
                         f"暂停 {case_clock['suspended_days']} 天，延期 {case_clock['extended_days']} 天")
        lines += [f"  {'黄牌' if card['colour'] == 'yellow' else '红牌'} {card['issued_on']}: {card['text_zh']}"
                  for card in sup["cards"]]
        lines += [f"  督办 {order['issued_on']}: {order['text_zh']}" for order in sup["orders"]]
        projection = sup["projection"]
        lines.append(f"预计办结 projected completion: "
                     f"{_dated(projection['completion'], projection.get('completion_provisional', False))}；"
                     f"关键路径 critical path: {' → '.join(projection['critical_path'])}")
        if projection["blocking_department"]:
            lines.append(f"当前阻塞 blocking: {projection['blocking_department_zh']} ({projection['blocking_department']})"
                         + (f"，事项 {projection['blocking_item']}" if projection["blocking_item"] else ""))
    if provisional:
        lines.append(f"{PROVISIONAL_NOTE_ZH}（{PROVISIONAL_NOTE_EN}）")
    return lines
