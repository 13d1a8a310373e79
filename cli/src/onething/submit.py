"""Submitting an application to intake as an applicant does (提交申请), for ``demo`` and ``apply``.

Read the one-time notice (一次告知), post the one form and one set of materials, then supply what 容缺
deferred. When intake says no, :class:`IntakeRefused` carries its answer: the status, intake's zh-CN and
English message and, for a 422, each field's problem. A service that is restarting (connection refused or
cut, 502/503) is asked again (:func:`send_patiently`), as an applicant's browser would, so a batch
survives a process being killed and restarted under it (``onething chaos``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

__all__ = ["IntakeRefused", "one_time_notice", "send_patiently", "submit_application", "supply_deferred"]

_UNAVAILABLE = {502, 503, 504}


async def send_patiently(client: httpx.AsyncClient, method: str, url: str, *, patience_s: float = 90.0,
                         **kwargs: Any) -> tuple[httpx.Response, bool]:
    """Send, and again with back-off while the service cannot be reached or says it is unavailable, for up
    to ``patience_s``. Returns the answer and whether an earlier attempt may have reached the service (its
    connection was cut after sending), so the caller can tell "done already" (409, 422) from a refusal."""
    deadline, delay, maybe_done = time.monotonic() + patience_s, 0.2, False
    while True:
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            if time.monotonic() > deadline:
                raise
            maybe_done = maybe_done or not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
        else:
            if response.status_code not in _UNAVAILABLE or time.monotonic() > deadline:
                return response, maybe_done
        await asyncio.sleep(delay)
        delay = min(delay * 2, 3.0)


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


async def one_time_notice(client: httpx.AsyncClient, code: str, *, patience_s: float = 90.0) -> dict[str, Any]:
    """The one-thing's one-time notice: its items, one form and one set of materials. The first call to intake:
    ``patience_s`` is how long an intake that cannot be reached is waited for."""
    response, _ = await send_patiently(client, "GET", f"/catalogue/{code}/notice", patience_s=patience_s)
    if response.status_code >= 400:
        raise IntakeRefused(f"one-thing {code}", response,
                            "`onething catalogue` lists the one-things 一件事目录" if response.status_code == 404 else "")
    notice: dict[str, Any] = response.json()
    return notice


def acting(auth: httpx.Auth | None) -> dict[str, Any]:
    """Request options for acting as ``auth`` (a clerk's or applicant's token), or as the client is."""
    return {} if auth is None else {"auth": auth}


async def submit_application(client: httpx.AsyncClient, body: dict[str, Any], *, idempotency_key: str,
                             auth: httpx.Auth | None = None) -> dict[str, Any]:
    """Post the application as ``auth`` (the clerk of its window or the applicant); the case intake accepted
    (``POST /cases``). The idempotency key makes a repeat after a cut connection return the same case."""
    response, _ = await send_patiently(client, "POST", "/cases", json=body, headers={"Idempotency-Key": idempotency_key},
                                       **acting(auth))
    if response.status_code >= 400:
        raise IntakeRefused(f"the application for {body.get('bundle_code')}", response)
    case: dict[str, Any] = response.json()
    return case


async def supply_deferred(client: httpx.AsyncClient, case: dict[str, Any], auth: httpx.Auth | None = None) -> None:
    """容缺补齐: upload every material accepted on a tolerance commitment, as the applicant promised."""
    deferred = {c["material_code"]: {"provision": "upload", "document": "sha256:" + "0" * 64}
                for c in case["commitments"] if c["kind"] == "tolerance"}
    if deferred:
        response, maybe_done = await send_patiently(client, "POST", f"/cases/{case['case_id']}/supplements",
                                                    json={"materials": deferred}, **acting(auth))
        if maybe_done and response.status_code == 422:  # supplied by the attempt whose answer was lost
            return
        if response.status_code >= 400:
            raise IntakeRefused(f"the supplements of {case['case_id']}", response)
