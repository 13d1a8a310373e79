"""``onething demo``: submit N applications and follow them on the bus until each is delivered once.

Deliveries are counted from the unified case stream itself (``intake.case.delivered``), not from an
API, so "exactly once" is checked where it matters. Applications are generated from each one-thing's
one-time notice, some with authorised pre-fill, 容缺, 告知承诺, a proxy or the fast track; a
consolidated correction notice is answered once, the way an applicant would, through the intake API.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from contracts.envelope import Envelope, EnvelopeError
from exchange.access.roles import Role
from exchange.errors import SignatureInvalid
from exchange.kafka.case_stream import case_stream_reader
from exchange.signing import KeyRing
from onething.applicants import applicant_identity, application_for, correction_for
from onething.submit import acting, one_time_notice, send_patiently, submit_application, supply_deferred
from onething.tokens import SystemTokens

__all__ = ["DemoResult", "run_demo"]


@dataclass
class DemoResult:
    cases: list[str] = field(default_factory=list)
    bundle_of: dict[str, str] = field(default_factory=dict)  # case -> one-thing code
    deliveries: Counter[str] = field(default_factory=Counter)
    notices: Counter[str] = field(default_factory=Counter)
    correction_notices: Counter[str] = field(default_factory=Counter)  # case -> review rounds with deficiencies
    corrections: int = 0
    prefilled: int = 0
    started: float = 0.0
    delivered_at: dict[str, float] = field(default_factory=dict)  # case -> monotonic time first seen
    all_delivered_s: float | None = None
    department_requests: Counter[tuple[str, str]] = field(default_factory=Counter)  # (case, department)
    department_results: Counter[tuple[str, str]] = field(default_factory=Counter)  # (case, outcome)
    to_correct: set[str] = field(default_factory=set)
    late: list[str] = field(default_factory=list)  # cases held at the departments to run past their limits
    cards: Counter[tuple[str, str]] = field(default_factory=Counter)  # (case, colour) seen on the stream
    orders: Counter[str] = field(default_factory=Counter)
    applicant_of: dict[str, str] = field(default_factory=dict)  # case -> the applicant's ID number
    # case -> who acts for it: the clerk of its window, or the applicant signed in (统一身份认证); None without
    # tokens (a system that asks for none)
    acting_for: dict[str, httpx.Auth | None] = field(default_factory=dict)
    applicant_auth: dict[str, httpx.Auth | None] = field(default_factory=dict)  # case -> the applicant signed in
    ratings: Counter[str] = field(default_factory=Counter)  # level -> ratings the demo's applicants gave

    def _ours(self, tally: Counter[tuple[str, str]]) -> dict[str, int]:
        """A (case, x) tally summed over x, for this run's cases only (the stream holds earlier runs too)."""
        ours, out = set(self.cases), Counter[str]()
        for (case, what), n in tally.items():
            if case in ours:
                out[what] += n
        return dict(sorted(out.items()))

    def requests_by_department(self) -> dict[str, int]:
        return self._ours(self.department_requests)

    def results_by_outcome(self) -> dict[str, int]:
        return self._ours(self.department_results)

    @property
    def delivered_once(self) -> int:
        return sum(1 for c in self.cases if self.deliveries[c] == 1 and self.notices[c] == 1)

    @property
    def first_delivery_s(self) -> float | None:
        times = [self.delivered_at[c] for c in self.cases if c in self.delivered_at]
        return min(times) - self.started if times else None

    @property
    def ok(self) -> bool:
        late_ok = all(self.cards[(c, "yellow")] >= 1 and self.cards[(c, "red")] >= 1 and self.orders[c] >= 1
                      for c in self.late)
        return (bool(self.cases) and self.delivered_once == len(self.cases) and late_ok
                and all(self.correction_notices[c] <= 1 for c in self.cases))


def _bar(done: int, total: int, label: str, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total} {label}"


class _Progress:
    """A progress bar (redrawn on a terminal, every tenth otherwise) and the lines between bars."""

    def __init__(self, total: int, quiet: bool, label: str = "已送达 delivered") -> None:
        self.total, self.quiet, self.label, self.tty = total, quiet, label, sys.stdout.isatty()
        self._last, self._closed = -1, False

    def show(self, done: int) -> None:
        if self.quiet or self._closed or done == self._last:
            return
        self._last = done
        if self.tty:
            print("\r" + _bar(done, self.total, self.label), end="", flush=True)
        elif done == self.total or done * 10 // max(self.total, 1) != (done - 1) * 10 // max(self.total, 1):
            print(_bar(done, self.total, self.label), flush=True)

    def close(self) -> None:
        if self.tty and not self.quiet and not self._closed and self._last >= 0:
            print()
        self._closed = True

    def say(self, text: str) -> None:
        """A line saying what the demo does next, so no step passes in silence."""
        if not self.quiet:
            self.close()
            print(text, flush=True)


