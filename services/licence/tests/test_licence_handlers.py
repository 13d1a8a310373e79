"""Licence's use cases on its unit of work in memory (``fakes.py``): issuing (办结即发证: one sealed licence per
approved item, whatever the redelivery, its place in the department's status lists, the credential to the holder's
archive and the word to the case stream), the archive's answer to a data-sharing lookup (the holder's valid licences,
the newest of each type), and a status change by the issuing department (revoke, suspend, reinstate, as the present
state allows); with each refusal leaving nothing. The same functions the consumers and routes call; what goes out is
read from the staged messages. The PostgreSQL tests cover the repositories, the ledger of status changes, the
counters under concurrency, the outbox and the HTTP edge (``test_licence_issuing.py``, ``test_licence_sharing.py``,
``test_licence_api.py``)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from contracts.dispatch.v1 import LicenceRequested
from contracts.envelope import Envelope
from contracts.licence.v1 import LicenceState, StatusAction
from contracts.sharing.v1 import LookupRequested, Registry, SubjectKind, answer_event_id
from contracts.topics import CASE_STREAM, LICENCE_EVENTS, SHARING_ANSWERS
from credentials.verify import verify_credential
from exchange.signing import KeyRing
from licence.adapters.messages import issued_event_id
from licence.domain.errors import (
    IncompleteConclusion,
    LicenceNotFound,
    NotTheIssuer,
    StatusChangeRefused,
    UnknownLicenceType,
)
from licence.domain.licences import licence_id_for
from licence.domain.model import Licence
from licence.service_layer.issuers import Issuers
from licence.service_layer.issuing import licence_requested
from licence.service_layer.sharing import lookup_requested
from licence.service_layer.status import change_status

from .fakes import FakeLicence, Staged

HOLDER = "430102202611210011"
LID = licence_id_for("C-1", "P-01-01")
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
PUBLIC_URL = "http://licence.test"  # the ``issuers`` fixture's (conftest.py)


@pytest.fixture
def store() -> FakeLicence:
    return FakeLicence()


def request(case_id: str = "C-1", item_code: str = "P-01-01", **overrides: Any) -> LicenceRequested:
    values: dict[str, Any] = {
        "case_id": case_id, "task_id": f"{case_id}/{item_code}", "item_code": item_code, "department": "health",
        "attempt": 1, "document_no": None, "licence_type": "birth-medical-certificate", "holder_id": HOLDER,
        "holder_name": "张小明", "concluded_at": NOW,
    }
    return LicenceRequested.model_validate({**values, **overrides})


async def approve(store: FakeLicence, issuers: Issuers, case_id: str = "C-1", item_code: str = "P-01-01", *,
                  times: int = 1, **overrides: Any) -> Envelope:
    """Dispatch's licence request handed to the issuing use case ``times`` times, one transaction each."""
    payload = request(case_id, item_code, **overrides)
    envelope = Envelope.wrap(payload, source="dispatch", subject=case_id)
    for _ in range(times):
        async with store.unit_of_work() as uow:
            await licence_requested(uow, envelope, payload, issuers=issuers)
    return envelope


async def ask(store: FakeLicence, subject_id: str = HOLDER, draft_id: str = "D-1") -> LookupRequested:
    payload = LookupRequested(request_id=uuid4(), draft_id=draft_id, subject_kind=SubjectKind.PERSON,
                              subject_id=subject_id, authorisation_id="AUTH-1", purpose_zh="表单预填",
                              requested_at=NOW)
    async with store.unit_of_work() as uow:
        await lookup_requested(uow, Envelope.wrap(payload, source="intake", subject=subject_id), payload)
    return payload


def answer(store: FakeLicence, draft_id: str = "D-1") -> dict[str, Any]:
    [staged] = [s for s in store.staged("sharing.lookup.answered") if s.key == draft_id]
    data: dict[str, Any] = staged.envelope["data"]
    return data


async def change(store: FakeLicence, action: StatusAction, *, licence_id: str = LID, actor: str = "dept.health",
                 reason_zh: str = "信息有误，依法撤销") -> Licence:
    """A status change in a transaction of its own, as the route opens it."""
    async with store.unit_of_work() as uow:
        return await change_status(uow, licence_id, action, reason_zh=reason_zh, actor=actor, now=NOW)


