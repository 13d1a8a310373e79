"""What the simulated systems put on the bus (without a broker): a receipt and one signed, chained answer per
request; no separate receipt for a request answered at once (the answer is its receipt)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

import pytest

from contracts.dispatch.v1 import RequestSent, ReviewRequested
from contracts.envelope import Envelope
from contracts.identifiers import make_resident_id, make_uscc
from contracts.intake.v1 import Applicant, MaterialProvision, MaterialRef
from contracts.sharing.v1 import LookupRequested, Registry, SubjectKind, answer_event_id, registry_principal
from contracts.topics import DEPARTMENT_RESULTS, SHARING_ANSWERS
from exchange.chain import verify_chain
from exchange.errors import Malformed
from exchange.signing import KeyRing, ensure_keys
from simulators.decisions import Rates
from simulators.holds import Holds
from simulators.records import enterprise_record, population_record
from simulators.sending import ChainedSender
from simulators.service import DepartmentDesk, DepartmentSimulator, RegistrySimulator

ALWAYS_REVIEW = Rates(reject=0.0, correction=1.0, latency_ms_min=1, latency_ms_max=1)  # not at once: receipts
AT_ONCE = Rates(reject=0.0, correction=1.0, latency_ms_min=0, latency_ms_max=0)
APPLICANT = Applicant(name="张三", id_type="resident_id", id_number="430104198803090213")


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any], dict[str, bytes]]] = []

    async def send(self, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        self.sent.append((topic, key, json.loads(value), dict(headers)))


@pytest.fixture
def registry_keys(keys_dir: Path) -> KeyRing:
    ensure_keys(keys_dir, [registry_principal(r) for r in Registry if r is not Registry.LICENCE], holder="tests")
    return KeyRing(keys_dir)


def cause(payload: Any) -> Envelope:
    return Envelope.wrap(payload, source="dispatch", subject="C-1", traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01")


async def test_review_and_result_share_one_signed_chain(keyring: KeyRing) -> None:
    producer = FakeProducer()
    sim = DepartmentSimulator("police", ChainedSender(keyring.signer("dept.police"), producer), 7, ALWAYS_REVIEW)
    material = MaterialRef(code="M1", name_zh="出生医学证明", provision=MaterialProvision.UPLOAD)
    review = ReviewRequested(request_id=uuid4(), case_id="C-1", item_code="P-01-03", item_name_zh="出生登记",
                             department="police", round=1, applicant=APPLICANT, form={}, materials=(material,))
    handling = RequestSent(request_id=uuid4(), case_id="C-1", task_id="C-1/P-01-03", item_code="P-01-03",
                           item_name_zh="出生登记", department="police", attempt=1, applicant=APPLICANT, form={})
    review_cause, handling_cause = cause(review), cause(handling)
    await DepartmentDesk({sim.code: sim}).handlers()[ReviewRequested.event_type](review_cause, review)
    await DepartmentDesk({sim.code: sim}).handlers()[RequestSent.event_type](handling_cause, handling)
    await sim.review(review_cause, review)  # a redelivered request: the same event id again

    assert [(t, k) for t, k, _, _ in producer.sent] == [(DEPARTMENT_RESULTS.name, "C-1")] * 6
    wires = [w for _, _, w, _ in producer.sent]
    for wire in wires:
        keyring.verify_envelope(wire)
        assert wire["source"] == "dept.police" and wire["subject"] == "C-1"
        assert wire["traceparent"] == review_cause.traceparent
    assert verify_chain(wires).intact and [w["chain"]["seq"] for w in wires] == [1, 2, 3, 4, 5, 6]
    receipts = wires[0::2]  # 签收回执 at once, before each answer
    assert [w["type"] for w in receipts] == ["department.request.received"] * 3
    assert [w["data"]["kind"] for w in receipts] == ["review", "handling", "review"]
    assert receipts[0]["id"] == receipts[2]["id"] == str(uuid5(NAMESPACE_URL, f"onething:receipt:{review.request_id}"))
    first, result, again = wires[1::2]
    assert first["type"] == "department.review.returned" and first["causation_id"] == str(review_cause.id)
    assert first["id"] == again["id"] == str(uuid5(NAMESPACE_URL, f"onething:review:{review.request_id}"))
    assert [(d["kind"], d["code"]) for d in first["data"]["deficiencies"]] == [("material", "M1")]
    assert result["type"] == "department.result.returned" and result["data"]["outcome"] == "approved"
    assert result["id"] == str(uuid5(NAMESPACE_URL, f"onething:result:{handling.request_id}"))
    assert producer.sent[3][3]["event-type"] == b"department.result.returned"
    assert (sim.reviewed, sim.answered, sim.receipted) == (2, 1, 3)


def requests(case_id: str = "C-1") -> tuple[ReviewRequested, RequestSent]:
    material = MaterialRef(code="M1", name_zh="出生医学证明", provision=MaterialProvision.UPLOAD)
    return (ReviewRequested(request_id=uuid4(), case_id=case_id, item_code="P-01-03", item_name_zh="出生登记",
                            department="police", round=1, applicant=APPLICANT, form={}, materials=(material,)),
            RequestSent(request_id=uuid4(), case_id=case_id, task_id=f"{case_id}/P-01-03", item_code="P-01-03",
                        item_name_zh="出生登记", department="police", attempt=1, applicant=APPLICANT, form={}))


async def test_a_request_answered_at_once_has_no_receipt_of_its_own_but_a_held_one_is_receipted(
    keyring: KeyRing,
) -> None:
    producer = FakeProducer()
    holds = Holds()
    sim = DepartmentSimulator("police", ChainedSender(keyring.signer("dept.police"), producer), 7, AT_ONCE, holds)
    review, handling = requests("C-1")
    await sim.review(cause(review), review)
    await sim.handle(cause(handling), handling)
    assert [w["type"] for _, _, w, _ in producer.sent] == ["department.review.returned", "department.result.returned"]

    holds.hold("C-2")
    _, held = requests("C-2")
    await sim.handle(cause(held), held)  # parked: answered only when the hold is lifted, so receipted now
    assert [w["type"] for _, _, w, _ in producer.sent][2:] == ["department.request.received"]
    assert (sim.reviewed, sim.answered, sim.receipted) == (1, 1, 1)


def lookup(kind: SubjectKind, subject_id: str) -> LookupRequested:
    return LookupRequested(request_id=uuid4(), draft_id=f"D-{subject_id}", subject_kind=kind, subject_id=subject_id,
                           authorisation_id="A-1", purpose_zh="表单预填", requested_at=datetime.now(UTC))


async def test_registries_answer_only_the_subjects_they_hold(registry_keys: KeyRing) -> None:
    producer = FakeProducer()
    population = RegistrySimulator(
        Registry.POPULATION, ChainedSender(registry_keys.signer("registry.population"), producer))
    enterprise = RegistrySimulator(
        Registry.ENTERPRISE, ChainedSender(registry_keys.signer("registry.enterprise"), producer))
    person = lookup(SubjectKind.PERSON, make_resident_id("430104", date(1988, 3, 9), 21))
    organisation = lookup(SubjectKind.ORGANISATION, make_uscc("430104", 4242))
    nobody = lookup(SubjectKind.PERSON, "430104198803091234")  # check digit wrong
    for payload in (person, organisation, nobody):
        for registry in (population, enterprise):
            await registry.handle(cause(payload), payload)

    answers = {(w["data"]["draft_id"], w["source"]): (t, k, w) for t, k, w, _ in producer.sent}
    assert set(answers) == {(person.draft_id, "registry.population"), (organisation.draft_id, "registry.enterprise"),
                            (nobody.draft_id, "registry.population")}
    for (draft_id, _), (topic, key, wire) in answers.items():
        registry_keys.verify_envelope(wire)
        assert (topic, key, wire["subject"]) == (SHARING_ANSWERS.name, draft_id, draft_id)
    _, _, found = answers[(person.draft_id, "registry.population")]
    assert found["data"]["found"] is True and found["data"]["record"] == population_record(person.subject_id)
    assert found["id"] == str(answer_event_id(person.request_id, Registry.POPULATION))
    _, _, company = answers[(organisation.draft_id, "registry.enterprise")]
    assert company["data"]["record"] == enterprise_record(organisation.subject_id)
    _, _, missing = answers[(nobody.draft_id, "registry.population")]
    assert missing["data"]["found"] is False and missing["data"]["record"] == {}
    assert (population.answered, enterprise.answered) == (2, 1)


def test_the_desk_refuses_a_request_for_a_department_it_does_not_simulate() -> None:
    with pytest.raises(Malformed, match="not simulated here"):
        DepartmentDesk({})._of("police")


async def test_asked_to_decide_an_on_the_spot_item_it_decides_with_a_clean_review(keyring: KeyRing) -> None:
    producer = FakeProducer()
    clean = Rates(reject=0.0, correction=0.0, latency_ms_min=0, latency_ms_max=0)
    sim = DepartmentSimulator("health", ChainedSender(keyring.signer("dept.health"), producer), 7, clean)
    asked = ReviewRequested(request_id=uuid4(), case_id="C-1", item_code="P-09-01", item_name_zh="居民电子健康卡申领",
                            department="health", round=1, applicant=APPLICANT, form={}, decide=True)
    not_asked = asked.model_copy(update={"request_id": uuid4(), "item_code": "P-09-02", "decide": False})
    for review in (asked, not_asked):
        await sim.review(cause(review), review)
    decided, plain = (w["data"] for _, _, w, _ in producer.sent)
    # 即审即办: the decision the first handling request would have had, document and all
    assert decided["decision"] == {"outcome": "approved", "reason_zh": None, "reason_en": None,
                                   "document_no": decided["decision"]["document_no"]}
    assert decided["decision"]["document_no"] and decided["deficiencies"] == []
    assert plain["decision"] is None

    found_producer = FakeProducer()
    finds = DepartmentSimulator("health", ChainedSender(keyring.signer("dept.health"), found_producer), 7, AT_ONCE)
    with_form = asked.model_copy(update={"form": {"resident_name": "张三"}})
    await finds.review(cause(with_form), with_form)  # something found (correction rate 1): no decision with it
    [(_, _, answer, _)] = found_producer.sent
    assert answer["data"]["deficiencies"] and answer["data"]["decision"] is None