async def _watch(bootstrap: str, result: DemoResult, ready: asyncio.Event, stop: asyncio.Event,
                 progress: _Progress, keyring: KeyRing | None, on_event: Callable[[Envelope], None] | None) -> None:
    # Read the whole stream and keep counts for every case; only our cases are judged at the end.
    # (Seeking to the end first was tried and lost deliveries on the embedded broker's new partitions.)
    async with case_stream_reader(bootstrap, start="beginning") as (consumer, _):
        ready.set()
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    try:
                        env, wire = Envelope.from_bytes(record.value or b"")
                        if keyring is not None:  # forged records (onething chaos poison) are not counted
                            keyring.verify_envelope(wire)
                    except (EnvelopeError, SignatureInvalid):
                        continue
                    _count(result, env)
                    if on_event is not None:
                        on_event(env)
            progress.show(sum(1 for c in result.cases if result.deliveries[c] >= 1))


def _count(result: DemoResult, env: Envelope) -> None:
    if env.type == "intake.case.delivered":
        result.deliveries[env.subject] += 1
        result.delivered_at.setdefault(env.subject, time.monotonic())
    elif env.type == "intake.case.notified":
        result.notices[env.subject] += 1
    elif env.type == "dispatch.task.released":
        result.department_requests[(env.subject, str(env.data["department"]))] += 1
    elif env.type == "dispatch.task.concluded":
        result.department_results[(env.subject, str(env.data["outcome"]))] += 1
    elif env.type == "supervision.card.issued":
        result.cards[(env.subject, str(env.data["colour"]))] += 1
    elif env.type == "supervision.order.issued":
        result.orders[env.subject] += 1
    elif env.type == "dispatch.review.concluded" and env.data.get("deficiencies"):
        result.correction_notices[env.subject] += 1
        result.to_correct.add(env.subject)


async def _correct(client: httpx.AsyncClient, notice: dict[str, Any], case_id: str, rng: random.Random,
                   deadline: float, auth: httpx.Auth | None) -> bool:
    """Answer the consolidated correction notice once intake shows it (intake reads the same stream)."""
    while time.monotonic() < deadline:
        response, _ = await send_patiently(client, "GET", f"/cases/{case_id}", **acting(auth))
        if response.status_code == 200 and response.json()["correction"]:
            body = correction_for(notice, response.json()["correction"], rng)
            posted, maybe_done = await send_patiently(client, "POST", f"/cases/{case_id}/corrections", json=body,
                                                      **acting(auth))
            if not (maybe_done and posted.status_code == 409):  # 409 then: the lost answer's attempt corrected it
                posted.raise_for_status()
            return True
        await asyncio.sleep(0.2)
    return False


PORTAL_LOOK_S = 5.0  # how often the applicant looks at the portal for a correction notice the stream did not show


async def notices_shown(client: httpx.AsyncClient, case_ids: Sequence[str],
                        acting_for: dict[str, httpx.Auth | None], *, patience_s: float = PORTAL_LOOK_S) -> list[str]:
    """补正通知 as the applicants see them on the portal: those of ``case_ids`` whose intake view asks for a
    correction. The case stream tells the demo first; this finds a notice its onlooker missed: a broker that lost its
    data has every record sent again, at offsets the onlooker may already have passed (onething chaos kill-broker)."""
    limit = asyncio.Semaphore(8)

    async def asks(case_id: str) -> bool:
        async with limit:
            try:
                response, _ = await send_patiently(client, "GET", f"/cases/{case_id}", patience_s=patience_s,
                                                   **acting(acting_for.get(case_id)))
            except httpx.TransportError:
                return False  # intake is away (a chaos scenario restarts it): the applicant looks again later
        return response.status_code == 200 and bool(response.json().get("correction"))

    found = await asyncio.gather(*(asks(c) for c in case_ids))
    return [case_id for case_id, shown in zip(case_ids, found, strict=True) if shown]


