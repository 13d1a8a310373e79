"""The simulator process: one consumer group per department and per base registry, answers signed by each."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, uuid5

from fastapi import FastAPI

from contracts.department.v1 import ResultReturned, ReviewReturned
from contracts.departments import department_principal
from contracts.dispatch.v1 import AnswerRefused, Outcome, RequestSent, ReviewRequested
from contracts.envelope import Envelope, EventPayload
from contracts.sharing.v1 import (
    LookupAnswered,
    LookupRequested,
    Registry,
    SubjectKind,
    answer_event_id,
    registry_principal,
)
from contracts.topics import DEPARTMENT_RESULTS, SHARING_ANSWERS, SHARING_REQUESTS, department_requests
from exchange.kafka.consumer import ConsumerRunner, DirectHandler
from exchange.runtime import Platform, ServiceParts
from exchange.signing import ensure_keys
from simulators.config import SimulatorSettings
from simulators.decisions import Rates, decide, decide_review, document_number
from simulators.records import enterprise_record, population_record
from simulators.sending import ChainedSender

__all__ = [
    "REGISTRIES",
    "DepartmentSimulator",
    "RegistrySimulator",
    "build",
]

logger = logging.getLogger(__name__)

# 基础库: which subjects each simulated registry holds, and how it finds a record.
REGISTRIES: dict[Registry, tuple[SubjectKind, Callable[[str], dict[str, str] | None]]] = {
    Registry.POPULATION: (SubjectKind.PERSON, population_record),
    Registry.ENTERPRISE: (SubjectKind.ORGANISATION, enterprise_record),
}


class Holds:
    """Cases whose handling the simulated departments sit on (压件), so a demo or test can make a case run
    past its statutory limit. A held request is taken off the bus and answered when the hold is released."""

    def __init__(self) -> None:
        self.cases: set[str] = set()
        self.parked: dict[str, list[Callable[[], Awaitable[None]]]] = {}

    def hold(self, case_id: str) -> None:
        self.cases.add(case_id)

    def park(self, case_id: str, answer: Callable[[], Awaitable[None]]) -> bool:
        if case_id not in self.cases:
            return False
        self.parked.setdefault(case_id, []).append(answer)
        return True

    async def release(self, case_id: str) -> int:
        self.cases.discard(case_id)
        waiting = self.parked.pop(case_id, [])
        for answer in waiting:
            await answer()
        return len(waiting)


class DepartmentSimulator:
    """One simulated department system (部门业务系统): it keeps its own hash chain, as a real one would."""

    def __init__(self, code: str, sender: ChainedSender, seed: int, rates: Rates, holds: Holds | None = None) -> None:
        self.code = code
        self.sender = sender
        self.seed = seed
        self.rates = rates
        self.holds = holds or Holds()
        self.answered = 0
        self.reviewed = 0
        self.refused = 0

    def handlers(self) -> dict[str, DirectHandler]:
        return {RequestSent.event_type: self.handle, ReviewRequested.event_type: self.review,
                AnswerRefused.event_type: self.heard_refusal}

    async def heard_refusal(self, envelope: Envelope, payload: EventPayload) -> None:
        """拒收通知: the platform refused one of our answers; a real system would alert its operators."""
        assert isinstance(payload, AnswerRefused)
        self.refused += 1
        logger.warning("dept.%s: answer %s refused (%s): %s / %s", self.code, payload.refused_event_id,
                       payload.reason.value, payload.message_zh, payload.message_en)

    async def review(self, envelope: Envelope, payload: EventPayload) -> None:
        """预审: one answer per review request, listing deficiencies or none."""
        assert isinstance(payload, ReviewRequested)
        decision = decide_review(self.seed, self.rates, payload)
        await asyncio.sleep(decision.latency_ms / 1000)
        answer = ReviewReturned(
            request_id=payload.request_id, case_id=payload.case_id, item_code=payload.item_code,
            department=self.code, round=payload.round, deficiencies=decision.deficiencies,
            reviewed_at=datetime.now(UTC),
        )
        await self.sender.reply(
            answer, cause=envelope, topic=DEPARTMENT_RESULTS, key=payload.case_id, subject=payload.case_id,
            event_id=uuid5(NAMESPACE_URL, f"onething:review:{payload.request_id}"),
        )
        self.reviewed += 1

    async def handle(self, envelope: Envelope, payload: EventPayload) -> None:
        """办理: approve or reject by rate, one result per request (later, if the case is held)."""
        assert isinstance(payload, RequestSent)
        if not self.holds.park(payload.case_id, lambda: self._decide(envelope, payload)):
            await self._decide(envelope, payload)

    async def _decide(self, envelope: Envelope, payload: RequestSent) -> None:
        decision = decide(self.seed, self.rates, payload.case_id, payload.item_code, payload.attempt)
        await asyncio.sleep(decision.latency_ms / 1000)
        result = ResultReturned(
            request_id=payload.request_id, case_id=payload.case_id, task_id=payload.task_id,
            item_code=payload.item_code, department=self.code, attempt=payload.attempt,
            outcome=decision.outcome, reason_zh=decision.reason_zh, reason_en=decision.reason_en,
            document_no=(
                document_number(self.code, payload.case_id, payload.item_code)
                if decision.outcome is Outcome.APPROVED else None
            ),
            decided_at=datetime.now(UTC),
        )
        await self.sender.reply(
            result, cause=envelope, topic=DEPARTMENT_RESULTS, key=payload.case_id, subject=payload.case_id,
            event_id=uuid5(NAMESPACE_URL, f"onething:result:{payload.request_id}"),
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

    async def handle(self, envelope: Envelope, payload: EventPayload) -> None:
        """共享查询: answer a lookup for a subject kind this registry holds; ignore the others."""
        assert isinstance(payload, LookupRequested)
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
            answer, cause=envelope, topic=SHARING_ANSWERS, key=payload.draft_id, subject=payload.draft_id,
            event_id=answer_event_id(payload.request_id, self.registry),
        )
        self.answered += 1


def build(platform: Platform) -> ServiceParts:
    settings = platform.settings
    assert isinstance(settings, SimulatorSettings)
    registries = list(REGISTRIES) if settings.sim_registries else []
    principals = [department_principal(code) for code in settings.sim_departments]
    principals += [registry_principal(r) for r in registries]
    ensure_keys(settings.keys_path, principals)  # a department system or registry holds its own key
    rates = Rates(
        settings.sim_reject_rate, settings.sim_correction_rate,
        settings.sim_latency_ms_min, settings.sim_latency_ms_max,
    )

    def sender(principal: str) -> ChainedSender:
        return ChainedSender(platform.keyring.signer(principal), platform.producer)

    holds = Holds()
    sims = [
        DepartmentSimulator(code, sender(department_principal(code)), settings.sim_seed, rates, holds)
        for code in settings.sim_departments
    ]
    regs = [RegistrySimulator(r, sender(registry_principal(r))) for r in registries]
    app = FastAPI(title="OneThing department simulators 部门业务系统与基础库模拟器", version="1.0.0")

    @app.get("/departments", summary="模拟部门及应答数 Simulated departments")
    async def departments() -> list[dict[str, object]]:
        return [{"department": s.code, "answered": s.answered, "reviewed": s.reviewed, "refused": s.refused}
                for s in sims]

    @app.post("/holds/{case_id}", status_code=201, summary="压件：暂不办理该办件（演示超期）Hold a case's handling")
    async def hold(case_id: str) -> dict[str, object]:
        holds.hold(case_id)
        return {"case_id": case_id, "held": True}

    @app.delete("/holds/{case_id}", summary="放行：办理被压的请求 Release a held case")
    async def release(case_id: str) -> dict[str, object]:
        return {"case_id": case_id, "answered": await holds.release(case_id)}

    @app.get("/registries", summary="模拟基础库及应答数 Simulated base registries")
    async def registries_view() -> list[dict[str, object]]:
        return [{"registry": r.registry.value, "answered": r.answered} for r in regs]

    consumers: list[ConsumerRunner] = [
        platform.runner(
            group=department_principal(sim.code), topics=[department_requests(sim.code)],
            direct=sim.handlers(), ordered=False,
        )
        for sim in sims
    ]
    consumers += [
        platform.runner(
            group=reg.sender.principal, topics=[SHARING_REQUESTS],
            direct={LookupRequested.event_type: reg.handle}, ordered=False,
        )
        for reg in regs
    ]
    return ServiceParts(app=app, consumers=consumers)
