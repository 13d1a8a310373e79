"""Intake's use cases on its unit of work in memory (``fakes.py``): what intake does on the case stream (a review's one
consolidated correction notice, releases, conclusions, licences, clocks, and the one delivery with its one notice),
a registry's answer landing in its draft, the one correction and 容缺 supplements, acceptance (受理: the dossier and
the stream fact, idempotency keys, every problem at once, the blacklist, an online proxy's 委托授权, a pre-fill draft
claimed once), drafts, delegations and listings; whatever is redelivered. The same aggregates and messages as in
production; what goes out is read from the staged messages. The PostgreSQL tests cover the repositories, the
timeline rows, the read side and the HTTP edge (``test_intake_api.py``, ``test_intake_delegations.py``,
``test_intake_licence_reuse.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from onething_catalogue.loader import load_catalogue

from contracts.days import china_date, china_today
from contracts.dispatch.v1 import Deficiency, Outcome, ReviewConcluded, TaskReleased
from contracts.dispatch.v2 import TaskConcluded
from contracts.envelope import Envelope, EventPayload
from contracts.identifiers import make_resident_id
from contracts.intake.v1 import Channel, DeliveryMethod, MaterialProvision
from contracts.licence.v1 import CaseLicenceIssued, LicenceState, StatusAction
from contracts.licence.v2 import LicenceStatusChanged
from contracts.sharing.v1 import LookupAnswered, Registry, registry_principal
from contracts.supervision.clocks import item_clock, item_clock_id
from contracts.supervision.v1 import ClockAdjusted, ClockKind, ClockStarted
from contracts.topics import CASE_DOSSIER, CASE_STREAM
from contracts.workdays import national_calendar
from intake.domain.case import CaseStatus, ItemStatus
from intake.domain.errors import (
    ApplicationInvalid,
    CaseNotFound,
    ForeignAnswer,
    IdempotencyKeyReused,
    NotDelegated,
    NothingToCorrect,
    UnknownCase,
)
from intake.domain.materials import Submitted
from intake.domain.model import Case
from intake.domain.pseudonyms import Pseudonyms
from intake.entrypoints.consumers import handlers
from intake.service_layer import applications, blacklist, corrections, delegations, drafts
from intake.service_layer.applications import ApplicantIn, Application, IdempotencyKey, ProxyRequest
from intake.service_layer.case_stream import CaseStreamFolder, event_use_cases
from intake.service_layer.catalogues import CatalogueStore
from intake.service_layer.unit_of_work import IntakeUnitOfWork

from .fakes import FakeCatalogueVersions, FakeIntake, Staged

CATALOGUE = load_catalogue()
CAL = national_calendar()
PSEUDONYMS = Pseudonyms(b"k" * 32)
P01 = {"P-01-01": "health", "P-01-02": "health", "P-01-03": "police", "P-01-04": "medical-insurance",
       "P-01-05": "hrss", "P-01-06": "tax"}
LICENSED = {"P-01-01": "birth-medical-certificate", "P-01-02": "vaccination-certificate",
            "P-01-05": "social-security-card"}
MOTHER_ID = make_resident_id("110105", date(1992, 5, 17), 24)
FATHER_ID = make_resident_id("110105", date(1990, 8, 1), 17)
PROXY_ID = make_resident_id("110105", date(1980, 1, 2), 33)
DOCUMENT = "sha256:" + "1" * 64
MISSING_SIGNATURE = Deficiency(item_code="P-01-01", department="health", kind="material", code="P-01-01-M1",
                               reason_zh="签字不清晰", reason_en="signature illegible")
SHORT_ADDRESS = Deficiency(item_code="P-01-03", department="police", kind="field", code="household_address",
                           reason_zh="地址不完整", reason_en="address incomplete")



def catalogues(**recorded: dict[str, Any]) -> CatalogueStore:
    """The catalogue in force, and the earlier versions' content as ``recorded``."""
    return CatalogueStore(FakeCatalogueVersions(recorded), CATALOGUE)


@pytest.fixture
def intake() -> FakeIntake:
    return FakeIntake()


# --- applications (受理) --------------------------------------------------------------------------------------


def application(**changes: Any) -> Application:
    """A valid P-01 (新生儿出生一件事) application at window W01, result by mail; ``changes`` replace parts."""
    return replace(Application(
        bundle_code="P-01", items=None, applicant=ApplicantIn("王芳", MOTHER_ID, "13800138000"),
        form={"newborn_name": "李小明", "newborn_sex": "男", "birth_date": (china_today() - timedelta(days=3)).isoformat(),
              "birth_hospital": "市妇幼保健院", "mother_name": "王芳", "mother_id_number": MOTHER_ID,
              "father_name": "李强", "father_id_number": FATHER_ID, "household_address": "北京市东城区某街道1号",
              "bank_account": "6222020200112233445"},
        channel=Channel.WINDOW, delivery_method=DeliveryMethod.MAIL, delivery_address="北京市东城区某街道1号 100010",
        idempotency_key=None,
        materials={code: Submitted(MaterialProvision.UPLOAD, "sha256:" + str(n) * 64)
                   for n, code in enumerate(("P-01-01-M1", "P-01-03-M4", "P-01-05-M1"), start=1)},
        window_id="W01", staff_id="S001"), **changes)


