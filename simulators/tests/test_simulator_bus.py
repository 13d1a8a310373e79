"""The simulators on the real broker: registries and a department answer what they are asked, signed.

Built with the process's own ``build()``, so the consumer groups, topics and keys are the real wiring.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from contracts.department.v1 import receipt_event_id
from contracts.dispatch.v1 import AnswerRefused, RefusalReason, RequestSent, ReviewRequested
from contracts.envelope import Envelope, EventPayload
from contracts.identifiers import make_resident_id, make_uscc
from contracts.intake.v1 import Applicant, MaterialProvision, MaterialRef
from contracts.publishing import PUBLISHERS
from contracts.sharing.v1 import LookupRequested, Registry, SubjectKind, answer_event_id
from contracts.topics import DEPARTMENT_RESULTS, SHARING_ANSWERS, SHARING_REQUESTS, TopicSpec, department_requests
from exchange.access.roles import Role
from exchange.chain import verify_chain
from exchange.kafka.admin import ensure_topics
from exchange.kafka.producer import Producer
from exchange.runtime import Platform
from exchange.signing import KeyRing, ensure_keys
from exchange.testing.access import TestTokens, trusting
from exchange.testing.topics import records
from simulators.config import SimulatorSettings
from simulators.records import enterprise_record, population_record
from simulators.service import build

pytestmark = pytest.mark.integration

APPLICANT = Applicant(name="张三", id_type="resident_id", id_number="430104198803090213")


class Running:
    """The simulators process's parts, running, and a producer speaking as the platform service that publishes each
    event (dispatch asks the departments, intake asks the registries)."""

    def __init__(self, bootstrap: str, keyring: KeyRing, producer: Producer, app: FastAPI) -> None:
        self.bootstrap = bootstrap
        self.keyring = keyring
        self.producer = producer
        self.app = app

    async def send(self, payload: EventPayload, topic: TopicSpec, key: str) -> Envelope:
        source = PUBLISHERS[payload.event_type].services[0]
        envelope = Envelope.wrap(payload, source=source, subject=key)
        wire = self.keyring.signer(source).sign_envelope(envelope.to_wire())
        await self.producer.send(topic.name, key, json.dumps(wire, ensure_ascii=False).encode())
        return envelope

    async def answers(self, topic: TopicSpec, keep: Callable[[str], bool], count: int,
                      timeout_s: float = 30.0) -> list[tuple[str, dict[str, Any]]]:
        """(key, wire, with the record's ``event-type`` header as ``"x-event-type"``) of every record of ``topic``
        whose key ``keep`` accepts, once ``count`` arrived and nothing more came in a while."""
        found = await records(self.bootstrap, topic.name, count=count, timeout_s=timeout_s,
                              keep=lambda r: r.key is not None and r.value is not None and keep(r.key.decode()))
        return [(r.key.decode(), {**json.loads(r.value), "x-event-type": dict(r.headers).get("event-type")})
                for r in found if r.key is not None and r.value is not None]


@pytest.fixture(scope="module")
async def simulators(kafka_bootstrap: str, keys_dir: Path,
                     tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    settings = SimulatorSettings(
        kafka_bootstrap=kafka_bootstrap, keys_dir=keys_dir, topic_partitions=1,
        data_dir=tmp_path_factory.mktemp("simulators"),
        kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=300,
        sim_departments=["health"], sim_latency_ms_min=1, sim_latency_ms_max=5,  # ≥ 1 ms: receipted first
        sim_reject_rate=0.0, sim_correction_rate=1.0,
    )
    ensure_keys(keys_dir, ["simulators"], holder="simulators")
    keyring = KeyRing(keys_dir)
    await ensure_topics(kafka_bootstrap, [SHARING_REQUESTS, SHARING_ANSWERS, DEPARTMENT_RESULTS,
                                          department_requests("health")], 1)
    producer = Producer(kafka_bootstrap, client_id="simulator-tests")
    await producer.start()
    parts = build(Platform(settings, keyring, keyring.signer("simulators"), producer, None))
    # every simulated department through one consumer (here the one department); both registries through one
    assert sorted(r.group for r in parts.consumers) == ["dept-simulators", "registry-simulators"]
    assert [t.name for t in parts.consumers[0].topics] == [department_requests("health").name]
    tasks = [asyncio.create_task(runner.run()) for runner in parts.consumers]
    try:
        ready = asyncio.gather(*(runner.ready.wait() for runner in parts.consumers))
        done, _ = await asyncio.wait([ready, *tasks], timeout=60, return_when=asyncio.FIRST_COMPLETED)
        assert ready in done, f"consumers not ready: {[t.exception() for t in tasks if t.done()]}"
        yield Running(kafka_bootstrap, keyring, producer, parts.app)
    finally:
        for runner in parts.consumers:
            runner.stop()
        await asyncio.wait(tasks, timeout=15)
        await producer.stop()


def lookup(kind: SubjectKind, subject_id: str, draft_id: str) -> LookupRequested:
    return LookupRequested(request_id=uuid.uuid4(), draft_id=draft_id, subject_kind=kind, subject_id=subject_id,
                           authorisation_id=f"AUTH-{draft_id}", purpose_zh="表单预填",
                           requested_at=datetime.now(UTC))


async def test_each_registry_answers_its_own_subjects_signed(simulators: Running, unique_name: str) -> None:
    person = lookup(SubjectKind.PERSON, make_resident_id("430104", date(1988, 3, 9), 21), f"{unique_name}-p")
    company = lookup(SubjectKind.ORGANISATION, make_uscc("430104", 424242), f"{unique_name}-o")
    nobody = lookup(SubjectKind.PERSON, "430104198803091234", f"{unique_name}-x")  # wrong check digit
    causes = {p.draft_id: await simulators.send(p, SHARING_REQUESTS, p.subject_id) for p in (person, company, nobody)}

    answers = await simulators.answers(SHARING_ANSWERS, lambda key: key.startswith(unique_name), 3)
    by_draft = {key: wire for key, wire in answers}
    assert len(answers) == 3 and set(by_draft) == set(causes), answers  # exactly one answer each
    expected = {
        person.draft_id: (Registry.POPULATION, person, population_record(person.subject_id)),
        company.draft_id: (Registry.ENTERPRISE, company, enterprise_record(company.subject_id)),
        nobody.draft_id: (Registry.POPULATION, nobody, None),
    }
    for draft_id, (registry, request, record) in expected.items():
        wire = by_draft[draft_id]
        assert wire.pop("x-event-type") == b"sharing.lookup.answered"
        simulators.keyring.verify_envelope(wire)  # signed by the registry's own key
        assert wire["source"] == f"registry.{registry.value}" and wire["type"] == "sharing.lookup.answered"
        assert wire["id"] == str(answer_event_id(request.request_id, registry))
        assert wire["causation_id"] == str(causes[draft_id].id) and wire["subject"] == draft_id
        assert "chain" in wire
        data = wire["data"]
        assert (data["registry"], data["subject_id"], data["request_id"]) == (
            registry.value, request.subject_id, str(request.request_id))
        assert data["found"] is (record is not None) and data.get("record", {}) == (record or {})


async def test_department_reviews_then_handles_on_one_chain(simulators: Running, unique_name: str) -> None:
    case_id = f"C-{unique_name}"
    material = MaterialRef(code="M1", name_zh="出生医学证明", provision=MaterialProvision.UPLOAD)
    review = ReviewRequested(request_id=uuid.uuid4(), case_id=case_id, item_code="P-01-01", item_name_zh="出生医学证明",
                             department="health", round=1, applicant=APPLICANT, form={}, materials=(material,))
    await simulators.send(review, department_requests("health"), case_id)
    await simulators.answers(DEPARTMENT_RESULTS, lambda key: key == case_id, 2)
    handling = RequestSent(request_id=uuid.uuid4(), case_id=case_id, task_id=f"{case_id}/P-01-01",
                           item_code="P-01-01", item_name_zh="出生医学证明", department="health", attempt=1,
                           applicant=APPLICANT, form={})
    await simulators.send(handling, department_requests("health"), case_id)

    wires = [wire for _, wire in await simulators.answers(DEPARTMENT_RESULTS, lambda key: key == case_id, 4)]
    assert [w["type"] for w in wires] == ["department.request.received", "department.review.returned",
                                          "department.request.received", "department.result.returned"]
    for wire in wires:
        assert wire.pop("x-event-type") == wire["type"].encode()  # consumers route on the header too
        simulators.keyring.verify_envelope(wire)
        assert wire["source"] == "dept.health"
    assert [w["chain"]["seq"] for w in wires] == [1, 2, 3, 4] and verify_chain(wires).intact  # one chain, all four
    assert [(w["data"]["request_id"], w["data"]["kind"]) for w in wires[::2]] == [
        (str(review.request_id), "review"), (str(handling.request_id), "handling")]  # 签收回执 first, each time
    assert wires[0]["id"] == str(receipt_event_id(review.request_id))
    assert [(d["kind"], d["code"]) for d in wires[1]["data"]["deficiencies"]] == [("material", "M1")]
    assert wires[3]["data"]["outcome"] == "approved" and wires[3]["data"]["document_no"]


async def test_a_redelivered_review_is_answered_under_the_same_event_id(simulators: Running, unique_name: str) -> None:
    case_id = f"R-{unique_name}"
    review = ReviewRequested(request_id=uuid.uuid4(), case_id=case_id, item_code="P-01-02", item_name_zh="预防接种证",
                             department="health", round=1, applicant=APPLICANT, form={})
    await simulators.send(review, department_requests("health"), case_id)
    await simulators.send(review, department_requests("health"), case_id)  # the same request again
    wires = [wire for _, wire in await simulators.answers(DEPARTMENT_RESULTS, lambda key: key == case_id, 4)]
    by_type: dict[str, list[str]] = {}
    for wire in wires:
        by_type.setdefault(wire["type"], []).append(wire["id"])
    assert {t: len(set(ids)) for t, ids in by_type.items()} == {  # twice each, under one id: the inbox keeps one
        "department.request.received": 1, "department.review.returned": 1}, wires
    assert len(wires) == 4


async def test_a_department_hears_a_refusal_notice_and_does_not_answer_it(simulators: Running, unique_name: str) -> None:
    """拒收通知 on the request topic: the simulated department takes note (and logs it); it sends nothing back."""
    case_id = f"N-{unique_name}"
    notice = AnswerRefused.saying(RefusalReason.UNKNOWN_TASK, department="health", refused_event_id=uuid.uuid4(),
                                  refused_event_type="department.result.returned", case_id=case_id,
                                  topic=DEPARTMENT_RESULTS.name, partition=0, offset=7, refused_at=datetime.now(UTC))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=simulators.app), base_url="http://sim") as http:
        before = {d["department"]: d for d in (await http.get("/departments")).json()}["health"]
        await simulators.send(notice, department_requests("health"), case_id)
        for _ in range(100):
            now = {d["department"]: d for d in (await http.get("/departments")).json()}["health"]
            if now["refused"] > before["refused"]:
                break
            await asyncio.sleep(0.1)
    assert now["refused"] == before["refused"] + 1
    assert (now["answered"], now["reviewed"]) == (before["answered"], before["reviewed"])


# ---------------------------------------------------------------------------------------------------
# Fault modes (故障注入): what `onething chaos` sets through POST /faults


def review_for(case_id: str) -> ReviewRequested:
    return ReviewRequested(request_id=uuid.uuid4(), case_id=case_id, item_code="P-01-02", item_name_zh="预防接种证",
                           department="health", round=1, applicant=APPLICANT, form={})


async def health_counts(http: httpx.AsyncClient) -> dict[str, Any]:
    return {d["department"]: d for d in (await http.get("/departments")).json()}["health"]


async def dropped_once_more(http: httpx.AsyncClient, before: dict[str, Any]) -> None:
    for _ in range(150):
        if (await health_counts(http))["dropped"] > before["dropped"]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the request was not taken")


@pytest.fixture
async def sim_http(simulators: Running, keyring: KeyRing, tokens: TestTokens) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=trusting(simulators.app, keyring)),
                                 base_url="http://sim", headers=tokens.headers(Role.OPERATOR)) as http:
        try:
            yield http
        finally:
            (await http.post("/faults", json={"mode": "none"})).raise_for_status()


@pytest.mark.parametrize("faults", [{"mode": "silent", "departments": ["health"]}, {"mode": "errors", "ratio": 1.0}])
async def test_a_silent_or_failing_department_sends_nothing_until_the_request_comes_again(
        simulators: Running, sim_http: httpx.AsyncClient, unique_name: str, faults: dict[str, Any]) -> None:
    case_id = f"S-{unique_name}"
    set_to = (await sim_http.post("/faults", json=faults)).json()
    assert set_to["mode"] == faults["mode"] and (await sim_http.get("/faults")).json() == set_to
    review = review_for(case_id)
    before = await health_counts(sim_http)
    await simulators.send(review, department_requests("health"), case_id)
    await dropped_once_more(sim_http, before)
    assert await simulators.answers(DEPARTMENT_RESULTS, lambda key: key == case_id, 0, timeout_s=10) == []

    (await sim_http.post("/faults", json={"mode": "none"})).raise_for_status()
    await simulators.send(review, department_requests("health"), case_id)  # the platform's re-send, same request id
    wires = [wire for _, wire in await simulators.answers(DEPARTMENT_RESULTS, lambda key: key == case_id, 2)]
    assert [w["type"] for w in wires] == ["department.request.received", "department.review.returned"]
    assert {w["data"]["request_id"] for w in wires} == {str(review.request_id)}


async def test_a_slow_department_receipts_and_answers_only_after_the_delay(
        simulators: Running, sim_http: httpx.AsyncClient, unique_name: str) -> None:
    case_id = f"W-{unique_name}"
    (await sim_http.post("/faults", json={"mode": "slow", "delay_s": 1.5})).raise_for_status()
    sent = await simulators.send(review_for(case_id), department_requests("health"), case_id)
    wires = [wire for _, wire in await simulators.answers(DEPARTMENT_RESULTS, lambda key: key == case_id, 2)]
    assert [w["type"] for w in wires] == ["department.request.received", "department.review.returned"]
    received_at = datetime.fromisoformat(wires[0]["data"]["received_at"])
    assert (received_at - sent.time).total_seconds() >= 1.5  # slept before the receipt (a lower bound, not a timing)


async def test_faults_refuse_departments_not_simulated_and_unknown_modes(sim_http: httpx.AsyncClient) -> None:
    unknown = await sim_http.post("/faults", json={"mode": "silent", "departments": ["health", "no-such-dept"]})
    assert unknown.status_code == 422 and "no-such-dept" in unknown.json()["detail"]["message_en"]
    assert (await sim_http.post("/faults", json={"mode": "broken"})).status_code == 422
    assert (await sim_http.post("/faults", json={"mode": "errors", "ratio": 1.5})).status_code == 422
    assert (await sim_http.get("/faults")).json()["mode"] == "none"  # nothing changed


async def test_only_operators_set_faults_and_hold_cases(simulators: Running, keyring: KeyRing,
                                                        tokens: TestTokens) -> None:
    app = trusting(simulators.app, keyring)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as http:
        for method, path, body in [("POST", "/faults", {"mode": "none"}), ("POST", "/holds/C-x", None),
                                   ("DELETE", "/holds/C-x", None)]:
            assert (await http.request(method, path, json=body)).status_code == 401, path
            clerk = await http.request(method, path, json=body, headers=tokens.headers(Role.CLERK))
            assert clerk.status_code == 403 and clerk.json()["detail"]["roles"] == ["operator"], path
            operator = await http.request(method, path, json=body, headers=tokens.headers(Role.OPERATOR))
            assert operator.status_code in (200, 201), path
