"""``onething redrive-request REQUEST_ID``: 人工重发 a department request dispatch parked as undeliverable (无法送达).

Dispatch sends the very request again under the same request id and starts its answer deadline afresh
(``POST /requests/{request_id}/redrive``). ``--parked`` lists the parked requests instead, to find the id (the
supervision card names it too). Exit status: 0 re-driven (or listed), 1 refused (no such request, or already
answered), 2 dispatch could not be reached.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import httpx

__all__ = ["parked_lines", "redrive_command"]


def parked_lines(requests: list[dict[str, Any]]) -> list[str]:
    if not requests:
        return ["没有无法送达的部门请求 no department request is parked"]
    return [f"{r['request_id']}  {r['case_id']} {r['item_code']}  {r['department']}  {r['kind']}  "
            f"已发送 sent {r['total_sends']}  搁置于 parked {r['parked_at']}" for r in requests]


def redrive_command(dispatch_url: str, request_id: str | None, *, parked: bool, as_json: bool,
                    transport: httpx.BaseTransport | None = None, auth: httpx.Auth | None = None) -> int:
    try:
        with httpx.Client(base_url=dispatch_url, timeout=10, transport=transport, auth=auth) as client:
            if parked or request_id is None:
                response = client.get("/requests", params={"state": "parked", "limit": 1000})
            else:
                response = client.post(f"/requests/{request_id}/redrive")
    except httpx.HTTPError as exc:
        print(f"无法连接分办服务 cannot reach dispatch at {dispatch_url}: {exc}", file=sys.stderr)
        return 2
    body = response.json()
    if not response.is_success:
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, dict) and "message_zh" in detail:
            print(f"拒绝 refused: {detail['message_zh']}\n  {detail.get('message_en', '')}", file=sys.stderr)
        else:
            print(f"拒绝 refused: {response.status_code} {json.dumps(body, ensure_ascii=False)}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
    elif isinstance(body, list):
        print("\n".join(parked_lines(body)))
    else:
        print(f"已重发 re-driven: 请求 request {body['request_id']}  {body['case_id']} {body['item_code']} → "
              f"{body['department']}（共发送 sent {body['total_sends']} 次 times; 应答时限重新计算 the answer "
              "deadline starts again）")
    return 0