def by_topic(staged: list[Staged]) -> dict[str, Staged]:
    return {s.topic: s for s in staged}


# 办结即发证: issuing


async def test_an_approved_item_gets_one_licence_sealed_by_its_department(store: FakeLicence, issuers: Issuers) -> None:
    cause = await approve(store, issuers, document_no=" 湘卫出证〔2026〕7号 ")
    [licence] = store.licences.values()
    assert (licence.licence_id, licence.case_id, licence.item_code, licence.licence_type) == (
        LID, "C-1", "P-01-01", "birth-medical-certificate")
    assert (licence.number, licence.holder_id, licence.holder_name) == ("湘卫出证〔2026〕7号", HOLDER, "张小明")
    assert (licence.issuer_department, licence.status_index, licence.state) == ("health", 0, LicenceState.ACTIVE)
    assert licence.valid_until is None  # 出生医学证明 is long-term
    assert licence.signer == issuers.seal("health").verification_method
    assert licence.record_digest == hashlib.sha256(licence.credential.encode()).hexdigest()
    credential = json.loads(licence.credential)  # sealed by the issuing department (卫健委), not by this service
    assert credential["issuer"] == {"id": "urn:onething:issuer:cn-430100:health", "name": "长沙市卫生健康委员会"}
    assert credential["proof"]["verificationMethod"] == licence.signer
    assert (credential["evidence"][0]["id"], credential["evidence"][0]["taskId"]) == (
        f"urn:uuid:{cause.id}", "C-1/P-01-01")
    assert credential["credentialStatus"][0]["statusListCredential"] == f"{PUBLIC_URL}/status-lists/health/revocation/0"
    assert verify_credential(credential, trust=issuers.trust_list(), now=datetime.now(UTC), status=None).valid


async def test_issuing_stages_the_credential_for_the_holders_archive_and_the_word_for_the_case_stream(
    store: FakeLicence, issuers: Issuers
) -> None:
    await approve(store, issuers)
    archive, stream = by_topic(store.staged("licence.licence.issued")), by_topic(store.staged(
        "licence.case.licence_issued"))
    assert list(archive) == [LICENCE_EVENTS.name] and list(stream) == [CASE_STREAM.name]
    held, told = archive[LICENCE_EVENTS.name], stream[CASE_STREAM.name]
    assert [s.envelope["type"] for s in store.outbox] == ["licence.licence.issued", "licence.case.licence_issued"]
    assert (held.key, held.event_id) == (HOLDER, str(issued_event_id(LID, LICENCE_EVENTS)))  # 一人一档
    assert (told.key, told.event_id) == ("C-1", str(issued_event_id(LID, CASE_STREAM)))
    for staged in (held, told):
        assert (staged.envelope["source"], staged.envelope["subject"]) == ("licence", "C-1")
    licence = store.licences[LID]
    data = held.envelope["data"]
    assert (data["licence_id"], data["holder_id"], data["status_index"], data["record_digest"]) == (
        LID, HOLDER, 0, licence.record_digest)
    assert data["issuer_id"] == "urn:onething:issuer:cn-430100:health" and data["signer"] == licence.signer
    assert data["record_signature"] == data["credential"]["proof"]["proofValue"]
    # The case stream learns which licence, not whose: no holder, no credential.
    assert told.envelope["data"]["record_digest"] == licence.record_digest
    assert {"holder_id", "holder_name", "credential"}.isdisjoint(told.envelope["data"])
    assert HOLDER not in str(told.envelope["data"]) and "张小明" not in str(told.envelope["data"])


async def test_a_redelivered_request_issues_nothing_more(store: FakeLicence, issuers: Issuers) -> None:
    await approve(store, issuers, times=3)
    assert list(store.licences) == [LID]
    assert len(store.outbox) == 2
    assert store.next_index == {"health": 1}  # no place taken for the redeliveries


async def test_a_redelivery_with_other_details_keeps_the_licence_first_issued(
    store: FakeLicence, issuers: Issuers
) -> None:
    await approve(store, issuers, document_no="湘卫出证〔2026〕7号")
    first = store.licences[LID].credential
    await approve(store, issuers, document_no="湘卫出证〔2026〕8号", holder_name="张大明", attempt=2)
    assert store.licences[LID].number == "湘卫出证〔2026〕7号" and store.licences[LID].credential == first
    assert len(store.outbox) == 2


