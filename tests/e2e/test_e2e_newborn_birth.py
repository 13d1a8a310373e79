"""The whole system on PostgreSQL: a batch of newborn births (P-01), then every one-thing of the catalogue."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.envelope import canonical_bytes
from contracts.identifiers import make_resident_id
from contracts.topics import ALL_TOPICS, CASE_DOSSIER, CASE_STREAM, RATING_FIGURES, department_requests, topic
from contracts.workdays import national_calendar
from credentials.platform import local_trust_list
from credentials.verify import verify_credential
from exchange.access.roles import Role
from exchange.chain import verify_chain
from exchange.http_identity import signing_hook
from exchange.request_signing import sign_request
from exchange.signing import KeyRing
from exchange.testing.access import TestTokens
from exchange.testing.spans import SpanSink
from onething.applicants import application_for, correction_for
from onething.case import case_report
from onething.demo import run_demo
from onething.system import System

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

P01_DEPARTMENTS = {"P-01-01": "health", "P-01-02": "health", "P-01-03": "police",
                   "P-01-04": "medical-insurance", "P-01-05": "hrss", "P-01-06": "tax"}


async def _read_topic(bootstrap: str, *topics: str) -> list[dict[str, Any]]:
    """Every envelope on ``topics``, read by one consumer until nothing more comes for a second."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for topic in topics for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        out: list[dict[str, Any]] = []
        idle = 0
        while idle < 3:
            batch = await consumer.getmany(timeout_ms=300)
            idle = 0 if batch else idle + 1
            out.extend(json.loads(r.value) for rs in batch.values() for r in rs if r.value)
        return out
    finally:
        await consumer.stop()


BIRTHS = 25  # a batch in flight at once; the chaos short forms run 50 per fault


def test_a_batch_of_births_is_each_delivered_exactly_once(postgres_system: System) -> None:
    result = asyncio.run(run_demo(postgres_system.url("intake"), postgres_system.bootstrap, BIRTHS, seed=2026,
                                  timeout_s=240, quiet=True, tokens=postgres_system.tokens))
    assert len(result.cases) == BIRTHS
    assert result.delivered_once == BIRTHS, f"not delivered once: {[c for c in result.cases if result.deliveries[c] != 1]}"
    assert all(result.notices[c] == 1 for c in result.cases)

    stream = asyncio.run(_read_topic(postgres_system.bootstrap, CASE_STREAM.name))
    ours = set(result.cases)
    by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for wire in stream:
        if wire["subject"] in ours:
            by_case[wire["subject"]].append(wire)

    with httpx.Client(base_url=postgres_system.url("intake"),
                      headers=TestTokens.of_system(postgres_system.data_dir).staff()) as client:
        for case_id in result.cases:
            events = by_case[case_id]
            released = Counter((e["data"]["item_code"], e["data"]["department"]) for e in events
                               if e["type"] == "dispatch.task.released")
            concluded = [e["data"] for e in events if e["type"] == "dispatch.task.concluded"]
            # Every request went to the department the catalogue names, and every request got one result.
            assert all(P01_DEPARTMENTS[item] == dept for item, dept in released)
            answered = Counter((c["item_code"], c["department"]) for c in concluded if c["outcome"] != "not_processed")
            assert answered == released, case_id
            final = {c["item_code"]: c["outcome"] for c in concluded}
            assert set(final) == set(P01_DEPARTMENTS), case_id
            # Sequencing: household registration only after the birth certificate was approved.
            if ("P-01-03", "police") in released:
                assert final["P-01-01"] == "approved"
            # One licence per approved licence-yielding item, and the case view agrees with the bus.
            licences = Counter(e["data"]["item_code"] for e in events if e["type"] == "licence.case.licence_issued")
            expected = {i for i in ("P-01-01", "P-01-02", "P-01-05") if final[i] == "approved"}
            assert set(licences) == expected and all(n == 1 for n in licences.values()), case_id
            view = client.get(f"/cases/{case_id}").json()
            assert view["status"] == "delivered"
            assert {i["item_code"]: i["status"] for i in view["items"]} == final
            assert {i["item_code"]: i["department"] for i in view["items"]} == P01_DEPARTMENTS

    # Every envelope on the bus is signed by its producer, and each producer's hash chain (which runs
    # across every topic it writes to) is unbroken.
    everything = asyncio.run(_read_topic(postgres_system.bootstrap, *(spec.name for spec in ALL_TOPICS)))
    keyring = KeyRing(postgres_system.data_dir / "keys")
    for wire in everything:
        keyring.verify_envelope(wire)
    report = verify_chain(everything)
    assert report.intact, report.problems
    assert {"intake", "dispatch", "licence", "supervision", "dept.health", "dept.police"} <= set(report.heads)


