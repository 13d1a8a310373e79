"""The licence API on the real database: public verification (by credential, QR and id), status lists,
revocation and suspension by the issuing department only, and holder archives behind signed access."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlmodel import select

from contracts.envelope import Envelope
from contracts.topics import CASE_STREAM, LICENCE_EVENTS
from credentials.carriers import credential_from_pdf
from credentials.licence import LicenceClaims, licence_credential
from credentials.proof import IssuerKey
from credentials.status import StatusList, StatusPurpose, status_entries, status_list_credential
from credentials.trust import TrustList, issuer_id_for
from credentials.verify import status_list_of
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.ed25519 import SigningKey
from exchange.request_signing import REQUIRED_HEADERS, sign_request
from exchange.testing.access import TestTokens
from exchange.testing.outbox import outbox
from licence.adapters.tables import ArchiveReadRow, StatusChangeRow
from licence.domain.licences import licence_id_for
from licence.service_layer.issuers import Issuers
from licence.service_layer.verification import MAX_STATUS_LIST_BYTES, Verifier

pytestmark = pytest.mark.integration
LID = licence_id_for("C-1", "P-01-01")


async def credential_of(client: Any) -> dict[str, Any]:
    got = await client("intake").get(f"/licences/{LID}")
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()["credential"]
    return body


async def reason(client: Any, document: Any) -> str:
    got = await client(None).post("/verify", json=document)
    assert got.status_code == 200, got.text
    return str(got.json()["reason"])


async def test_public_verification_gives_each_failure_its_own_reason(client: Any, approve: Any) -> None:
    await approve()
    credential = await credential_of(client)
    assert await reason(client, credential) == "valid"
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["holderName"] = "李四"
    assert await reason(client, tampered) == "tampered"
    stranger = IssuerKey(issuer_id_for("999999", "health"), SigningKey.generate())
    impostor = IssuerKey(issuer_id_for("430100", "health"), SigningKey.generate())
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    stranger_doc = {**unsigned, "issuer": {"id": stranger.issuer_id, "name": "某地卫健委"}}
    assert await reason(client, stranger.sign(stranger_doc, created=datetime.now(UTC))) == "untrusted_issuer"
    assert await reason(client, impostor.sign(unsigned, created=datetime.now(UTC))) == "wrong_key"
    assert await reason(client, {"not": "a licence"}) == "malformed"
    by_qr = await client(None).post("/verify", json={"qr": (await client("intake").get(f"/licences/{LID}")).json()["qr_payload"]})
    assert by_qr.json()["reason"] == "valid" and by_qr.json()["status_checked"] is True
    bad_qr = await client(None).post("/verify", json={"qr": "OT1:%%%"})
    assert bad_qr.status_code == 422 and bad_qr.json()["detail"]["message_zh"] == "二维码内容无法识别"


async def test_revocation_is_final_and_fails_verification_at_once(
    client: Any, approve: Any, licence_db: Database, holder: str
) -> None:
    await approve()
    credential = await credential_of(client)
    body = {"reason_zh": "出生医学证明信息有误，依法撤销"}
    refused = await client("dept.police").post(f"/licences/{LID}/revocation", json=body)
    assert refused.status_code == 403 and "签发机关" in refused.json()["detail"]["message_zh"]
    assert (await client(None).post(f"/licences/{LID}/revocation", json=body)).status_code == 401

    done = await client("dept.health").post(f"/licences/{LID}/revocation", json=body)
    assert done.status_code == 200 and done.json()["state"] == "revoked"
    assert await reason(client, credential) == "revoked"
    by_id = (await client(None).get(f"/licences/{LID}/verification")).json()
    assert by_id["reason"] == "revoked" and by_id["message_zh"] == "证照已被签发机关撤销"
    again = await client("dept.health").post(f"/licences/{LID}/reinstatement", json={"reason_zh": "误撤"})
    assert again.status_code == 409 and "不可恢复" in again.json()["detail"]["message_zh"]

    async with licence_db.sessions() as session:
        changes = (await session.exec(select(StatusChangeRow))).all()
    assert [(c.action, c.actor, c.reason_zh) for c in changes] == [("revoke", "dept.health", body["reason_zh"])]
    events = [r for r in await outbox(licence_db) if r.envelope["type"] == "licence.licence.status_changed"]
    assert sorted((r.topic, r.key) for r in events) == sorted([(CASE_STREAM.name, "C-1"), (LICENCE_EVENTS.name, holder)])
    assert len({r.event_id for r in events}) == 1, "one fact, one envelope, on both topics"
    assert Envelope.model_validate(events[0].envelope).data["state"] == "revoked"


async def test_suspension_fails_verification_until_reinstated(client: Any, approve: Any) -> None:
    await approve()
    credential = await credential_of(client)
    health = client("dept.health")
    assert (await health.post(f"/licences/{LID}/suspension", json={"reason_zh": "核查中"})).json()["state"] == "suspended"
    assert await reason(client, credential) == "suspended"
    assert (await health.post(f"/licences/{LID}/reinstatement", json={"reason_zh": "核查无误"})).json()["state"] == "active"
    assert await reason(client, credential) == "valid"


async def test_published_status_lists_are_signed_and_show_the_bits(client: Any, approve: Any, issuers: Issuers) -> None:
    await approve("C-1")
    await approve("C-2")
    await client("dept.health").post(f"/licences/{licence_id_for('C-2', 'P-01-01')}/revocation", json={"reason_zh": "撤销"})
    url = "http://licence.test/status-lists/health/revocation/0"
    published = (await client(None).get("/status-lists/health/revocation/0")).json()
    bits = status_list_of(published, url=url, issuer=issuers.trust_list().issuers[issuers.issuer_id("health")],
                          purpose=StatusPurpose.REVOCATION)
    assert bits is not None and (bits.is_set(0), bits.is_set(1)) == (False, True)
    assert (await client(None).get("/status-lists/nobody/revocation/0")).status_code == 404
    trust = (await client(None).get("/trust-list")).json()
    assert "urn:onething:issuer:cn-430100:health" in {i["id"] for i in trust["issuers"]}


async def test_archives_need_a_signed_reader_and_every_read_is_recorded(
    client: Any, approve: Any, licence_db: Database, holder: str
) -> None:
    await approve("C-1")
    await approve("C-2", "E-01-01", department="market", licence_type="business-licence")
    anonymous = await client(None).get(f"/holders/{holder}/licences")
    assert anonymous.status_code == 401 and anonymous.json()["detail"]["problem"] == "missing"
    assert anonymous.json()["detail"]["required_headers"] == list(REQUIRED_HEADERS)  # a token, or these
    assert (await client("registry.population").get(f"/holders/{holder}/licences")).status_code == 403
    assert (await client(None).get(f"/licences/{LID}")).status_code == 401
    archive = await client("dept.police").get(f"/holders/{holder}/licences")
    assert archive.status_code == 200
    assert {lic["licence_type"] for lic in archive.json()} == {"birth-medical-certificate", "business-licence"}
    assert {(lic["name_zh"], lic["name_en"]) for lic in archive.json()} >= {("出生医学证明", "Birth medical certificate")}, \
        "named as the holder reads it, beside the type's code"
    async with licence_db.sessions() as session:
        reads = (await session.exec(select(ArchiveReadRow))).all()
    assert [(r.holder_id, r.principal, r.purpose) for r in reads] == [(holder, "dept.police", "办理出生一件事：核验出生医学证明")]


async def test_a_holder_reads_their_own_licences_with_a_token_and_nobody_elses(
    client: Any, approve: Any, licence_db: Database, holder: str, tokens: TestTokens
) -> None:
    await approve("C-1")
    own, stranger = tokens.headers(Role.APPLICANT, id_number=holder), tokens.headers(Role.APPLICANT)
    http = client(None)
    assert (await http.get(f"/licences/{LID}", headers=own)).status_code == 200
    assert (await http.get(f"/licences/{LID}/pdf", headers=own)).headers["content-type"] == "application/pdf"
    assert [lic["licence_id"] for lic in (await http.get(f"/holders/{holder}/licences", headers=own)).json()] == [LID]
    assert (await http.get(f"/licences/{LID}", headers=stranger)).status_code == 404, "as an unknown licence"
    assert (await http.get(f"/holders/{holder}/licences", headers=stranger)).json() == [], "as an empty archive"
    assert (await http.get(f"/licences/{LID}", headers=tokens.headers(Role.CLERK))).status_code == 403
    async with licence_db.sessions() as session:
        reads = (await session.exec(select(ArchiveReadRow))).all()
    assert {(r.principal, r.purpose) for r in reads} == {(f"applicant.{holder}", "持证人本人查阅")}, \
        "the holder's own reads are recorded too; the refused ones are not"


async def test_a_forged_signature_or_stale_date_is_refused(client: Any, approve: Any, keyring: Any,
                                                          holder: str) -> None:
    await approve()
    http, path = client(None), f"/holders/{holder}/licences"
    headers = {**sign_request(keyring.signer("dept.police"), "GET", path, purpose="x"), "Signature": "onething=:AAAA:"}
    forged = await http.get(path, headers=headers)
    assert forged.status_code == 401 and forged.json()["detail"]["problem"] == "bad_signature"
    assert forged.headers["accept-signature"].startswith('onething=("@method"')
    stale = sign_request(keyring.signer("dept.police"), "GET", path, purpose="x", at=datetime(2020, 1, 1, tzinfo=UTC))
    assert "时间" in (await http.get(path, headers=stale)).json()["detail"]["message_zh"]


async def test_a_request_without_its_purpose_is_told_which_header_is_missing(
    client: Any, approve: Any, keyring: Any, holder: str
) -> None:
    """The 401 names OneThing-Purpose, in Chinese and English, and every header a signed request needs."""
    await approve()
    path = f"/holders/{holder}/licences"
    headers = sign_request(keyring.signer("dept.police"), "GET", path, purpose="核验出生医学证明")
    del headers["OneThing-Purpose"]
    refused = await client(None).get(path, headers=headers)
    assert refused.status_code == 401
    detail = refused.json()["detail"]
    assert (detail["problem"], detail["headers"]) == ("missing_headers", ["OneThing-Purpose"])
    assert detail["message_zh"].startswith("缺少请求头 OneThing-Purpose")
    assert detail["message_en"].startswith("missing header OneThing-Purpose")
    for name in REQUIRED_HEADERS:
        assert name in detail["message_zh"] and name in detail["message_en"]
    assert detail["required_headers"] == list(REQUIRED_HEADERS)


async def test_a_signed_write_can_be_neither_altered_nor_replayed(client: Any, approve: Any, keyring: Any) -> None:
    await approve()
    http, path = client(None), f"/licences/{LID}/suspension"
    body = '{"reason_zh": "核查中"}'.encode()
    headers = {**sign_request(keyring.signer("dept.health"), "POST", path, purpose="核查", body=body),
               "content-type": "application/json"}
    altered = await http.post(path, content='{"reason_zh": "伪造的原因"}'.encode(), headers=headers)
    assert altered.status_code == 401 and altered.json()["detail"]["headers"] == ["Content-Digest"]
    assert altered.json()["detail"]["message_zh"].startswith("请求头 Content-Digest 与请求体不符")
    assert (await http.post(path, content=body, headers=headers)).json()["state"] == "suspended"
    await client("dept.health").post(f"/licences/{LID}/reinstatement", json={"reason_zh": "核查无误"})
    replayed = await http.post(path, content=body, headers=headers)  # the captured suspension, sent again
    assert replayed.status_code == 401 and replayed.json()["detail"]["problem"] == "replayed"
    assert replayed.json()["detail"]["headers"] == ["Signature-Input"]
    assert (await client(None).get(f"/licences/{LID}/verification")).json()["reason"] == "valid"


async def test_the_printable_pdf_carries_a_credential_that_verifies(client: Any, approve: Any) -> None:
    await approve()
    pdf = await client("intake").get(f"/licences/{LID}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert await reason(client, credential_from_pdf(pdf.content)) == "valid"


def recognising_shenzhen(keyring: Any) -> tuple[IssuerKey, Issuers]:
    """Shenzhen's health commission (another region) and this region's issuers, which recognise it (互认)."""
    shenzhen = IssuerKey(issuer_id_for("440300", "health"), SigningKey.generate())
    published = {"issuers": [{"id": shenzhen.issuer_id, "name_zh": "深圳市卫生健康委员会", "region": "440300",
                              "status_list_base": "https://licence.sz.example/status-lists/health/",
                              "keys": [{"publicKeyMultibase": shenzhen.public_key_multibase}]}]}
    return shenzhen, Issuers(keyring, region="430100", region_name_zh="长沙市", public_url="http://licence.test",
                             recognised=TrustList.from_json(published, local=False))


async def test_another_regions_licence_verifies_with_its_published_status_list(
    licence_db: Database, keyring: Any
) -> None:
    """互认 (LIC-04): Shenzhen's health commission is on the trust list; its status list is fetched and cached."""
    shenzhen, issuers = recognising_shenzhen(keyring)
    now = datetime.now(UTC)
    claims = LicenceClaims(licence_id="f00", licence_type="birth-medical-certificate", licence_name_zh="出生医学证明",
                           number="SZ-1", holder_id="440304202601010011", holder_name="陈一", case_id="SZ-C",
                           item_code="X", valid_from=now)
    base = "https://licence.sz.example"
    credential = licence_credential(claims, key=shenzhen, issuer_name_zh="深圳市卫生健康委员会",
                                    credential_status=status_entries(base, "health", 3), issued_at=now)
    revoked: set[int] = set()
    fetched: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        purpose = StatusPurpose(str(request.url).split("/")[-2])
        bits = StatusList.with_set(revoked if purpose is StatusPurpose.REVOCATION else ())
        return httpx.Response(200, json=status_list_credential(url=str(request.url), purpose=purpose, status=bits,
                                                               key=shenzhen, issued_at=now))

    async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as http:
        verifier = Verifier(licence_db, issuers, http=http, remote_ttl_s=60)
        result = await verifier.verify(credential, now=now)
        assert result.valid and result.recognised and result.status_checked
        revoked.add(3)
        assert (await verifier.verify(credential, now=now)).valid  # cached for the TTL
        assert len(fetched) == 2
        fresh = Verifier(licence_db, issuers, http=http, remote_ttl_s=60)
        assert (await fresh.verify(credential, now=now)).reason == "revoked"
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(503))) as down:
        unreachable = await Verifier(licence_db, issuers, http=down).verify(credential, now=now)
        assert unreachable.reason == "status_unavailable" and not unreachable.valid


