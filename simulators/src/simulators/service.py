"""The simulator process: one consumer group per department and per base registry, answers signed by each."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Depends, HTTPException
from onething_catalogue.loader import load_catalogue
from onething_catalogue.model import Catalogue
from onething_screens import mount_shell
from pydantic import BaseModel, Field

from contracts.department.v1 import RequestKind, RequestReceived, receipt_event_id
from contracts.department.v1 import answer_event_id as department_answer_id
from contracts.department.v2 import Decision as Ruling
from contracts.department.v2 import DecisionAtReview, ResultReturned, ReviewReturned
from contracts.departments import department_principal
from contracts.dispatch.v1 import AnswerRefused, RequestSent, ReviewRequested
from contracts.envelope import Envelope
from contracts.registry import decode_payload
from contracts.sharing.v1 import (
    LookupAnswered,
    LookupRequested,
    Registry,
    SubjectKind,
    answer_event_id,
    registry_principal,
)
from contracts.topics import DEPARTMENT_RESULTS, SHARING_ANSWERS, SHARING_REQUESTS, department_requests
from exchange.access.http import ACCESS_RESPONSES, Allow
from exchange.access.roles import Caller, Role
from exchange.access.tokens import IDENTITY_PRINCIPAL
from exchange.errors import Malformed
from exchange.http_edge import serve_without_waiting, service_app
from exchange.kafka.consumer import ConsumerRunner, DirectHandler
from exchange.kafka.subscriptions import handles_direct
from exchange.runtime import Platform, ServiceParts
from simulators.config import SimulatorSettings
from simulators.decisions import Decision, FieldLabel, Rates, decide, decide_review, document_number
from simulators.faults import FaultMode, Faults, Verdict
from simulators.holds import Holds
from simulators.identity import identity_router
from simulators.records import enterprise_record, population_record
from simulators.sending import ChainedSender

__all__ = [
    "REGISTRIES",
    "DepartmentSimulator",
    "FaultsBody",
    "RegistrySimulator",
    "build",
]

logger = logging.getLogger(__name__)

# 基础库: which subjects each simulated registry holds, and how it finds a record.
REGISTRIES: dict[Registry, tuple[SubjectKind, Callable[[str], dict[str, str] | None]]] = {
    Registry.POPULATION: (SubjectKind.PERSON, population_record),
    Registry.ENTERPRISE: (SubjectKind.ORGANISATION, enterprise_record),
}


DEPARTMENTS_GROUP = "dept-simulators"  # the one consumer group of the simulated departments
REGISTRIES_GROUP = "registry-simulators"  # and the one of the simulated base registries


class DepartmentDesk:
    """Every simulated department's requests through one consumer (一个消费者，按部门分派): each request goes to
    the simulator of the department it names (a request names its department; it is on that department's topic)."""

    def __init__(self, by_code: dict[str, DepartmentSimulator]) -> None:
        self.by_code = by_code

    def _of(self, department: str) -> DepartmentSimulator:
        found = self.by_code.get(department)
        if found is None:
            raise Malformed(f"a request for department {department!r}, which is not simulated here")
        return found

    async def handle(self, envelope: Envelope, payload: RequestSent) -> None:
        await self._of(payload.department).handle(envelope, payload)

    async def review(self, envelope: Envelope, payload: ReviewRequested) -> None:
        await self._of(payload.department).review(envelope, payload)

    async def heard_refusal(self, envelope: Envelope, payload: AnswerRefused) -> None:
        await self._of(payload.department).heard_refusal(envelope, payload)

    def handlers(self) -> dict[str, DirectHandler]:
        return dict([handles_direct(RequestSent, self.handle), handles_direct(ReviewRequested, self.review),
                     handles_direct(AnswerRefused, self.heard_refusal)])


class DepartmentSimulator:
    """One simulated department system (部门业务系统): it keeps its own hash chain, as a real one would.

    A request is receipted at once (签收回执), before any decision or hold, then answered after the drawn
    latency; a request answered at once (no latency drawn, its case not held) gets no separate receipt: the answer
    is its receipt, as dispatch reads it (``DepartmentRequest.answered``), as a department system that decides
    on the spot would send. The current :class:`~simulators.faults.Faults` may drop or delay both.
    """

    def __init__(self, code: str, sender: ChainedSender, seed: int, rates: Rates, holds: Holds | None = None,
                 faults: Callable[[], Faults] = Faults, field_label: FieldLabel = lambda _item, _name: None) -> None:
        self.code = code
        self.field_label = field_label
        self.sender = sender
        self.seed = seed
        self.rates = rates
        self.holds = holds or Holds()
        self.faults = faults
        self._draw = random.Random(f"{seed}:{code}")  # errors mode: a fresh draw per delivery
        self.answered = 0
        self.reviewed = 0
        self.refused = 0
        self.receipted = 0
        self.dropped = 0

    async def heard_refusal(self, envelope: Envelope, payload: AnswerRefused) -> None:
        """拒收通知: the platform refused one of our answers; a real system would alert its operators."""
        self.refused += 1
        logger.warning("dept.%s: answer %s refused (%s): %s / %s", self.code, payload.refused_event_id,
                       payload.reason.value, payload.message_zh, payload.message_en)

    async def _take(self, envelope: Envelope, payload: RequestSent | ReviewRequested, kind: RequestKind, *,
                    answered_at_once: Callable[[], bool]) -> bool:
        """Take a request in as the faults allow, with a receipt unless it is ``answered_at_once()`` (asked after
        any delay: the answer that follows is its receipt); False when this delivery goes unanswered (silent,
        errors)."""
        verdict = self.faults().verdict(self.code, self._draw)
        if verdict is Verdict.DROP:
            self.dropped += 1
            logger.info("dept.%s: fault: request %s dropped", self.code, payload.request_id)
            return False
        if verdict is Verdict.DELAY:
            await asyncio.sleep(self.faults().delay_s)
        if answered_at_once():
            return True
        receipt = RequestReceived(request_id=payload.request_id, case_id=payload.case_id, item_code=payload.item_code,
                                  department=self.code, kind=kind, received_at=datetime.now(UTC))
        await self.sender.reply(receipt, cause=envelope, topic=DEPARTMENT_RESULTS,
                                subject=payload.case_id, event_id=receipt_event_id(payload.request_id))
        self.receipted += 1
        return True

    async def review(self, envelope: Envelope, payload: ReviewRequested) -> None:
        """预审: a receipt, then one answer per review request, listing deficiencies or none; asked to decide an
        on-the-spot item (即审即办) and finding nothing missing, with the decision it would give on handling (unless
        the case is held: then the handling request comes as usual)."""
        decision = decide_review(self.seed, self.rates, payload, self.field_label)
        if not await self._take(envelope, payload, RequestKind.REVIEW, answered_at_once=lambda: decision.latency_ms == 0):
            return
        await asyncio.sleep(decision.latency_ms / 1000)
        answer = ReviewReturned(
            request_id=payload.request_id, case_id=payload.case_id, item_code=payload.item_code,
            department=self.code, round=payload.round, deficiencies=decision.deficiencies,
            reviewed_at=datetime.now(UTC),
            decision=(self._decision_at_review(payload)
                      if payload.decide and not decision.deficiencies and not self.holds.holding(payload.case_id)
                      else None),
        )
        await self.sender.reply(
            answer, cause=envelope, topic=DEPARTMENT_RESULTS, subject=payload.case_id,
            event_id=department_answer_id(RequestKind.REVIEW, payload.request_id),
        )
        self.reviewed += 1
        self.answered += answer.decision is not None  # decided with the review (即审即办): a result given

    async def handle(self, envelope: Envelope, payload: RequestSent) -> None:
        """办理: a receipt, then approve or reject by rate, one result per request (later, if the case is held)."""
        decision = self._decision(payload)

        def at_once() -> bool:
            return decision.latency_ms == 0 and not self.holds.holding(payload.case_id)

        if not await self._take(envelope, payload, RequestKind.HANDLING, answered_at_once=at_once):
            return
        if not self.holds.park(payload.case_id, self.code, envelope):
            await self.decide(envelope, payload, decision)

    def _decision(self, payload: RequestSent) -> Decision:
        return decide(self.seed, self.rates, payload.case_id, payload.item_code, payload.attempt)

    def _decision_at_review(self, payload: ReviewRequested) -> DecisionAtReview:
        """The decision the first handling request would get (the same draw), given now."""
        decision = decide(self.seed, self.rates, payload.case_id, payload.item_code, 1)
        return DecisionAtReview(
            outcome=decision.outcome, reason_zh=decision.reason_zh, reason_en=decision.reason_en,
            document_no=(document_number(self.code, payload.case_id, payload.item_code)
                         if decision.outcome is Ruling.APPROVED else None))

    async def decide(self, envelope: Envelope, payload: RequestSent, decision: Decision | None = None) -> None:
        """Answer ``payload`` after its drawn latency (``decision``: already drawn by the caller)."""
        decision = decision or self._decision(payload)
        await asyncio.sleep(decision.latency_ms / 1000)
        result = ResultReturned(
            request_id=payload.request_id, case_id=payload.case_id, task_id=payload.task_id,
            item_code=payload.item_code, department=self.code, attempt=payload.attempt,
            outcome=decision.outcome, reason_zh=decision.reason_zh, reason_en=decision.reason_en,
            document_no=(
                document_number(self.code, payload.case_id, payload.item_code)
                if decision.outcome is Ruling.APPROVED else None
            ),
            decided_at=datetime.now(UTC),
        )
        await self.sender.reply(
            result, cause=envelope, topic=DEPARTMENT_RESULTS, subject=payload.case_id,
            event_id=department_answer_id(RequestKind.HANDLING, payload.request_id),
        )
        self.answered += 1


class RegistrySimulator:
    """One simulated base registry (人口基础信息库 / 法人基础信息库): answers lookups of the subjects it holds."""

    def __init__(self, registry: Registry, sender: ChainedSender) -> None:
        if registry not in REGISTRIES:
            raise ValueError(f"{registry} is not a simulated base registry")
        self.registry = registry
        self.sender = sender
        self.answered = 0

    async def handle(self, envelope: Envelope, payload: LookupRequested) -> None:
        """共享查询: answer a lookup for a subject kind this registry holds; ignore the others."""
        holds, lookup = REGISTRIES[self.registry]
        if payload.subject_kind is not holds:
            return
        record = lookup(payload.subject_id)
        answer = LookupAnswered(
            request_id=payload.request_id, draft_id=payload.draft_id, registry=self.registry,
            subject_id=payload.subject_id, found=record is not None, record=record or {},
            answered_at=datetime.now(UTC),
        )
        await self.sender.reply(
            answer, cause=envelope, topic=SHARING_ANSWERS, subject=payload.draft_id,
            event_id=answer_event_id(payload.request_id, self.registry),
        )
        self.answered += 1


class FaultsBody(BaseModel):
    """故障注入 Fault mode of the simulated departments (see :mod:`simulators.faults`)."""

    mode: Literal["none", "silent", "slow", "errors"]
    departments: list[str] = Field(default_factory=list, description="department codes; empty: every one")
    delay_s: float = Field(default=5.0, ge=0, le=3600, description="slow: seconds before receipt and answer")
    ratio: float = Field(default=0.5, ge=0, le=1, description="errors: share of deliveries dropped")


class RatesBody(BaseModel):
    """How the simulated departments decide from now on (两次独立抽签): deficiencies at the first review, then
    rejection at handling; the rest are approved."""

    correction: float = Field(ge=0, le=1, description="share of items whose first preliminary review (预审) finds "
                              "deficiencies to correct")
    reject: float = Field(ge=0, le=1, description="share of items rejected at handling (不予)")


def form_labels(catalogue: Catalogue) -> FieldLabel:
    """An item's form field by its label on the published form (一表申请), Chinese and English."""
    bundles = {bundle.code: bundle for bundle in catalogue.bundles}

    def label(item_code: str, name: str) -> tuple[str, str] | None:
        bundle = bundles.get(item_code.rsplit("-", 1)[0])
        spec = catalogue.field_spec(bundle, name) if bundle is not None else None
        return (spec.label_zh, spec.label_en) if spec is not None else None

    return label


Operator = Annotated[Caller, Depends(Allow(Role.OPERATOR))]  # faults, holds and rates are the operators' demo levers


def build(platform: Platform) -> ServiceParts:
    settings = platform.settings
    assert isinstance(settings, SimulatorSettings)
    registries = list(REGISTRIES) if settings.sim_registries else []
    principals = [department_principal(code) for code in settings.simulated_departments]
    principals += [registry_principal(r) for r in registries]
    # A department system or registry holds its own key; 统一身份认证 (simulated here) its token-signing key.
    # All are made by `onething keys` (or the deployment) in this process's folder: a missing one stops it.
    for principal in [*principals, IDENTITY_PRINCIPAL]:
        platform.keyring.private_key(principal)
    rates = Rates(
        settings.sim_reject_rate, settings.sim_correction_rate,
        settings.sim_latency_ms_min, settings.sim_latency_ms_max,
    )

    def sender(principal: str) -> ChainedSender:
        return ChainedSender(platform.keyring.signer(principal), platform.producer)

    holds = Holds(settings.holds_path)
    faults = [Faults()]  # the current mode, replaced whole by POST /faults
    label = form_labels(load_catalogue(None))  # a department's reviewer names a field as its form does
    sims = [
        DepartmentSimulator(code, sender(department_principal(code)), settings.sim_seed, rates, holds,
                            lambda: faults[0], label)
        for code in settings.simulated_departments
    ]
    by_code = {s.code: s for s in sims}
    regs = [RegistrySimulator(r, sender(registry_principal(r))) for r in registries]
    app = service_app(title="OneThing department simulators 部门业务系统与基础库模拟器", version="1.0.0")
    serve_without_waiting(app, "/.well-known/")  # every service's token check may fetch these keys mid-request
    app.include_router(identity_router(
        platform.keyring, settings.clients_path, issuer=settings.auth_issuer,
        audience=settings.auth_audience, ttl_s=settings.auth_token_ttl_s,
        public_url=lambda request: str(request.base_url).rstrip("/"), page_origins=settings.allowed_origins))
    mount_shell(app)  # the sign-in page's style

    @app.get("/departments", summary="模拟部门及应答数 Simulated departments")
    async def departments() -> list[dict[str, object]]:
        return [{"department": s.code, "answered": s.answered, "reviewed": s.reviewed, "refused": s.refused,
                 "receipted": s.receipted, "dropped": s.dropped} for s in sims]

    def faults_view() -> dict[str, object]:
        f = faults[0]
        return {"mode": f.mode.value, "departments": sorted(f.departments), "delay_s": f.delay_s, "ratio": f.ratio}

    @app.get("/faults", summary="当前故障模式 Current fault mode")
    async def get_faults() -> dict[str, object]:
        return faults_view()

    @app.post("/faults", summary="设置故障模式（无响应、迟缓、间歇故障）Set the fault mode: none, silent, slow, errors",
              responses=ACCESS_RESPONSES)
    async def set_faults(body: FaultsBody, _: Operator) -> dict[str, object]:
        unknown = sorted(set(body.departments) - set(by_code))
        if unknown:
            raise HTTPException(422, detail={"message_zh": f"未模拟的部门：{'、'.join(unknown)}",
                                             "message_en": f"not simulated here: {', '.join(unknown)}"})
        faults[0] = Faults(FaultMode(body.mode), frozenset(body.departments), body.delay_s, body.ratio)
        logger.warning("simulators: fault mode %s", faults_view())
        return faults_view()

    @app.get("/holds", summary="被压的办件 Held cases and their parked requests")
    async def holds_view() -> list[dict[str, object]]:
        return holds.view()

    def rates_view() -> dict[str, float]:
        return {"correction": sims[0].rates.correction, "reject": sims[0].rates.reject} if sims else {}

    @app.get("/rates", summary="模拟部门的决定比例 How the simulated departments decide")
    async def get_rates() -> dict[str, float]:
        return rates_view()

    @app.put("/rates", summary="设置决定比例（演示补正、不予）Set how the simulated departments decide",
             responses=ACCESS_RESPONSES)
    async def set_rates(body: RatesBody, _: Operator) -> dict[str, float]:
        for sim in sims:
            sim.rates = replace(sim.rates, correction=body.correction, reject=body.reject)
        return rates_view()

    @app.post("/holds/{case_id}", status_code=201, summary="压件：暂不办理该办件（演示超期）Hold a case's handling",
              responses=ACCESS_RESPONSES)
    async def hold(case_id: str, _: Operator) -> dict[str, object]:
        holds.hold(case_id)
        return {"case_id": case_id, "held": True}

    @app.delete("/holds/{case_id}", summary="放行：办理被压的请求 Release a held case", responses=ACCESS_RESPONSES)
    async def release(case_id: str, _: Operator) -> dict[str, object]:
        waiting = holds.lift(case_id)
        ours = [(code, request) for code, request in waiting if code in by_code]
        for code, request in ours:
            payload = decode_payload(request)
            if isinstance(payload, RequestSent):  # only handling requests are ever held
                await by_code[code].decide(request, payload)
        if len(ours) == len(waiting):
            holds.answered(case_id)
        else:  # parked by a department this process no longer simulates: kept on file for a process that does
            logger.warning("simulators: %d held requests of %s are for departments not simulated here",
                           len(waiting) - len(ours), case_id)
        return {"case_id": case_id, "answered": len(ours)}

    @app.get("/registries", summary="模拟基础库及应答数 Simulated base registries")
    async def registries_view() -> list[dict[str, object]]:
        return [{"registry": r.registry.value, "answered": r.answered} for r in regs]

    # One consumer for every simulated department, routed by the payload's department: one per department (45)
    # spent more on polling the broker than the departments spent answering (docs/performance.md).
    consumers: list[ConsumerRunner] = [
        platform.runner(
            group=DEPARTMENTS_GROUP, topics=[department_requests(sim.code) for sim in sims],
            direct=DepartmentDesk(by_code).handlers(), ordered=False,
        )
    ] if sims else []

    async def lookup_requested(envelope: Envelope, payload: LookupRequested) -> None:
        for reg in regs:  # each answers the subjects it holds, as itself
            await reg.handle(envelope, payload)

    # and one for both base registries: every consumer polls the broker, whether or not it is asked anything
    consumers += [
        platform.runner(
            group=REGISTRIES_GROUP, topics=[SHARING_REQUESTS],
            direct=dict([handles_direct(LookupRequested, lookup_requested)]), ordered=False,
        )
    ] if regs else []
    return ServiceParts(app=app, consumers=consumers)
