"""Submitting an application to intake as an applicant does (提交申请), for ``demo`` and ``apply``.

Read the one-time notice (一次告知), post the one form and one set of materials, then supply what 容缺
deferred. When intake says no, :class:`IntakeRefused` carries its answer: the status, intake's zh-CN and
English message and, for a 422, each field's problem.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["IntakeRefused", "one_time_notice", "submit_application", "supply_deferred"]


class IntakeRefused(RuntimeError):
    """Intake answered an error (4xx/5xx) to ``what``."""

    def __init__(self, what: str, response: httpx.Response, hint: str = "") -> None:
        self.what, self.status, self.hint = what, response.status_code, hint
        try:
            body: Any = response.json()
        except ValueError:
            body = {"message_en": response.text.strip() or response.reason_phrase}
        self.body: dict[str, Any] = body if isinstance(body, dict) else {"message_en": str(body)}
        super().__init__(self.describe())

    def describe(self) -> str:
        """Intake's answer for people: what was refused, its message in both languages, every field's problem."""
        detail = self.body.get("detail", self.body)
        if not isinstance(detail, dict):
            detail = {"message_en": str(detail)}
        lines = [f"受理服务拒绝 intake refused {self.what} (HTTP {self.status})"]
        lines += [f"  {detail[key]}" for key in ("message_zh", "message_en") if detail.get(key)]
        for problem in self.body.get("problems", []):
            lines.append(f"  - {problem.get('path')}: {problem.get('message_zh')} / {problem.get('message_en')}")
        if self.hint:
            lines.append(f"  {self.hint}")
        return "\n".join(lines)


async def one_time_notice(client: httpx.AsyncClient, code: str) -> dict[str, Any]:
    """The one-thing's one-time notice: its items, one form and one set of materials."""
    response = await client.get(f"/catalogue/{code}/notice")
    if response.status_code >= 400:
        raise IntakeRefused(f"one-thing {code}", response,
                            "`onething catalogue` lists the one-things 一件事目录" if response.status_code == 404 else "")
    notice: dict[str, Any] = response.json()
    return notice


async def submit_application(client: httpx.AsyncClient, body: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
    """Post the application; the case intake accepted (``POST /cases``)."""
    response = await client.post("/cases", json=body, headers={"Idempotency-Key": idempotency_key})
    if response.status_code >= 400:
        raise IntakeRefused(f"the application for {body.get('bundle_code')}", response)
    case: dict[str, Any] = response.json()
    return case


async def supply_deferred(client: httpx.AsyncClient, case: dict[str, Any]) -> None:
    """容缺补齐: upload every material accepted on a tolerance commitment, as the applicant promised."""
    deferred = {c["material_code"]: {"provision": "upload", "document": "sha256:" + "0" * 64}
                for c in case["commitments"] if c["kind"] == "tolerance"}
    if deferred:
        response = await client.post(f"/cases/{case['case_id']}/supplements", json={"materials": deferred})
        if response.status_code >= 400:
            raise IntakeRefused(f"the supplements of {case['case_id']}", response)
