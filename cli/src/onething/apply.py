"""``onething apply --bundle CODE``: submit one sample application by hand (提交一件申请) and say where to follow it.

The application is the one the demo would make for the one-thing's one-time notice: a valid test
applicant (GB 11643 / GB 32100 check characters), the one form, the one set of materials uploaded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import httpx

from contracts.topics import CASE_STREAM
from onething.applicants import applicant_identity, application_for
from onething.submit import one_time_notice, submit_application, supply_deferred

__all__ = ["Submitted", "apply_once", "follow_lines"]


@dataclass(frozen=True, slots=True)
class Submitted:
    case: dict[str, Any]  # intake's answer to POST /cases
    applicant_name: str
    applicant_id: str


async def apply_once(intake_url: str, code: str, *, seed: int | None, id_number: str | None,
                     wait_s: float = 10.0, auth: httpx.Auth | None = None) -> Submitted:
    """Submit one application for ``code``; raises :class:`onething.submit.IntakeRefused` when intake says no. An
    intake that cannot be reached at first is waited for ``wait_s`` (a person at a terminal: a mistyped URL should
    not hang for long); once it answered, a restart under the submission is waited out as ``demo`` does. It is
    submitted at window W01, by the clerk whose token ``auth`` is."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=intake_url, timeout=30.0) as client:
        notice = await one_time_notice(client, code, patience_s=wait_s)
        applicant_id = id_number or applicant_identity(notice, rng)
        body = application_for(notice, rng, 0, applicant_id=applicant_id)  # n=0: every material uploaded, no proxy
        case = await submit_application(client, body, idempotency_key=f"apply-{code}-{rng.getrandbits(64):016x}",
                                        auth=auth)
        await supply_deferred(client, case, auth)
    return Submitted(case, body["applicant"]["name"], applicant_id)


def follow_lines(intake_url: str, case_id: str, command: str | None) -> list[str]:
    """Where to follow the case: its URL and, when ``command`` (``onething`` with the options that find the
    system) is given, the commands that show it."""
    lines = [f"  办件进度 case     {intake_url}/cases/{case_id}"]
    if command is not None:
        lines += [f"  办件详情 details  {command} case {case_id}",
                  f"  事件流 events    {command} tail {CASE_STREAM.name} --case {case_id} --follow"]
    return lines