async def accept(store: FakeIntake, app: Application | None = None) -> str:
    case_id, created = await applications.accept_application(store.unit_of_work, CATALOGUE, app or application(),
                                                             CAL, pseudonyms=PSEUDONYMS)
    assert created
    return case_id


def data(rows: list[Staged]) -> list[dict[str, Any]]:
    return [r.envelope["data"] for r in rows]


async def test_an_application_becomes_one_case_announced_as_a_dossier_and_a_stream_fact(intake: FakeIntake) -> None:
    case_id = await accept(intake)
    case = intake.cases[case_id]
    assert case.state.status is CaseStatus.ACCEPTED and list(case.state.items) == list(P01)
    assert {i.status for i in case.state.items.values()} == {ItemStatus.WAITING}
    assert case.acceptance is None and intake.acceptances[case_id].window_id == "W01"  # the row, written once
    assert [(s.topic, s.key, s.envelope["type"]) for s in intake.outbox] == [
        (CASE_DOSSIER.name, case_id, "intake.case.accepted"), (CASE_STREAM.name, case_id, "intake.case.registered")]
    [dossier, registered] = data(intake.outbox)
    assert dossier["applicant"]["id_number"] == MOTHER_ID and dossier["delivery_method"] == "mail"
    assert [i["item_code"] for i in dossier["items"]] == list(P01) and dossier["catalogue_version"] == CATALOGUE.version
    # The stream is read by every service: a pseudonym, never the ID number.
    assert registered["applicant_ref"] == PSEUDONYMS.applicant(MOTHER_ID)
    assert MOTHER_ID not in str(intake.staged("intake.case.registered")[0].envelope)
    assert intake.timeline(case_id)[0] == "accepted"


async def test_an_invalid_application_is_refused_with_every_problem_at_once_and_leaves_nothing(
        intake: FakeIntake) -> None:
    form = {k: v for k, v in application().form.items() if k != "newborn_name"}
    with pytest.raises(ApplicationInvalid) as refused:
        await accept(intake, application(form=form, staff_id=None, delivery_address=" "))
    assert {p.path for p in refused.value.problems} >= {"form.newborn_name", "staff_id", "delivery.address"}
    assert intake.cases == {} and intake.outbox == []


async def test_the_same_idempotency_key_gives_the_same_case_once(intake: FakeIntake) -> None:
    app = application(idempotency_key=IdempotencyKey("clerk-1", "W01-0001"), request_digest="digest-1")
    case_id = await accept(intake, app)
    again = await applications.accept_application(intake.unit_of_work, CATALOGUE, app, CAL, pseudonyms=PSEUDONYMS)
    assert again == (case_id, False)
    assert len(intake.cases) == 1 and len(intake.staged("intake.case.accepted")) == 1
    # The same key from another caller is another request: another case.
    other = await accept(intake, replace(app, idempotency_key=IdempotencyKey("clerk-2", "W01-0001")))
    assert other != case_id


async def test_the_same_key_with_another_body_is_refused(intake: FakeIntake) -> None:
    key = IdempotencyKey("clerk-1", "W01-0001")
    await accept(intake, application(idempotency_key=key, request_digest="digest-1"))
    with pytest.raises(IdempotencyKeyReused):
        await applications.accept_application(intake.unit_of_work, CATALOGUE,
                                              application(idempotency_key=key, request_digest="digest-2"), CAL,
                                              pseudonyms=PSEUDONYMS)
    assert len(intake.cases) == 1


async def test_a_retry_that_raced_the_first_answers_with_the_case_the_first_made(intake: FakeIntake) -> None:
    app = application(idempotency_key=IdempotencyKey("clerk-1", "W01-0001"), request_digest="digest-1")
    first: list[str] = []

    @asynccontextmanager
    async def racing() -> AsyncIterator[IntakeUnitOfWork]:
        """The store's transactions; the first request commits its case just after the retry looked its key up."""
        async with intake.unit_of_work() as uow:
            yield uow
        if not first:
            first.append(await accept(intake, app))

    again = await applications.accept_application(racing, CATALOGUE, app, CAL, pseudonyms=PSEUDONYMS)
    assert again == (first[0], False)  # the unique key refused its insert; the answer is the first case
    assert len(intake.cases) == 1 and len(intake.staged("intake.case.accepted")) == 1