async def test_each_department_numbers_its_places_in_its_status_lists_from_zero(
    store: FakeLicence, issuers: Issuers
) -> None:
    await approve(store, issuers, "C-1")
    await approve(store, issuers, "C-2")
    await approve(store, issuers, "C-3", "E-02-03", department="market", licence_type="food-business-licence")
    indexes = {lic.case_id: (lic.issuer_department, lic.status_index) for lic in store.licences.values()}
    assert indexes == {"C-1": ("health", 0), "C-2": ("health", 1), "C-3": ("market", 0)}
    assert store.next_index == {"health": 2, "market": 1}
    positions = [s.envelope["data"]["credential"]["credentialStatus"][0]["id"]
                 for s in store.staged("licence.licence.issued")]
    assert positions == [f"{PUBLIC_URL}/status-lists/health/revocation/0#0",
                         f"{PUBLIC_URL}/status-lists/health/revocation/0#1",
                         f"{PUBLIC_URL}/status-lists/market/revocation/0#0"]


async def test_a_term_follows_the_licence_type_and_a_number_is_derived_when_the_department_gave_none(
    store: FakeLicence, issuers: Issuers
) -> None:
    await approve(store, issuers, "C-3", "E-02-03", department="market", licence_type="food-business-licence")
    licence = store.licences[licence_id_for("C-3", "E-02-03")]
    assert licence.valid_until is not None  # 食品经营许可证: five years, to the day before the anniversary
    assert licence.valid_until == licence.valid_from.replace(year=licence.valid_from.year + 5) - timedelta(days=1)
    assert licence.number.startswith("FOOD-BUSINESS-LICENCE-")
    [issued] = store.staged("licence.licence.issued")
    assert issued.envelope["data"]["valid_until"] == licence.valid_until.isoformat()
    assert issued.envelope["data"]["credential"]["validUntil"].endswith("T15:59:59Z")  # 23:59:59 China time


@pytest.mark.parametrize("missing", [{"holder_id": " "}, {"holder_name": ""}])
async def test_a_request_that_names_no_holder_is_refused_and_leaves_nothing(
    store: FakeLicence, issuers: Issuers, missing: dict[str, Any]
) -> None:
    with pytest.raises(IncompleteConclusion, match="C-1/P-01-01"):
        await approve(store, issuers, **missing)
    assert (store.licences, store.next_index, store.outbox) == ({}, {}, [])


async def test_a_request_of_an_unknown_licence_type_is_refused_and_leaves_nothing(
    store: FakeLicence, issuers: Issuers
) -> None:
    with pytest.raises(UnknownLicenceType, match="flying-licence"):
        await approve(store, issuers, licence_type="flying-licence")
    assert (store.licences, store.next_index, store.outbox) == ({}, {}, [])


async def test_a_department_without_its_seal_issues_nothing_and_loses_no_place(
    store: FakeLicence, issuers: Issuers, keys_dir: Path
) -> None:
    """The seal is read after the place is taken: the failed transaction gives the place back (then dead-lettered
    and re-driven once the key is installed: ``test_licence_dead_letters.py``)."""
    unsealed = Issuers(KeyRing(keys_dir, holder="intake"), region="430100", region_name_zh="长沙市",
                       public_url=PUBLIC_URL)
    with pytest.raises(FileNotFoundError, match=r"seal\.health"):
        await approve(store, unsealed)
    assert (store.licences, store.next_index, store.outbox) == ({}, {}, [])
    await approve(store, issuers)
    assert store.licences[LID].status_index == 0


# 共享查询: the e-licence archive answers a lookup