async def _prefill(client: httpx.AsyncClient, notice: dict[str, Any], applicant_id: str,
                   deadline: float, auth: httpx.Auth | None) -> tuple[str, dict[str, Any]] | None:
    """授权预填: the applicant, signed in (their token is the authorisation), asks for the lookup; wait for the
    registries, return the draft."""
    response, _ = await send_patiently(client, "POST", "/drafts", json={  # a repeat makes one more draft: harmless
        "bundle_code": notice["bundle_code"], "items": [i["code"] for i in notice["items"]],
        "id_number": applicant_id, "channel": "portal", "authorisation": {"granted": True}}, **acting(auth))
    response.raise_for_status()
    draft = response.json()
    while not draft["ready"] and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        draft = (await send_patiently(client, "GET", f"/drafts/{draft['draft_id']}", **acting(auth)))[0].json()
    return (draft["draft_id"], draft["prefilled"]) if draft["ready"] else None


async def _run_late(result: DemoResult, supervision_url: str, simulators_url: str, deadline: float,
                    operator: httpx.Auth | None) -> None:
    """超期演示: move the supervision clock a day at a time until every held case has its red card and order
    (its yellow card comes first), then let the departments answer. An operator's work (运维)."""
    async with httpx.AsyncClient(base_url=supervision_url, timeout=30.0, auth=operator) as supervision:
        for _ in range(90):
            if time.monotonic() > deadline or all(result.orders[c] >= 1 for c in result.late):
                break
            (await supervision.post("/clock/advance", json={"days": 1})).raise_for_status()
            await asyncio.sleep(0.3)  # the cards travel the bus back to the watcher
    async with httpx.AsyncClient(base_url=simulators_url, timeout=30.0, auth=operator) as simulators:
        for case_id in result.late:
            (await simulators.delete(f"/holds/{case_id}")).raise_for_status()


# How the demo's applicants rate (好差评): mostly content, some not, so orders and figures have something to show.
_LEVELS = ("very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied")
_LEVEL_WEIGHTS = (60, 25, 8, 5, 2)
_GOOD_TAGS, _BAD_TAGS = ("efficient", "courteous", "fewer_trips", "fewer_materials"), ("slow", "unclear_guidance")


async def _rate(rating_url: str, result: DemoResult, rng: random.Random, deadline: float, progress: _Progress) -> None:
    """办完即评: each delivered case's applicant rates every touchpoint the rating service invited."""
    async with httpx.AsyncClient(base_url=rating_url, timeout=30.0) as rating:
        for done, case_id in enumerate(result.cases):
            progress.show(done)
            auth = result.applicant_auth.get(case_id)
            while time.monotonic() < deadline:
                answer = (await send_patiently(rating, "GET", f"/cases/{case_id}/touchpoints", **acting(auth)))[0]
                # 404 until rating has recorded the case (it reads the same stream): ask again
                touchpoints = answer.json() if answer.status_code == 200 else []
                if any(t["touchpoint"] == "delivery" for t in touchpoints):
                    break
                await asyncio.sleep(0.2)
            else:
                progress.say(f"好差评未完成 rating stopped at the demo's deadline: {done}/{len(result.cases)} cases rated")
                return
            for t in touchpoints:
                if t["rated"]:
                    continue
                level = rng.choices(_LEVELS, _LEVEL_WEIGHTS)[0]
                tags = [rng.choice(_BAD_TAGS if level in _LEVELS[3:] else _GOOD_TAGS)]
                answer, _ = await send_patiently(rating, "POST", "/ratings", json={  # the rater: from the token
                    "case_id": case_id, "touchpoint": t["touchpoint"], "item_code": t["item_code"], "level": level,
                    "tags": tags, "rated_via": "device"}, **acting(auth))
                if answer.status_code == 201:
                    result.ratings[level] += 1
        progress.show(len(result.cases))
    progress.close()