async def test_a_listed_applicant_is_accepted_without_the_fast_track(intake: FakeIntake) -> None:
    first = await blacklist.list_applicant(intake.unit_of_work, MOTHER_ID, "提供虚假材料", "false materials", None,
                                           listed_by="sup-1")
    again = await blacklist.list_applicant(intake.unit_of_work, MOTHER_ID, "另一理由", "another", None,
                                           listed_by="sup-2")
    assert again == first and intake.blacklist[MOTHER_ID].listed_by == "sup-1"  # the first listing stands
    case_id = await accept(intake, application(fast_track=True))
    assert intake.acceptances[case_id].fast_track.granted is False
    assert "fast_track_refused" in intake.timeline(case_id)
    assert data(intake.staged("intake.case.accepted"))[0]["fast_track"] is False


async def test_a_tolerated_material_is_accepted_missing_with_an_open_commitment(intake: FakeIntake) -> None:
    materials = {**application().materials, "P-01-05-M1": Submitted(MaterialProvision.DEFERRED)}
    case_id = await accept(intake, application(materials=materials))
    [commitment] = intake.cases[case_id].commitments
    assert (commitment["material_code"], commitment["kind"], commitment["status"]) == ("P-01-05-M1", "tolerance",
                                                                                     "open")
    assert [c["material_code"] for c in data(intake.staged("intake.case.registered"))[0]["commitments"]] == [
        "P-01-05-M1"]


async def test_an_online_proxy_is_accepted_only_with_the_applicants_authorisation(intake: FakeIntake) -> None:
    proxy = ProxyRequest("赵六", PROXY_ID, "亲属", [])
    online = application(channel=Channel.PORTAL, window_id=None, staff_id=None, proxy=proxy, online_proxy=True)
    with pytest.raises(NotDelegated):
        await accept(intake, online)
    assert intake.cases == {}
    async with intake.unit_of_work() as uow:
        other_thing = await delegations.grant(uow, principal_id=MOTHER_ID, proxy_id=PROXY_ID, bundle_code="P-02",
                                              valid_days=7)
    with pytest.raises(NotDelegated):
        await accept(intake, online)  # authorised for another one-thing only
    async with intake.unit_of_work() as uow:
        granted = await delegations.grant(uow, principal_id=MOTHER_ID, proxy_id=PROXY_ID, bundle_code="P-01",
                                          valid_days=7)
    case_id = await accept(intake, online)
    [note] = [e for e in intake.timelines[case_id] if e.kind == "delegation"]
    assert granted.delegation_id in note.text_zh and other_thing.delegation_id not in note.text_zh
    async with intake.unit_of_work() as uow:
        assert await delegations.revoke(uow, granted.delegation_id, principal_ids={PROXY_ID}) is None
    assert intake.delegations[granted.delegation_id].revoked_at is None  # only the principal revokes
    async with intake.unit_of_work() as uow:
        assert await delegations.revoke(uow, granted.delegation_id, principal_ids={MOTHER_ID}) is not None
    assert intake.delegations[granted.delegation_id].revoked_at is not None
    with pytest.raises(NotDelegated):
        await accept(intake, online)


# --- drafts (授权预填) --------------------------------------------------------------------------------------------


def answer(draft_id: str, registry: Registry, subject_id: str = MOTHER_ID, **record: str) -> LookupAnswered:
    return LookupAnswered(request_id=uuid4(), draft_id=draft_id, registry=registry, subject_id=subject_id,
                          found=bool(record), record=record, answered_at=datetime.now(UTC))


async def feed_answer(store: FakeIntake, payload: LookupAnswered, source: str | None = None) -> None:
    envelope = Envelope.wrap(payload, source=source or registry_principal(payload.registry), subject=payload.draft_id)
    async with store.unit_of_work() as uow:
        await drafts.apply_answer(uow, envelope, payload)


async def new_draft(store: FakeIntake) -> str:
    bundle = CATALOGUE.bundle("P-01")
    assert bundle is not None
    async with store.unit_of_work() as uow:
        draft = await drafts.create_draft(uow, CATALOGUE, bundle, ("P-01-01",), MOTHER_ID, drafts.Authorisation(
            granted=True, statement_zh="本人授权", channel=Channel.PORTAL, granted_by="applicant-1"))
    return draft.draft_id


async def test_an_authorised_draft_asks_the_registries_once_carrying_the_authorisation(intake: FakeIntake) -> None:
    draft_id = await new_draft(intake)
    [asked] = intake.staged("sharing.lookup.requested")
    assert asked.envelope["data"]["draft_id"] == draft_id and asked.envelope["data"]["subject_id"] == MOTHER_ID
    assert asked.envelope["data"]["authorisation_id"] == intake.drafts[draft_id].authorisation["id"]
    bundle = CATALOGUE.bundle("P-01")
    assert bundle is not None
    with pytest.raises(ApplicationInvalid):
        async with intake.unit_of_work() as uow:
            await drafts.create_draft(uow, CATALOGUE, bundle, ("P-01-01",), MOTHER_ID, drafts.Authorisation(
                granted=False, statement_zh="", channel=Channel.PORTAL, granted_by="applicant-1"))
    assert len(intake.drafts) == 1 and len(intake.outbox) == 1