async def test_status_lists_are_fetched_only_from_where_the_issuer_publishes_them_and_only_for_a_sound_credential(
    licence_db: Database, keyring: Any
) -> None:
    """No request leaves for a credential that names a status list elsewhere (an internal address, say), for a
    tampered credential, past a redirect, or beyond the size limit: each reads as status unavailable."""
    shenzhen, issuers = recognising_shenzhen(keyring)
    now = datetime.now(UTC)
    claims = LicenceClaims(licence_id="f01", licence_type="birth-medical-certificate", licence_name_zh="出生医学证明",
                           number="SZ-2", holder_id="440304202601010011", holder_name="陈一", case_id="SZ-D",
                           item_code="X", valid_from=now)

    def credential_at(base: str) -> dict[str, Any]:
        return licence_credential(claims, key=shenzhen, issuer_name_zh="深圳市卫生健康委员会",
                                  credential_status=status_entries(base, "health", 1), issued_at=now)

    fetched: list[str] = []
    reply: dict[str, Any] = {"status": 200, "pad": 0, "location": None}

    def serve(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        if reply["location"]:
            return httpx.Response(302, headers={"location": reply["location"]})
        purpose = StatusPurpose(str(request.url).split("/")[-2])
        body = status_list_credential(url=str(request.url), purpose=purpose, status=StatusList.with_set(()),
                                      key=shenzhen, issued_at=now)
        if reply["pad"]:
            body["padding"] = "x" * reply["pad"]
        return httpx.Response(reply["status"], json=body)

    async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as http:
        verifier = Verifier(licence_db, issuers, http=http, remote_ttl_s=0)
        elsewhere = await verifier.verify(credential_at("http://169.254.169.254/latest"), now=now)
        assert elsewhere.reason == "status_unavailable" and fetched == []

        tampered = credential_at("https://licence.sz.example")
        tampered["credentialSubject"] = {**tampered["credentialSubject"], "number": "SZ-999"}
        assert (await verifier.verify(tampered, now=now)).reason == "tampered" and fetched == []

        reply["location"] = "http://169.254.169.254/latest/meta-data"
        redirected = await verifier.verify(credential_at("https://licence.sz.example"), now=now)
        assert redirected.reason == "status_unavailable" and all("169.254" not in u for u in fetched)

        reply.update(location=None, pad=MAX_STATUS_LIST_BYTES)
        assert (await verifier.verify(credential_at("https://licence.sz.example"), now=now)).reason == \
            "status_unavailable"
        reply.update(pad=0)
        assert (await verifier.verify(credential_at("https://licence.sz.example"), now=now)).valid
