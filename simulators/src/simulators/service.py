"""The simulator process: one consumer group per department, results signed by that department."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, uuid5

from fastapi import FastAPI

from contracts.department.v1 import ResultReturned
from contracts.departments import department_principal
from contracts.dispatch.v1 import Outcome, RequestSent
from contracts.envelope import Envelope, EventPayload
from contracts.topics import DEPARTMENT_RESULTS, department_requests
from exchange.chain import GENESIS, ChainHead, link
from exchange.kafka.consumer import DirectHandler
from exchange.runtime import Platform, ServiceParts
from exchange.signing import Signer, ensure_keys
from simulators.config import SimulatorSettings
from simulators.decisions import Rates, decide, document_number

__all__ = ["DepartmentSimulator", "build"]


class DepartmentSimulator:
    """One simulated department system: it keeps its own hash chain, as a real one would."""

    def __init__(self, code: str, signer: Signer, platform: Platform, seed: int, rates: Rates) -> None:
        self.code = code
        self.signer = signer
        self.platform = platform
        self.seed = seed
        self.rates = rates
        self._head: ChainHead = GENESIS
        self._chain_lock = asyncio.Lock()
        self.answered = 0

    async def handle(self, envelope: Envelope, payload: EventPayload) -> None:
        assert isinstance(payload, RequestSent)
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
        reply = Envelope.wrap(
            result, source=self.signer.principal, subject=payload.case_id,
            correlation_id=envelope.correlation_id, causation_id=envelope.id,
            # One request, one result id: a redelivered request is deduplicated downstream.
            event_id=uuid5(NAMESPACE_URL, f"onething:result:{payload.request_id}"),
            traceparent=envelope.traceparent,
        )
        async with self._chain_lock:
            wire = self.signer.sign_envelope(link(reply.to_wire(), self._head))
            self._head = self._head.advance(wire)
            headers = [("event-type", result.event_type.encode()), ("event-id", str(reply.id).encode())]
            if reply.traceparent:
                headers.append(("traceparent", reply.traceparent.encode()))
            await self.platform.producer.send(
                DEPARTMENT_RESULTS.name, payload.case_id,
                json.dumps(wire, ensure_ascii=False, separators=(",", ":")).encode(), headers,
            )
        self.answered += 1


def build(platform: Platform) -> ServiceParts:
    settings = platform.settings
    assert isinstance(settings, SimulatorSettings)
    principals = [department_principal(code) for code in settings.sim_departments]
    ensure_keys(settings.keys_path, principals)  # a department system holds its own key
    rates = Rates(
        settings.sim_approve_rate, settings.sim_reject_rate, settings.sim_correction_rate,
        settings.sim_latency_ms_min, settings.sim_latency_ms_max,
    )
    sims = [
        DepartmentSimulator(code, platform.keyring.signer(department_principal(code)), platform,
                            settings.sim_seed, rates)
        for code in settings.sim_departments
    ]
    app = FastAPI(title="OneThing department simulators 部门业务系统模拟器", version="1.0.0")

    @app.get("/departments", summary="模拟部门及应答数 Simulated departments")
    async def departments() -> list[dict[str, object]]:
        return [{"department": s.code, "answered": s.answered} for s in sims]

    consumers = []
    for sim in sims:
        handlers: dict[str, DirectHandler] = {RequestSent.event_type: sim.handle}
        consumers.append(
            platform.runner(
                group=department_principal(sim.code), topics=[department_requests(sim.code)],
                direct=handlers, ordered=False,
            )
        )
    return ServiceParts(app=app, consumers=consumers)