async def test_a_registrys_answer_lands_in_its_draft_and_a_foreign_one_is_refused(intake: FakeIntake) -> None:
    draft_id = await new_draft(intake)
    await feed_answer(intake, answer(draft_id, Registry.POPULATION, household_address="北京市东城区某街道2号"))
    await feed_answer(intake, answer(draft_id, Registry.POPULATION, household_address="北京市东城区某街道3号"))
    assert intake.drafts[draft_id].answers["population"]["record"] == {"household_address": "北京市东城区某街道3号"}
    with pytest.raises(ForeignAnswer):  # signed by someone else than the registry it claims to be
        await feed_answer(intake, answer(draft_id, Registry.LICENCE), source="dept.health")
    with pytest.raises(ForeignAnswer):  # about someone else
        await feed_answer(intake, answer(draft_id, Registry.LICENCE, subject_id=FATHER_ID))
    assert set(intake.drafts[draft_id].answers) == {"population"}
    await feed_answer(intake, answer("DR-OF-ANOTHER-INSTANCE", Registry.POPULATION))  # not ours: ignored
    assert set(intake.drafts) == {draft_id} and len(intake.outbox) == 1


async def test_a_prefilled_application_claims_its_draft_once(intake: FakeIntake) -> None:
    draft_id = await new_draft(intake)
    await feed_answer(intake, answer(draft_id, Registry.POPULATION, household_address="北京市东城区某街道2号"))
    app = application(draft_id=draft_id, prefill_confirmed=True,
                      form={k: v for k, v in application().form.items() if k != "household_address"})
    with pytest.raises(ApplicationInvalid) as unconfirmed:
        await accept(intake, replace(app, prefill_confirmed=False))
    assert [p.path for p in unconfirmed.value.problems] == ["prefill_confirmed"]
    case_id = await accept(intake, app)
    assert intake.cases[case_id].form["household_address"] == "北京市东城区某街道2号"
    assert intake.drafts[draft_id].case_id == case_id
    with pytest.raises(ApplicationInvalid) as used:  # the authorisation was for one application (本次申请)
        await accept(intake, app)
    assert [p.type for p in used.value.problems] == ["draft_used"]
    assert len(intake.cases) == 1


# --- the case stream fold (办件视图) and the one delivery (一次送达) -------------------------------------------------


class Stream:
    """Applies case-stream facts about one case through intake's use cases, one transaction each, as the consumer
    would."""

    def __init__(self, store: FakeIntake, case_id: str, versions: CatalogueStore | None = None) -> None:
        self.store, self.case_id = store, case_id
        self.use_cases = event_use_cases(CaseStreamFolder(versions or catalogues(), CAL))  # the table the consumer runs
        self.last: tuple[Envelope, EventPayload] | None = None
        self.released_at = datetime.now(UTC)  # of the last release

    @property
    def case(self) -> Case:
        return self.store.cases[self.case_id]

    async def apply(self, payload: EventPayload, source: str = "dispatch", envelope: Envelope | None = None) -> None:
        envelope = envelope or Envelope.wrap(payload, source=source, subject=self.case_id)
        async with self.store.unit_of_work() as uow:
            await self.use_cases[payload.event_type](uow, envelope, payload)
        self.last = (envelope, payload)

    async def again(self) -> None:
        assert self.last is not None
        await self.apply(self.last[1], envelope=self.last[0])

    async def review(self, round_: int, *deficiencies: Deficiency, on: datetime | None = None) -> None:
        await self.apply(ReviewConcluded(case_id=self.case_id, round=round_, deficiencies=deficiencies,
                                         concluded_at=on or datetime.now(UTC)))

    async def released(self, code: str, attempt: int = 1, department: str | None = None) -> None:
        self.released_at = datetime.now(UTC)
        await self.apply(TaskReleased(case_id=self.case_id, task_id=f"{self.case_id}/{code}", item_code=code,
                                      department=department or P01[code], attempt=attempt, time_limit_days=5,
                                      released_at=self.released_at))

    async def concluded(self, code: str, outcome: Outcome, attempt: int = 1, reason_zh: str | None = None) -> None:
        approved = outcome is Outcome.APPROVED
        await self.apply(TaskConcluded(
            case_id=self.case_id, task_id=f"{self.case_id}/{code}", item_code=code, department=P01[code],
            attempt=attempt, outcome=outcome, reason_zh=reason_zh, reason_en=reason_zh and "reason",
            document_no=f"DOC-{code}" if approved else None, yields_licence=code in LICENSED,
            licence_type=LICENSED.get(code), concluded_at=datetime.now(UTC)))

    async def licence(self, code: str, licence_id: str | None = None) -> None:
        now = datetime.now(UTC)
        await self.apply(CaseLicenceIssued(
            licence_id=licence_id or f"LIC-{code}", case_id=self.case_id, item_code=code,
            licence_type=LICENSED[code], number=f"N-{code}", issuer_department=P01[code], issued_at=now,
            valid_from=now.date(), record_digest="0" * 64), source="licence")

    async def clock(self, code: str, due_on: date, kind: ClockKind = "item", clock_id: str | None = None) -> None:
        await self.apply(ClockStarted(
            case_id=self.case_id, task_id=f"{self.case_id}/{code}", item_code=code, department=P01.get(code, "market"),
            limit_working_days=5, started_on=china_today(), due_on=due_on, kind=kind, clock_id=clock_id),
            source="supervision")

    async def clock_moved(self, clock_id: str, kind: Any, due_on: date, days: int = 0) -> None:
        await self.apply(ClockAdjusted(case_id=self.case_id, clock_id=clock_id, kind=kind, days=days,
                                       reason_zh="材料复杂", due_on=due_on, on=china_today()), source="supervision")

    async def all_approved(self, *, licensed: tuple[str, ...] = tuple(LICENSED)) -> None:
        for code in P01:
            await self.released(code)
            await self.concluded(code, Outcome.APPROVED)
        for code in licensed:
            await self.licence(code)