async def test_a_lookup_is_answered_with_the_holders_valid_licences_under_one_id_per_request(
    store: FakeLicence, issuers: Issuers
) -> None:
    await approve(store, issuers, "C-1", "P-01-01")
    await approve(store, issuers, "C-1", "P-01-05", department="hrss", licence_type="social-security-card")
    await approve(store, issuers, "C-2", "P-01-01", holder_id="someone-else")
    before = len(store.outbox)
    asked = await ask(store, HOLDER, "D-1")
    [staged] = store.outbox[before:]
    assert (staged.topic, staged.key, staged.envelope["type"]) == (SHARING_ANSWERS.name, "D-1", "sharing.lookup.answered")
    assert staged.event_id == str(answer_event_id(asked.request_id, Registry.LICENCE))
    assert (staged.envelope["source"], staged.envelope["subject"]) == ("licence", "D-1")
    data = answer(store)
    assert (data["registry"], data["found"], data["subject_id"], data["request_id"]) == (
        "licence", True, HOLDER, str(asked.request_id))
    numbers = {lic.licence_type: lic.number for lic in store.licences.values() if lic.holder_id == HOLDER}
    assert data["licences"] == numbers  # licence type → the number a form field takes
    assert sorted(c["credentialSubject"]["number"] for c in data["credentials"]) == sorted(numbers.values())


async def test_a_holder_without_licences_is_not_found(store: FakeLicence, issuers: Issuers) -> None:
    await approve(store, issuers, holder_id="someone-else")
    await ask(store, HOLDER, "D-2")
    data = answer(store, "D-2")
    assert (data["found"], data["licences"], data["credentials"]) == (False, {}, [])


async def test_revoked_and_suspended_licences_are_no_evidence(store: FakeLicence, issuers: Issuers) -> None:
    await approve(store, issuers, "C-0", "P-08-01", department="civil-affairs", licence_type="marriage-certificate")
    await approve(store, issuers, "C-1", "P-01-01")
    await approve(store, issuers, "C-1", "P-01-05", department="hrss", licence_type="social-security-card")
    await change(store, StatusAction.REVOKE, licence_id=licence_id_for("C-0", "P-08-01"), actor="dept.civil-affairs")
    await change(store, StatusAction.SUSPEND, reason_zh="核查中")
    await ask(store)
    assert list(answer(store)["licences"]) == ["social-security-card"]


async def test_an_expired_licence_is_no_evidence(store: FakeLicence, issuers: Issuers) -> None:
    await approve(store, issuers, "C-3", "E-02-03", department="market", licence_type="food-business-licence")
    expired = store.licences[licence_id_for("C-3", "E-02-03")]
    expired.valid_until = date.today() - timedelta(days=2)  # its five years are over (China or UTC day alike)
    await ask(store)
    assert answer(store)["found"] is False


async def test_the_newest_licence_of_a_type_answers(store: FakeLicence, issuers: Issuers) -> None:
    await approve(store, issuers, "C-1", document_no="BMC-1")
    await approve(store, issuers, "C-2", document_no="BMC-2")
    # Issued a month apart, the older one with the greater id: time orders them first.
    older, newer = sorted(store.licences.values(), key=lambda lic: lic.licence_id, reverse=True)
    older.issued_at, newer.issued_at = NOW - timedelta(days=30), NOW
    await ask(store)
    data = answer(store)
    assert data["licences"] == {"birth-medical-certificate": newer.number}
    assert [c["credentialSubject"]["number"] for c in data["credentials"]] == [newer.number]


# 撤销, 暂停, 恢复: status changes by the issuing department


async def test_the_issuing_department_revokes_and_the_case_stream_and_the_archive_are_told_once(
    store: FakeLicence, issuers: Issuers
) -> None:
    await approve(store, issuers)
    revoked = await change(store, StatusAction.REVOKE)
    assert (revoked.state, revoked.state_reason, revoked.state_changed_at) == (
        LicenceState.REVOKED, "信息有误，依法撤销", NOW)
    stored = store.licences[LID]
    assert (stored.state, stored.state_reason, stored.state_changed_at) == (LicenceState.REVOKED, "信息有误，依法撤销", NOW)
    events = store.staged("licence.licence.status_changed")
    assert sorted((s.topic, s.key) for s in events) == sorted([(CASE_STREAM.name, "C-1"), (LICENCE_EVENTS.name, HOLDER)])
    assert len({s.event_id for s in events}) == 1, "one fact, one envelope, on both topics"
    data = events[0].envelope["data"]
    assert (data["licence_id"], data["case_id"], data["item_code"], data["issuer_department"]) == (
        LID, "C-1", "P-01-01", "health")
    assert (data["action"], data["state"], data["reason_zh"], data["actor"]) == (
        "revoke", "revoked", "信息有误，依法撤销", "dept.health")
    assert datetime.fromisoformat(data["changed_at"]) == NOW
    assert events[0].envelope["subject"] == "C-1"