def _wait_for(probe: Any, what: str, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (found := probe()) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert found, f"timed out waiting for {what}"
    return found


def test_a_bad_review_is_rectified_escalated_called_back_closed_and_counted(postgres_system: System) -> None:
    """好差评闭环 over the bus: rating → order → supervision's clock and 督办 → report → call-back → closure."""
    result = asyncio.run(run_demo(postgres_system.url("intake"), postgres_system.bootstrap, 1, seed=99,
                                  timeout_s=120, quiet=True, tokens=postgres_system.tokens))
    assert result.ok
    case_id = result.cases[0]
    accepted = next(w for w in asyncio.run(_read_topic(postgres_system.bootstrap, CASE_DOSSIER.name))
                    if w["subject"] == case_id and w["type"] == "intake.case.accepted")
    applicant_id = accepted["data"]["applicant"]["id_number"]
    keyring = KeyRing(postgres_system.data_dir / "keys")
    rating_url, supervision_url = postgres_system.url("rating"), postgres_system.url("supervision")

    def signed(principal: str) -> httpx.Client:
        return httpx.Client(base_url=rating_url,
                            event_hooks={"request": [signing_hook(keyring.signer(principal), "e2e：差评整改")]})

    tokens = TestTokens.of_system(postgres_system.data_dir)
    with httpx.Client(base_url=rating_url, headers=tokens.headers(Role.APPLICANT, id_number=applicant_id)) as public, \
            signed("dept.health") as health, signed("dept.approval") as centre:
        _wait_for(lambda: any(t["touchpoint"] == "delivery" for t in public.get(f"/cases/{case_id}/touchpoints").json()),
                  "the delivery invitation")
        body = {"case_id": case_id, "level": "very_dissatisfied", "tags": ["slow"], "rater_id_number": applicant_id,
                "comment": "等了很久"}
        assert public.post("/ratings", json={**body, "rater_id_number": make_resident_id(
            "110101", date(1970, 1, 1), 7)}).status_code == 403
        assert public.post("/ratings", json=body).status_code == 201
        assert public.post("/ratings", json=body).status_code == 409
        [order] = health.get("/rectifications").json()
        path = f"/rectifications/{order['rectification_id']}"
        order = _wait_for(lambda: (o := health.get(path).json())["due_on"] and o, "supervision's clock of the order")
        expected_due = national_calendar().add_working_days(date.fromisoformat(order["opened_on"]), 15)
        assert order["due_on"] == expected_due.isoformat()  # counted by supervision on its calendar

        with httpx.Client(base_url=supervision_url, headers=tokens.staff()) as supervision:  # 15 working days go by
            supervision.post("/clock/advance", json={"days": 30}).raise_for_status()
        order = _wait_for(lambda: (o := health.get(path).json())["order_id"] and o, "the escalation (督办)")
        assert order["escalated_on"] > order["due_on"]

        report = {"measures_zh": "优化出生医学证明签发流程", "evidence": [
            {"title": "整改报告", "uri": "dept://health/rectification/1.pdf", "sha256": "b" * 64}]}
        assert health.post(f"{path}/report", json=report).json()["state"] == "reported"
        closed = centre.post(f"{path}/callback", json={"outcome": "satisfied"}).json()
        assert (closed["state"], closed["closed_how"]) == ("closed", "rectified")

    def stopped() -> list[dict[str, Any]]:
        return [w["data"] for w in asyncio.run(_read_topic(postgres_system.bootstrap, CASE_STREAM.name))
                if w["subject"] == case_id and w["type"] == "supervision.clock.stopped"
                and w["data"]["kind"] == "rectification"]

    [clock] = _wait_for(stopped, "the order's clock to stop")  # once
    assert clock["finished_on"] == closed["closed_on"] and clock["department"] == "health"

    def counted() -> list[dict[str, Any]]:
        return [f for f in httpx.get(f"{rating_url}/figures", params={"by": "department", "period": "day"},
                                     headers=tokens.staff()).json()
                if f["key"] == "health" and f["very_dissatisfied"] >= 1]

    _wait_for(counted, "the satisfaction figures", timeout_s=60)
    analytics = json.dumps(asyncio.run(_read_topic(postgres_system.bootstrap, RATING_FIGURES.name)),
                           ensure_ascii=False)
    assert applicant_id not in analytics and accepted["data"]["applicant"]["name"] not in analytics
    assert not re.search(r"(?<!\d)\d{17}[\dX](?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)", analytics)


def _catalogue_view(client: httpx.Client) -> dict[str, dict[str, Any]]:
    codes = [b["code"] for b in client.get("/catalogue").json()["bundles"]]
    return {code: client.get(f"/catalogue/{code}/notice").json() for code in codes}


def test_every_one_thing_of_the_catalogue_goes_end_to_end(postgres_system: System) -> None:
    with httpx.Client(base_url=postgres_system.url("intake")) as client:
        notices = _catalogue_view(client)
    assert len(notices) >= 40  # P-, E- and J- life cycles
    result = asyncio.run(run_demo(postgres_system.url("intake"), postgres_system.bootstrap, len(notices),
                                  bundles=list(notices), seed=303, timeout_s=300, quiet=True,
                                  tokens=postgres_system.tokens))
    assert sorted(result.bundle_of.values()) == sorted(notices)  # one case per one-thing
    assert result.delivered_once == len(notices), [
        (result.bundle_of[c], result.deliveries[c]) for c in result.cases if result.deliveries[c] != 1]
    # 一次补正: never more than one correction notice, and each was answered once.
    assert all(result.correction_notices[c] <= 1 for c in result.cases)
    assert result.corrections == sum(result.correction_notices[c] for c in result.cases) > 0
    assert result.prefilled > 0

    stream = asyncio.run(_read_topic(postgres_system.bootstrap, CASE_STREAM.name))
    by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for wire in stream:
        if wire["subject"] in result.bundle_of:
            by_case[wire["subject"]].append(wire)
    dossiers = asyncio.run(_read_topic(postgres_system.bootstrap, CASE_DOSSIER.name))
    staff = TestTokens.of_system(postgres_system.data_dir).staff()
    with httpx.Client(base_url=postgres_system.url("intake"), headers=staff) as client:
        for case_id, code in result.bundle_of.items():
            notice, events = notices[code], by_case[case_id]
            items = {i["code"]: i for i in notice["items"]}
            # One acceptance (one event id); the topic is at-least-once, so a producer's retry may carry it twice.
            [accepted] = {e["id"]: e["data"] for e in dossiers
                          if e["subject"] == case_id and e["type"] == "intake.case.accepted"}.values()
            # The case stream knows the case without the applicant: one registration, no ID number in it.
            [registered] = {e["id"]: e["data"] for e in events if e["type"] == "intake.case.registered"}.values()
            assert accepted["applicant"]["id_number"] not in json.dumps(registered), code
            # the deadline shown at acceptance is the notice's deadline for the whole selection.
            assert accepted["limit_days"] == notice["deadline"]["limit_days"], code
            # Shared materials were never asked of the applicant: the platform fetches them.
            shared = {m["name_zh"] for m in notice["materials"] if not m["submit"]}
            for item in accepted["items"]:
                for material in item["materials"]:
                    if material["name_zh"] in shared:
                        assert material["provision"] == "sharing" and material["document"] is None, code
            order = [(e["type"], e["data"].get("item_code"), e["data"].get("outcome")) for e in events]
            released = [e["data"] for e in events if e["type"] == "dispatch.task.released"]
            concluded = {e["data"]["item_code"]: e["data"]["outcome"] for e in events
                         if e["type"] == "dispatch.task.concluded"}
            assert set(concluded) == set(items), code  # every item concluded
            for release in released:
                item = items[release["item_code"]]
                assert release["department"] == item["department"]["code"], code  # routed as the catalogue says
                position = order.index(("dispatch.task.released", release["item_code"], None))
                for prerequisite in item["requires"]:  # sequential items only after their prerequisites passed
                    assert ("dispatch.task.concluded", prerequisite, "approved") in order[:position], (code, item)
            view = client.get(f"/cases/{case_id}").json()
            assert view["status"] == "delivered" and view["catalogue_version"] == accepted["catalogue_version"]


def test_a_late_case_shows_its_cards_order_projection_and_blocking_department(postgres_system: System) -> None:
    """电子监察: a case the departments sit on runs past its limits in (moved) statutory time."""
    urls = {name: postgres_system.url(name) for name in ("intake", "supervision", "simulators")}
    tokens = TestTokens.of_system(postgres_system.data_dir)
    with httpx.Client(timeout=30, headers=tokens.staff()) as client:
        notice = client.get(f"{urls['intake']}/catalogue/P-01/notice").json()
        body = application_for(notice, random.Random(11), 1)  # n=1: on the portal, no proxy, no pre-fill
        applicant = tokens.headers(Role.APPLICANT, id_number=body["applicant"]["id_number"])
        case_id = client.post(f"{urls['intake']}/cases", json=body, headers=applicant).json()["case_id"]
        client.post(f"{urls['simulators']}/holds/{case_id}").raise_for_status()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until the first items are in the departments' hands
            view = client.get(f"{urls['supervision']}/cases/{case_id}/supervision")
            if view.status_code == 200 and view.json()["clocks"]:
                break
            correction = client.get(f"{urls['intake']}/cases/{case_id}").json()["correction"]
            if correction:  # a department's review found something: the applicant answers once
                answer = correction_for(notice, correction, random.Random(12))
                client.post(f"{urls['intake']}/cases/{case_id}/corrections", json=answer).raise_for_status()
            time.sleep(0.3)
        cards: list[str] = []
        for _ in range(40):  # a working day at a time until the red card and the order
            client.post(f"{urls['supervision']}/clock/advance", json={"days": 1}).raise_for_status()
            view = client.get(f"{urls['supervision']}/cases/{case_id}/supervision").json()
            cards = [c["colour"] for c in view["cards"] if c["item_code"] is not None]
            if "red" in cards and view["orders"]:
                break
        # Items in the departments' hands side by side run out together: judge each item's own cards.
        colours: dict[str, list[str]] = {}
        for card in view["cards"]:
            if card["item_code"] is not None:
                colours.setdefault(card["item_code"], []).append(card["colour"])
        assert all(c in (["yellow"], ["yellow", "red"]) for c in colours.values()), cards  # yellow first, each once
        overdue = [c for c in view["clocks"] if c["state"] == "overdue"]
        blocked = min(overdue, key=lambda c: (c["due_on"], c["item_code"]))  # the most overdue item blocks
        assert colours[blocked["item_code"]] == ["yellow", "red"], colours
        projection = view["projection"]
        assert projection["blocking_department"] == blocked["department"], projection
        assert projection["blocking_item"] == blocked["item_code"]
        assert projection["completion"] >= view["today"] and projection["critical_path"]
        order = next(o for o in view["orders"] if o["item_code"] == blocked["item_code"])
        assert order["department"] == blocked["department"] and "督办" in order["text_zh"]

        report = case_report(urls, case_id, postgres_system.tokens.staff(Role.OPERATOR))
        assert report is not None and report["supervision"]["cards"] == view["cards"]
        client.delete(f"{urls['simulators']}/holds/{case_id}").raise_for_status()
        while time.monotonic() < deadline + 60:
            if client.get(f"{urls['intake']}/cases/{case_id}").json()["status"] == "delivered":
                break
            time.sleep(0.3)
        assert client.get(f"{urls['intake']}/cases/{case_id}").json()["status"] == "delivered"

    # On the bus too: the cards and the order, once each, on the case stream.
    stream = [w for w in asyncio.run(_read_topic(postgres_system.bootstrap, CASE_STREAM.name)) if w["subject"] == case_id]
    issued = Counter((w["data"]["item_code"], w["data"]["colour"]) for w in stream if w["type"] == "supervision.card.issued")
    assert issued[(blocked["item_code"], "yellow")] == 1 and issued[(blocked["item_code"], "red")] == 1
    # Each order once; the clocks kept running while the case was released, so later orders may have joined those
    # the view showed: every order on the stream is in supervision's view read after it, and the other way round.
    ordered = Counter(w["data"]["order_id"] for w in stream if w["type"] == "supervision.order.issued")
    later = httpx.get(f"{urls['supervision']}/cases/{case_id}/supervision", timeout=30, headers=tokens.staff()).json()
    assert set(ordered.values()) == {1}, ordered
    assert {o["order_id"] for o in view["orders"]} <= set(ordered) <= {o["order_id"] for o in later["orders"]}
    # The audit trail holds every fact of the case with the hash of the signed envelope as it was on the bus.
    facts = [w for w in stream if w["type"] in CASE_STREAM.event_types and w["source"] != "supervision"]
    deadline = time.monotonic() + 30
    while True:  # supervision reads the same stream: wait until it has recorded what we read
        by_id = {t["event_id"]: t for t in httpx.get(f"{urls['supervision']}/cases/{case_id}/audit", timeout=30,
                                                     headers=tokens.staff()).json()}
        if {w["id"] for w in facts} <= set(by_id) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert facts
    for wire in facts:
        assert by_id[wire["id"]]["evidence_sha256"] == hashlib.sha256(canonical_bytes(wire)).hexdigest()
        assert by_id[wire["id"]]["actor"] == wire["source"]


def _delivered(client: httpx.Client, intake: str, notice: dict[str, Any], case_id: str) -> dict[str, Any]:
    """Wait for the case's one delivery, answering its one correction notice as an applicant would."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        view = client.get(f"{intake}/cases/{case_id}").json()
        if view["status"] == "delivered":
            return dict(view)
        if view["correction"] and view["correction"].get("status", "open") == "open":
            answer = correction_for(notice, view["correction"], random.Random(5))
            client.post(f"{intake}/cases/{case_id}/corrections", json=answer)
        time.sleep(0.3)
    raise AssertionError(f"{case_id} was not delivered: {view}")


def test_licences_are_reused_then_a_revoked_birth_certificate_fails_verification(postgres_system: System) -> None:
    """电子证照: a birth case's licences, sealed by the health commission, replace the 预防接种证 at school entry
    (免提交, with consent; the department receives the credential), and a revoked 出生医学证明 fails verification."""
    urls = {name: postgres_system.url(name) for name in ("intake", "licence")}
    keyring = KeyRing(postgres_system.data_dir / "keys")
    trust = local_trust_list(keyring, region="430100", region_name_zh="长沙市")

    def signed(principal: str, method: str, path: str, body: bytes = b"") -> dict[str, str]:
        return {**sign_request(keyring.signer(principal), method, path, purpose="e2e：电子证照复用与撤销", body=body),
                "content-type": "application/json"}

    tokens = TestTokens.of_system(postgres_system.data_dir)
    with httpx.Client(timeout=30, headers=tokens.staff()) as client:
        notice = client.get(f"{urls['intake']}/catalogue/P-01/notice").json()
        for attempt in range(5):  # the simulated departments reject a few items; we need both health licences
            body = application_for(notice, random.Random(300 + attempt), 1)  # n=1: on the portal
            parent = body["applicant"]["id_number"]
            as_parent = tokens.headers(Role.APPLICANT, id_number=parent)
            case_id = client.post(f"{urls['intake']}/cases", json=body, headers=as_parent).json()["case_id"]
            view = _delivered(client, urls["intake"], notice, case_id)
            if all(i["status"] == "approved" for i in view["items"] if i["item_code"] in ("P-01-01", "P-01-02")):
                break
        path = f"/holders/{parent}/licences"
        assert httpx.get(f"{urls['licence']}{path}", timeout=30).status_code == 401  # archives are not public
        archive = client.get(f"{urls['licence']}{path}", headers=signed("intake", "GET", path)).json()
        by_type = {lic["licence_type"]: lic for lic in archive}
        assert {"birth-medical-certificate", "vaccination-certificate"} <= set(by_type), archive

        # 免提交: the school-entry check takes the 预防接种证 from the parent's e-licence archive.
        draft = client.post(f"{urls['intake']}/drafts", headers=as_parent, json={
            "bundle_code": "P-02", "items": ["P-02-04"], "id_number": parent,
            "authorisation": {"granted": True, "statement_zh": "同意查询并复用本人电子证照"}}).json()
        deadline = time.monotonic() + 30
        while not (draft := client.get(f"{urls['intake']}/drafts/{draft['draft_id']}", headers=as_parent).json()
                   )["ready"]:
            assert time.monotonic() < deadline, draft
            time.sleep(0.2)
        assert draft["held_licences"]["vaccination-certificate"] == by_type["vaccination-certificate"]["number"]
        enrolment = {"bundle_code": "P-02", "items": ["P-02-04"], "channel": "mobile",
                     "applicant": {"name": body["applicant"]["name"], "id_number": parent},
                     "form": {"child_name": body["form"].get("newborn_name", "李小明"),
                              "child_id_number": make_resident_id("430104", date(2020, 3, 1), 11)},
                     "draft_id": draft["draft_id"], "prefill_confirmed": True, "reuse_licences": True}
        created = client.post(f"{urls['intake']}/cases", json=enrolment, headers=as_parent)
        assert created.status_code == 201, created.text
        school_case = created.json()["case_id"]
        _delivered(client, urls["intake"], client.get(f"{urls['intake']}/catalogue/P-02/notice?items=P-02-04").json(),
                   school_case)
        requests = [w["data"] for w in asyncio.run(_read_topic(postgres_system.bootstrap, department_requests("health").name))
                    if w["type"] == "dispatch.request.sent" and w["data"]["case_id"] == school_case]
        assert requests, "the health commission got no request for the school-entry check"
        for request in requests:
            [vaccination] = [m for m in request["materials"] if m["code"] == "P-02-04-M2"]
            assert vaccination["provision"] == "licence" and vaccination["licence_number"] == by_type[
                "vaccination-certificate"]["number"]
            assert verify_credential(vaccination["credential"], trust=trust, now=datetime.now(UTC), status=None).valid

        # 撤销: the health commission revokes the birth certificate; verification says so at once.
        birth_id = by_type["birth-medical-certificate"]["licence_id"]
        public = client.get(f"{urls['licence']}/licences/{birth_id}/verification").json()
        assert public["valid"] is True and public["status_checked"] is True
        revoke = f"/licences/{birth_id}/revocation"
        wrong, right = ('{"reason_zh": "信息有误"}'.encode(), '{"reason_zh": "出生医学证明信息有误，依法撤销"}'.encode())
        assert client.post(f"{urls['licence']}{revoke}", content=wrong,
                           headers=signed("dept.police", "POST", revoke, wrong)).status_code == 403
        done = client.post(f"{urls['licence']}{revoke}", content=right, headers=signed("dept.health", "POST", revoke, right))
        assert done.status_code == 200, done.text
        public = client.get(f"{urls['licence']}/licences/{birth_id}/verification").json()
        assert (public["valid"], public["reason"], public["message_zh"]) == (False, "revoked", "证照已被签发机关撤销")
        credential = client.get(f"{urls['licence']}/licences/{birth_id}/credential",
                                headers=signed("intake", "GET", f"/licences/{birth_id}/credential")).json()
        assert client.post(f"{urls['licence']}/verify", json=credential).json()["reason"] == "revoked"
        status = [w for w in asyncio.run(_read_topic(postgres_system.bootstrap, CASE_STREAM.name))
                  if w["type"] == "licence.licence.status_changed" and w["subject"] == case_id]
        assert [w["data"]["state"] for w in status] == ["revoked"]
        deadline = time.monotonic() + 20  # the birth case's own history records it too
        while not any(t["kind"] == "licence_revoked" for t in client.get(f"{urls['intake']}/cases/{case_id}").json()["timeline"]):
            assert time.monotonic() < deadline, "the case view never showed the revocation"
            time.sleep(0.2)


async def _every_record(bootstrap: str) -> dict[str, list[bytes]]:
    """Every record of every topic on the broker, as the bytes of its key, value and headers."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        names = sorted(await consumer.topics())
        tps = [TopicPartition(t, p) for t in names for p in consumer.partitions_for_topic(t) or []]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        out: dict[str, list[bytes]] = {t: [] for t in names}
        idle = 0
        while idle < 3:
            batch = await consumer.getmany(timeout_ms=500)
            idle = 0 if batch else idle + 1
            for tp, rs in batch.items():
                out[tp.topic].extend(b"\n".join([r.key or b"", r.value or b"", *(v for _, v in r.headers)]) for r in rs)
        return out
    finally:
        await consumer.stop()


def _restricted(name: str) -> bool:
    """Whether the registry lets ``name`` carry personal data (a dead-letter topic as its source)."""
    base = name.split(".dlq.")[0]
    try:
        spec = topic(base)
    except KeyError:
        return name != base  # the dead letters of a topic not in the registry: assume the worst
    return spec.restricted


_PERSONAL_FIELD = re.compile(r"(name|id_number|phone|mobile|address|account)$")


def test_personal_data_is_only_on_the_restricted_topics_and_never_in_the_logs(
    postgres_system: System, span_sink: SpanSink
) -> None:
    """数据最小化 (PIPL): the applicants' names, ID numbers, phones, addresses and accounts reach the departments
    that need them (restricted topics), never the case stream, figures, security events, any log or any span the
    services export."""
    result = asyncio.run(run_demo(postgres_system.url("intake"), postgres_system.bootstrap, 4, seed=515,
                                  timeout_s=180, quiet=True, tokens=postgres_system.tokens,
                                  rating_url=postgres_system.url("rating")))
    assert result.ok
    personal: set[str] = set()
    cases: set[str] = set()
    for wire in asyncio.run(_read_topic(postgres_system.bootstrap, CASE_DOSSIER.name)):
        if wire["type"] != "intake.case.accepted":
            continue
        data = wire["data"]
        cases.add(wire["subject"])
        parties = [data["applicant"], *([data["proxy"]] if data.get("proxy") else [])]
        personal |= {str(v) for p in parties for k, v in p.items() if v and _PERSONAL_FIELD.search(k)}
        personal |= {str(v) for k, v in data["form"].items() if v and _PERSONAL_FIELD.search(k)}
    personal = {v for v in personal if len(v) >= 2}
    assert len(personal) > 20, personal  # the scan has something to find

    records = asyncio.run(_every_record(postgres_system.bootstrap))
    open_topics = [t for t in records if not _restricted(t)]
    assert {CASE_STREAM.name, RATING_FIGURES.name} <= set(open_topics)
    found = {(t, value) for t in open_topics for record in records[t] for value in personal
             if value.encode() in record}
    assert not found, sorted(found)[:20]
    assert any(records[t] for t in records if _restricted(t)), "the departments did get what they need"

    logs = {p.name: p.read_text(errors="replace") for p in (postgres_system.data_dir / "logs").glob("*.log")}
    assert logs
    leaked = {(name, value) for name, text in logs.items() for value in personal if value in text}
    assert not leaked, sorted(leaked)[:20]

    spans = span_sink.settled()  # OTLP protobuf as exported: strings travel in it as UTF-8 bytes
    assert any(case_id.encode() in body for body in spans for case_id in cases), "the spans name the cases"
    traced = {value for body in spans for value in personal if value.encode() in body}
    assert not traced, sorted(traced)[:20]