def test_the_consumer_runs_every_use_case_of_the_table() -> None:
    folder = CaseStreamFolder(catalogues(), CAL)
    assert set(handlers(folder)) == set(event_use_cases(folder)) == {
        t.event_type for t in (ReviewConcluded, TaskReleased, TaskConcluded, CaseLicenceIssued, LicenceStatusChanged,
                               ClockStarted, ClockAdjusted, LookupAnswered)}


async def test_a_review_with_deficiencies_opens_one_consolidated_notice_per_round(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake))
    await stream.review(1, MISSING_SIGNATURE, SHORT_ADDRESS)
    await stream.again()  # redelivered: the notice is open, still one
    await stream.review(2, MISSING_SIGNATURE)  # a later round while this one waits: not a second notice
    correction = stream.case.correction
    assert correction is not None and correction.round == 1
    assert correction.deficiencies == (MISSING_SIGNATURE, SHORT_ADDRESS)
    assert stream.case.state.status is CaseStatus.AWAITING_CORRECTION
    [notice] = [e for e in intake.timelines[stream.case_id] if e.kind == "correction_requested"]
    assert "P-01-01-M1" in notice.text_zh and "household_address" in notice.text_zh
    assert len(intake.outbox) == 2  # the acceptance's: the notice is the applicant's to read, not a message


async def test_a_clean_review_notes_that_handling_starts_without_a_notice(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake))
    await stream.review(1)
    assert stream.case.correction is None and stream.case.state.status is CaseStatus.ACCEPTED
    assert intake.timeline(stream.case_id)[-1] == "reviewed"


async def test_facts_about_an_unknown_case_are_refused_and_leave_nothing(intake: FakeIntake) -> None:
    stream = Stream(intake, "OT20260101NEVERSEEN")
    for fact in (stream.review(1), stream.released("P-01-01"), stream.concluded("P-01-01", Outcome.APPROVED),
                 stream.licence("P-01-01"), stream.clock("", date(2030, 1, 9), kind="case")):
        with pytest.raises(UnknownCase):
            await fact
    # A licence's or a clock's later change may be about another intake instance's case: ignored.
    await stream.apply(LicenceStatusChanged(
        licence_id="LIC-1", case_id=stream.case_id, item_code="P-01-01", licence_type=LICENSED["P-01-01"],
        issuer_department="health", action=StatusAction.REVOKE, state=LicenceState.REVOKED, reason_zh="错误签发",
        actor="officer-1", changed_at=datetime.now(UTC)), source="licence")
    await stream.clock_moved("CLK-1", "extended", date(2030, 1, 9), days=5)
    assert intake.cases == {} and intake.timelines == {} and intake.outbox == []


async def test_a_release_is_noted_and_a_stale_attempt_is_ignored(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake))
    await stream.released("P-01-01", attempt=2)
    await stream.released("P-01-01", attempt=1)  # overtaken by the second attempt
    item = stream.case.state.items["P-01-01"]
    assert (item.status, item.attempt) == (ItemStatus.RELEASED, 2)
    assert stream.case.state.status is CaseStatus.IN_PROGRESS
    [released] = [e for e in intake.timelines[stream.case_id] if e.kind == "released"]
    assert (released.item_code, released.department) == ("P-01-01", "health")


async def test_a_use_case_that_raises_leaves_nothing(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake))
    with pytest.raises(KeyError):  # the item moves before the department's name is looked up, and that fails
        await stream.released("P-01-01", department="no-such-department")
    assert stream.case.state.items["P-01-01"].status is ItemStatus.WAITING
    assert "released" not in intake.timeline(stream.case_id) and len(intake.outbox) == 2