async def test_another_department_may_not_change_the_status(store: FakeLicence, issuers: Issuers) -> None:
    await approve(store, issuers)
    for actor in ("dept.police", "licence", "seal.health"):
        with pytest.raises(NotTheIssuer):
            await change(store, StatusAction.REVOKE, actor=actor)
    assert store.licences[LID].state is LicenceState.ACTIVE and store.licences[LID].state_reason is None
    assert store.staged("licence.licence.status_changed") == []


async def test_revocation_is_final(store: FakeLicence, issuers: Issuers) -> None:
    await approve(store, issuers)
    await change(store, StatusAction.REVOKE)
    for action in (StatusAction.REINSTATE, StatusAction.SUSPEND, StatusAction.REVOKE):
        with pytest.raises(StatusChangeRefused) as refused:
            await change(store, action, reason_zh="误撤")
        assert "不可恢复" in refused.value.message_zh
    assert store.licences[LID].state is LicenceState.REVOKED and store.licences[LID].state_reason == "信息有误，依法撤销"
    assert len(store.staged("licence.licence.status_changed")) == 2  # the one revocation, on two topics


async def test_a_suspended_licence_is_reinstated_or_revoked(store: FakeLicence, issuers: Issuers) -> None:
    await approve(store, issuers, "C-1")
    await approve(store, issuers, "C-2")
    other = licence_id_for("C-2", "P-01-01")
    assert (await change(store, StatusAction.SUSPEND, reason_zh="核查中")).state is LicenceState.SUSPENDED
    assert (await change(store, StatusAction.REINSTATE, reason_zh="核查无误")).state is LicenceState.ACTIVE
    await change(store, StatusAction.SUSPEND, licence_id=other, reason_zh="核查中")
    assert (await change(store, StatusAction.REVOKE, licence_id=other)).state is LicenceState.REVOKED
    changes = [(s.envelope["data"]["licence_id"], s.envelope["data"]["action"], s.envelope["data"]["state"])
               for s in store.staged("licence.licence.status_changed") if s.topic == CASE_STREAM.name]
    assert changes == [(LID, "suspend", "suspended"), (LID, "reinstate", "active"),
                       (other, "suspend", "suspended"), (other, "revoke", "revoked")]


@pytest.mark.parametrize(("first", "then", "state"), [
    (None, StatusAction.REINSTATE, "active"),  # nothing to reinstate
    (StatusAction.SUSPEND, StatusAction.SUSPEND, "suspended"),  # already suspended
])
async def test_a_change_the_present_state_does_not_allow_is_refused_and_leaves_nothing(
    store: FakeLicence, issuers: Issuers, first: StatusAction | None, then: StatusAction, state: str
) -> None:
    await approve(store, issuers)
    if first is not None:
        await change(store, first)
    before = len(store.outbox)
    with pytest.raises(StatusChangeRefused) as refused:
        await change(store, then, reason_zh="再次")
    assert f"「{state}」" in refused.value.message_zh and state in refused.value.message_en
    assert store.licences[LID].state.value == state and len(store.outbox) == before


async def test_an_unknown_licence_is_not_found(store: FakeLicence, issuers: Issuers) -> None:
    await approve(store, issuers)
    with pytest.raises(LicenceNotFound):
        await change(store, StatusAction.REVOKE, licence_id=licence_id_for("C-9", "P-01-01"))
    assert store.staged("licence.licence.status_changed") == []


# The unit of work


async def test_a_use_case_that_raises_leaves_nothing(store: FakeLicence, issuers: Issuers) -> None:
    payload = request()
    with pytest.raises(RuntimeError):
        async with store.unit_of_work() as uow:
            await licence_requested(uow, Envelope.wrap(payload, source="dispatch", subject="C-1"), payload,
                                    issuers=issuers)
            raise RuntimeError("the transaction fails after the use case")
    assert (store.licences, store.next_index, store.outbox) == ({}, {}, [])