async def run_demo(intake_url: str, bootstrap: str, cases: int, *, bundles: Sequence[str] = ("P-01",), seed: int = 7,
                   timeout_s: float = 120.0, linger_s: float = 2.0, quiet: bool = False, late: int = 0,
                   supervision_url: str | None = None, simulators_url: str | None = None,
                   rating_url: str | None = None, keyring: KeyRing | None = None, tokens: SystemTokens | None = None,
                   on_event: Callable[[Envelope], None] | None = None) -> DemoResult:
    """Submit ``cases`` applications, cycling through ``bundles``, and follow each to its one delivery.

    With ``rating_url`` each delivered case's applicant then rates it (一事多评). With ``late`` > 0 the first ``late`` cases are held at the departments and the supervision clock is moved
    forward until each has its yellow card, red card and supervision order; then they are released. With
    ``keyring`` only events whose signature verifies are counted; ``on_event`` sees each as it is read."""
    if late and not (supervision_url and simulators_url):
        raise ValueError("--late needs the supervision and simulator URLs of the running system")
    rng = random.Random(seed)
    result = DemoResult()
    operator = tokens.staff(Role.OPERATOR) if tokens else None  # holds and the supervision clock
    progress = _Progress(cases, quiet)
    ready, stop = asyncio.Event(), asyncio.Event()
    async with httpx.AsyncClient(base_url=intake_url, timeout=30.0) as client:
        notices = {code: await one_time_notice(client, code) for code in dict.fromkeys(bundles)}
        watcher = asyncio.create_task(_watch(bootstrap, result, ready, stop, progress, keyring, on_event))
        await asyncio.wait_for(ready.wait(), 30)
        result.started = time.monotonic()
        deadline = time.monotonic() + timeout_s
        limit = asyncio.Semaphore(16)

        async def submit(n: int) -> None:
            notice = notices[bundles[n % len(bundles)]]
            async with limit:
                applicant_id = applicant_identity(notice, rng)
                # The applicant signs in (统一身份认证: an enterprise with its 法人 account) to authorise the pre-fill
                # and to rate; at a window, kiosk or hotline the clerk there accepts the application.
                applicant = tokens.applicant(applicant_id, "演示申请人") if tokens else None
                draft = await _prefill(client, notice, applicant_id, deadline, applicant) if n % 3 == 0 else None
                body = application_for(notice, rng, n, applicant_id=applicant_id,
                                       prefilled=draft[1] if draft else None, draft_id=draft[0] if draft else None)
                actor = tokens.submitter(body, applicant) if tokens else None
                case = await submit_application(client, body, idempotency_key=f"demo-{seed}-{n}-{time.time_ns()}",
                                                auth=actor)
                if n < late:  # 压件: the departments sit on this case until the demo lets go
                    async with httpx.AsyncClient(base_url=str(simulators_url), timeout=30.0, auth=operator) as sims:
                        (await sims.post(f"/holds/{case['case_id']}")).raise_for_status()
                    result.late.append(case["case_id"])
                result.cases.append(case["case_id"])
                result.bundle_of[case["case_id"]] = notice["bundle_code"]
                result.applicant_of[case["case_id"]] = applicant_id
                result.acting_for[case["case_id"]], result.applicant_auth[case["case_id"]] = actor, applicant
                result.prefilled += draft is not None
                await supply_deferred(client, case, actor)

        await asyncio.gather(*(submit(n) for n in range(cases)))
        ours, corrected = set(result.cases), set[str]()
        corrections: set[asyncio.Task[bool]] = set()
        late_run: asyncio.Task[None] | None = None
        looked = time.monotonic()
        looking: asyncio.Task[list[str]] | None = None  # the portal look runs beside the loop, one at a time
        while time.monotonic() < deadline and not watcher.done():
            if looking is not None and looking.done():
                result.to_correct.update(looking.result())
                looking = None
            if looking is None and time.monotonic() - looked > PORTAL_LOOK_S:
                looked = time.monotonic()
                unseen = sorted(c for c in ours - corrected - result.to_correct if result.deliveries[c] == 0)
                looking = asyncio.create_task(notices_shown(client, unseen, result.acting_for))
            on_time = [c for c in result.cases if c not in result.late]
            if result.late and late_run is None and all(result.deliveries[c] >= 1 for c in on_time):
                late_run = asyncio.create_task(_run_late(result, str(supervision_url), str(simulators_url), deadline,
                                                         operator))
            for case_id in sorted((result.to_correct & ours) - corrected):
                corrected.add(case_id)  # 一次补正: answer, as the applicant would, the one notice
                notice = notices[result.bundle_of[case_id]]
                corrections.add(asyncio.create_task(_correct(client, notice, case_id, rng, deadline,
                                                             result.acting_for.get(case_id))))
            if all(result.deliveries[c] >= 1 for c in result.cases):
                result.all_delivered_s = time.monotonic() - result.started
                progress.say(f"核对有无重复送达 watching {linger_s:g} s more for duplicate deliveries …")
                await asyncio.sleep(linger_s)  # a duplicate delivery would show up now
                break
            await asyncio.sleep(0.1)
        if looking is not None:
            looking.cancel()
            await asyncio.gather(looking, return_exceptions=True)
        stop.set()
        await watcher
        if late_run is not None:
            await late_run
        result.corrections = sum(await asyncio.gather(*corrections))
        if rating_url is not None:
            progress.say("好差评：申请人评价受理、一件事与各部门事项 each applicant rates the acceptance, the one-thing and "
                         "each department's item …")
            await _rate(rating_url, result, rng, deadline, _Progress(len(result.cases), quiet, "已评价 cases rated"))
    progress.close()
    return result