async def test_every_item_settled_with_its_licences_delivers_once_with_one_notice(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake))
    await stream.all_approved()
    delivered, notified = intake.staged("intake.case.delivered"), intake.staged("intake.case.notified")
    assert [(s.topic, s.key) for s in delivered + notified] == [(CASE_STREAM.name, stream.case_id)] * 2
    [result], [notice] = data(delivered), data(notified)
    assert result["method"] == "mail"
    assert {i["item_code"]: (i["outcome"], i["licence_id"], i["department"]) for i in result["items"]} == {
        code: ("approved", f"LIC-{code}" if code in LICENSED else None, P01[code]) for code in P01}
    assert notice["channel"] == "window" and "免费寄递" in notice["text_zh"] and stream.case_id in notice["text_zh"]
    assert stream.case.state.status is CaseStatus.DELIVERED and stream.case.notice_zh == notice["text_zh"]

    await stream.again()  # the last fact redelivered
    await stream.concluded("P-01-05", Outcome.APPROVED)  # a repeated conclusion under a new envelope
    await stream.licence("P-01-05", licence_id="LIC-P-01-05-REISSUED")  # a new licence after delivery
    assert len(intake.staged("intake.case.delivered")) == len(intake.staged("intake.case.notified")) == 1
    assert intake.timeline(stream.case_id).count("delivered") == 1


async def test_an_approved_item_without_its_licence_holds_the_delivery(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake))
    await stream.all_approved(licensed=("P-01-01", "P-01-02"))  # the social security card is missing
    assert intake.staged("intake.case.delivered") == [] and stream.case.state.status is CaseStatus.IN_PROGRESS
    await stream.licence("P-01-05")
    assert len(intake.staged("intake.case.delivered")) == 1


async def test_a_licence_issued_again_is_noted_once(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake))
    await stream.licence("P-01-01")
    await stream.again()
    assert intake.timeline(stream.case_id).count("licence") == 1
    assert stream.case.state.items["P-01-01"].licence_id == "LIC-P-01-01"


async def test_a_rejection_delivers_once_with_its_unprocessed_dependants_at_the_window(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake, application(delivery_method=DeliveryMethod.WINDOW,
                                                             delivery_address=None)))
    await stream.released("P-01-01")
    await stream.released("P-01-02")
    await stream.concluded("P-01-01", Outcome.REJECTED, reason_zh="出生信息不符")
    for code in ("P-01-03", "P-01-04", "P-01-05", "P-01-06"):
        await stream.concluded(code, Outcome.NOT_PROCESSED)
    await stream.concluded("P-01-02", Outcome.APPROVED)
    assert intake.staged("intake.case.delivered") == []  # the approved item's licence is still out
    await stream.licence("P-01-02")
    [result] = data(intake.staged("intake.case.delivered"))
    assert {i["item_code"]: i["outcome"] for i in result["items"]} == {
        "P-01-01": "rejected", "P-01-02": "approved", **dict.fromkeys(("P-01-03", "P-01-04", "P-01-05", "P-01-06"),
                                                                      "not_processed")}
    [notice] = data(intake.staged("intake.case.notified"))
    assert "准予 1 项" in notice["text_zh"] and "出生医学证明签发（已办结（不予））" in notice["text_zh"]
    assert "综合窗口" in notice["text_zh"] and result["method"] == "window"
    [rejected] = [e for e in intake.timelines[stream.case_id] if e.kind == "concluded.rejected"]
    assert "出生信息不符" in rejected.text_zh


async def test_a_case_whose_catalogue_version_no_longer_loads_is_delivered_under_its_code(
        intake: FakeIntake) -> None:
    case_id = await accept(intake)
    intake.cases[case_id].catalogue_version = "2020.01-1"  # accepted under a version whose content no longer loads
    stream = Stream(intake, case_id, catalogues(**{"2020.01-1": {"version": "2020.01-1",
                                                                   "bundles": "no longer this shape"}}))
    await stream.all_approved()
    [notice] = data(intake.staged("intake.case.notified"))
    assert "P-01" in notice["text_zh"] and "新生儿出生一件事" not in notice["text_zh"]


async def test_a_licence_status_change_is_noted_and_the_delivered_result_stands(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake))
    await stream.all_approved()
    delivered_at = stream.case.delivered_at
    await stream.apply(LicenceStatusChanged(
        licence_id="LIC-P-01-01", case_id=stream.case_id, item_code="P-01-01", licence_type=LICENSED["P-01-01"],
        issuer_department="health", action=StatusAction.REVOKE, state=LicenceState.REVOKED, reason_zh="错误签发",
        actor="officer-1", changed_at=datetime.now(UTC)), source="licence")
    [revoked] = [e for e in intake.timelines[stream.case_id] if e.kind == "licence_revoked"]
    assert "错误签发" in revoked.text_zh and revoked.item_code == "P-01-01"
    assert stream.case.delivered_at == delivered_at and stream.case.state.status is CaseStatus.DELIVERED
    assert len(intake.staged("intake.case.delivered")) == 1


async def test_a_release_sets_its_items_due_date_and_a_rectification_clock_does_not(intake: FakeIntake) -> None:
    """推送即计时: supervision does not announce an item clock's start; intake derives the same clock from the
    release (its id, due on the promised limit from the day of release) and follows the clock's adjustments."""
    stream = Stream(intake, await accept(intake))
    await stream.released("P-01-01")
    clock = item_clock(f"{stream.case_id}/P-01-01", 1, stream.released_at, 5, CAL)
    item = stream.case.state.items["P-01-01"]
    assert (item.due_on, item.clock_id) == (clock.due_on.isoformat(), clock.clock_id)
    assert clock.due_on == CAL.add_working_days(china_date(stream.released_at), 5)
    # An item clock announced by an older supervision changes nothing: the release already said it.
    await stream.clock("P-01-01", date(2030, 1, 9), clock_id=clock.clock_id)
    await stream.clock("P-01-01", date(2030, 2, 1), kind="rectification", clock_id="CLK-RECT")
    await stream.clock("", date(2030, 2, 1), kind="rectification")  # a bad review's clock of no item
    assert stream.case.state.items["P-01-01"].due_on == clock.due_on.isoformat()
    await stream.clock_moved(clock.clock_id, "extended", date(2030, 1, 16), days=5)
    await stream.clock_moved("CLK-RECT", "extended", date(2030, 3, 1), days=5)  # no clock of this case's: nothing
    assert stream.case.state.items["P-01-01"].due_on == "2030-01-16"
    await stream.released("P-01-01", attempt=2)  # a retry starts its own clock
    assert stream.case.state.items["P-01-01"].clock_id == item_clock_id(f"{stream.case_id}/P-01-01", 2)
    assert stream.case.supervised_due_on is None and "due_date_moved" not in intake.timeline(stream.case_id)


async def test_the_case_clock_is_the_cases_due_date_and_each_move_is_noted_once(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake))
    await stream.clock("", date(2030, 1, 9), kind="case", clock_id="CLK-CASE")
    assert (stream.case.case_clock_id, stream.case.supervised_due_on) == ("CLK-CASE", date(2030, 1, 9))
    await stream.clock_moved("CLK-CASE", "suspended", date(2030, 1, 9))  # paused: nothing the applicant sees
    await stream.clock_moved("CLK-CASE", "extended", date(2030, 1, 16), days=5)
    await stream.again()
    assert stream.case.supervised_due_on == date(2030, 1, 16)
    [moved] = [e for e in intake.timelines[stream.case_id] if e.kind == "due_date_moved"]
    assert "材料复杂" in moved.text_zh and "5" in moved.text_en and "材料复杂" not in moved.text_en
    await stream.clock_moved("CLK-CASE", "resumed", date(2030, 1, 20))
    assert intake.timeline(stream.case_id).count("due_date_moved") == 2
    assert intake.outbox[2:] == []  # the due date is supervision's to announce


# --- the one correction (一次补正) and 容缺 supplements ------------------------------------------------------------


async def correct(store: FakeIntake, form: dict[str, str], materials: dict[str, Submitted], case_id: str) -> None:
    async with store.unit_of_work() as uow:
        await corrections.supply_correction(uow, catalogues(), case_id, form, materials, CAL)


async def supplement(store: FakeIntake, case_id: str, materials: dict[str, Submitted]) -> None:
    async with store.unit_of_work() as uow:
        await corrections.supply_supplement(uow, case_id, materials)


SIGNED_AGAIN = {"P-01-01-M1": Submitted(MaterialProvision.UPLOAD, "sha256:" + "9" * 64)}


async def test_a_correction_answers_the_notice_once_for_dispatch_and_the_stream(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake))
    await stream.review(1, MISSING_SIGNATURE, SHORT_ADDRESS)
    await correct(intake, {"household_address": " 北京市东城区某街道1号101室 "}, SIGNED_AGAIN, stream.case_id)
    case = stream.case
    assert case.correction is None and case.correction_round == 1 and case.state.status is CaseStatus.ACCEPTED
    assert case.form["household_address"] == "北京市东城区某街道1号101室"  # trimmed, as stored
    assert [m["document"] for m in case.materials if m["code"] == "P-01-01-M1"] == ["sha256:" + "9" * 64]
    corrected, filed = intake.staged("intake.case.corrected"), intake.staged("intake.case.correction_filed")
    assert [(s.topic, s.key) for s in corrected + filed] == [(CASE_DOSSIER.name, stream.case_id),
                                                             (CASE_STREAM.name, stream.case_id)]
    [values], [fact] = data(corrected), data(filed)
    assert values["item_codes"] == ["P-01-01", "P-01-03"] and values["round"] == 1
    assert values["form"] == {"household_address": "北京市东城区某街道1号101室"}
    assert [m["code"] for m in values["materials"]] == ["P-01-01-M1"]
    assert fact == {"case_id": stream.case_id, "item_codes": ["P-01-01", "P-01-03"], "round": 1}
    assert "corrected" in intake.timeline(stream.case_id)

    with pytest.raises(NothingToCorrect):
        await correct(intake, {}, {}, stream.case_id)
    await stream.review(1, MISSING_SIGNATURE)  # the answered round redelivered: no second notice
    assert stream.case.correction is None and len(intake.staged("intake.case.corrected")) == 1


async def test_a_correction_must_answer_everything_listed_and_nothing_else(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake))
    await stream.review(1, MISSING_SIGNATURE, SHORT_ADDRESS)
    with pytest.raises(ApplicationInvalid) as refused:
        await correct(intake, {"household_address": "x路1号", "birth_hospital": "y"}, {}, stream.case_id)
    assert {(p.path, p.type) for p in refused.value.problems} == {
        ("materials.P-01-01-M1", "missing"), ("form.birth_hospital", "not_requested")}
    assert stream.case.correction is not None and stream.case.form["birth_hospital"] == "市妇幼保健院"
    assert intake.staged("intake.case.corrected") == []


async def test_a_correction_without_a_case_or_an_open_notice_is_refused(intake: FakeIntake) -> None:
    with pytest.raises(CaseNotFound):
        await correct(intake, {}, {}, "OT20260101NEVERSEEN")
    case_id = await accept(intake)
    with pytest.raises(NothingToCorrect):
        await correct(intake, {"birth_hospital": "x"}, {}, case_id)
    assert len(intake.outbox) == 2


async def test_the_working_days_a_notice_waited_are_counted_as_paused(intake: FakeIntake) -> None:
    stream = Stream(intake, await accept(intake))
    asked = datetime.now(UTC) - timedelta(days=21)
    await stream.review(1, MISSING_SIGNATURE, on=asked)
    await correct(intake, {}, SIGNED_AGAIN, stream.case_id)
    paused = CAL.working_days_between(china_date(asked), china_today())
    assert paused > 0 and stream.case.paused_days == paused


async def test_a_supplement_fulfils_its_commitment_and_a_repeat_changes_nothing(intake: FakeIntake) -> None:
    materials = {**application().materials, "P-01-05-M1": Submitted(MaterialProvision.DEFERRED)}
    case_id = await accept(intake, application(materials=materials))
    photo = {"P-01-05-M1": Submitted(MaterialProvision.UPLOAD, "sha256:" + "7" * 64)}
    await supplement(intake, case_id, photo)
    [commitment] = intake.cases[case_id].commitments
    assert (commitment["status"], commitment["document"]) == ("fulfilled", "sha256:" + "7" * 64)
    assert [m["document"] for m in intake.cases[case_id].materials if m["code"] == "P-01-05-M1"] == [
        "sha256:" + "7" * 64]
    await supplement(intake, case_id, photo)  # a retry whose answer was lost
    assert intake.timeline(case_id).count("supplemented") == 1
    with pytest.raises(ApplicationInvalid) as refused:  # another document for what is no longer outstanding
        await supplement(
            intake, case_id, {"P-01-05-M1": Submitted(MaterialProvision.UPLOAD, "sha256:" + "8" * 64)})
    assert [(p.path, p.type) for p in refused.value.problems] == [("materials.P-01-05-M1", "not_outstanding")]
    assert len(intake.outbox) == 2  # a supplement is the case's own: no message


async def test_a_supplement_needs_an_outstanding_material_with_its_document(intake: FakeIntake) -> None:
    with pytest.raises(CaseNotFound):
        await supplement(intake, "OT20260101NEVERSEEN", {})
    materials = {**application().materials, "P-01-05-M1": Submitted(MaterialProvision.DEFERRED)}
    case_id = await accept(intake, application(materials=materials))
    with pytest.raises(ApplicationInvalid) as refused:
        await supplement(intake, case_id, {
            "P-01-05-M1": Submitted(MaterialProvision.UPLOAD, " "),
            "P-01-01-M1": Submitted(MaterialProvision.UPLOAD, DOCUMENT)})
    assert {(p.path, p.type) for p in refused.value.problems} == {
        ("materials.P-01-05-M1", "document_missing"), ("materials.P-01-01-M1", "not_outstanding")}
    with pytest.raises(ApplicationInvalid) as empty:
        await supplement(intake, case_id, {})
    assert [(p.path, p.type) for p in empty.value.problems] == [("materials", "missing")]
    assert intake.cases[case_id].commitments[0]["status"] == "open"
