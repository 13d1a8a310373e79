"""The verification page (证照验真) at ``/`` and the public route it calls, ``POST /verify/document``: a licence
presented as its QR payload, its credential or its PDF, answered with the verdict and, when the issuer's
signature holds, the particulars with the holder masked."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from licence.domain.licences import licence_id_for, masked_holder_id, masked_holder_name

pytestmark = pytest.mark.integration
LID = licence_id_for("C-1", "P-01-01")


async def present(client: Any, body: bytes | str, content_type: str = "text/plain; charset=utf-8") -> Any:
    data = body.encode() if isinstance(body, str) else body
    got = await client(None).post("/verify/document", content=data, headers={"Content-Type": content_type})
    return got


async def test_the_page_and_its_assets_are_served_with_the_shell_and_a_same_origin_policy(client: Any) -> None:
    page = await client(None).get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "证照验真" in page.text and 'lang="zh-CN"' in page.text
    assert "<script>" not in page.text, "no inline script: the policy forbids it"
    for asset, kind in [("/verify-page/verify.js", "text/javascript"), ("/verify-page/verify.css", "text/css"),
                        ("/shell/shell.js", "text/javascript"), ("/shell/shell.css", "text/css")]:
        got = await client(None).get(asset)
        assert got.status_code == 200 and got.headers["content-type"].startswith(kind), asset
        assert got.headers["x-content-type-options"] == "nosniff"
    assert "/" not in (await client(None).get("/openapi.json")).json()["paths"]
    assert (await client(None).get("/verify-page/index.html")).status_code == 404  # only at /, with the policy


async def test_a_genuine_licence_verifies_by_qr_json_and_pdf_with_its_particulars_masked(
    client: Any, approve: Any, holder: str
) -> None:
    await approve()
    licence = (await client("intake").get(f"/licences/{LID}")).json()
    pdf = (await client("intake").get(f"/licences/{LID}/pdf")).content
    answers = [await present(client, licence["qr_payload"]),
               await present(client, json.dumps(licence["credential"], ensure_ascii=False), "application/json"),
               await present(client, pdf, "application/pdf"),
               await present(client, b"\xef\xbb\xbf  " + licence["qr_payload"].encode() + b"\n")]  # BOM, spaces
    for got in answers:
        assert got.status_code == 200, got.text
        body = got.json()
        assert (body["valid"], body["reason"], body["status_checked"]) == (True, "valid", True)
        particulars = body["licence"]
        assert particulars["name_zh"] == "出生医学证明" and particulars["number"] == licence["number"]
        assert particulars["holder_name_masked"] == "张**" and particulars["holder_id_masked"] == "430102********0011"
        assert particulars["valid_from"] == licence["valid_from"] and particulars["valid_until"] == licence["valid_until"]
        assert (particulars["state"], particulars["state_zh"], particulars["state_en"]) == ("active", "有效", "in force")
        assert particulars["issuer_name_zh"] == body["issuer_name_zh"] and body["issuer_name_zh"]
    assert holder not in answers[0].text and "张小明" not in answers[0].text


async def test_a_tampered_licence_is_refused_with_no_particulars(client: Any, approve: Any) -> None:
    await approve()
    credential = (await client("intake").get(f"/licences/{LID}")).json()["credential"]
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["number"] = tampered["credentialSubject"]["number"][:-1] + "X"
    body = (await present(client, json.dumps(tampered), "application/json")).json()
    assert (body["valid"], body["reason"], body["licence"]) == (False, "tampered", None)
    assert body["message_zh"] == "电子签名验证失败：证照内容已被改动"


async def test_a_revoked_licence_shows_revoked_with_its_particulars(client: Any, approve: Any) -> None:
    await approve()
    qr = (await client("intake").get(f"/licences/{LID}")).json()["qr_payload"]
    await client("dept.health").post(f"/licences/{LID}/revocation", json={"reason_zh": "信息有误，依法撤销"})
    body = (await present(client, qr)).json()
    assert (body["valid"], body["reason"], body["status_checked"]) == (False, "revoked", True)
    assert (body["licence"]["state"], body["licence"]["state_zh"]) == ("revoked", "已撤销")
    assert "信息有误" not in json.dumps(body, ensure_ascii=False), "the issuer's reason is not published"


@pytest.mark.parametrize("given", [b"", b"   ", b"OT1:%%%", b"not json", b"[1, 2]", b"%PDF-1.4 broken",
                                   b"\xff\xfe\x00garbage"])
async def test_what_carries_no_licence_is_refused_saying_so(client: Any, given: bytes) -> None:
    got = await present(client, given, "application/octet-stream")
    assert got.status_code == 422, got.text
    detail = got.json()["detail"]
    assert detail["message_zh"].startswith("未能读出电子证照") and detail["message_en"].startswith("no licence could be read")


async def test_a_credential_that_is_no_licence_is_answered_malformed(client: Any) -> None:
    body = (await present(client, '{"not": "a licence"}', "application/json")).json()
    assert (body["valid"], body["reason"], body["licence"]) == (False, "malformed", None)


_PERSON, _ENTERPRISE = "430102199003070011", "91430100MA4L0XXX1X"


@pytest.mark.parametrize(("given", "holder_id", "masked"), [
    ("张小明", _PERSON, "张**"), ("李四", _PERSON, "李*"), ("王", _PERSON, "王"),
    ("阿卜杜热合曼·买买提", _PERSON, "阿*********"),  # a long personal name is still a person's
    ("长沙市岳麓区某某餐饮管理有限公司", _ENTERPRISE, "长沙市岳**********公司")])
def test_a_persons_name_keeps_its_first_character_and_an_enterprises_its_ends(given: str, holder_id: str,
                                                                              masked: str) -> None:
    assert masked_holder_name(given, holder_id) == masked


def test_id_numbers_keep_six_and_four() -> None:
    assert masked_holder_id("430102202611210011") == "430102********0011"
    assert masked_holder_id("91430100MA4L000000") == "914301********0000"
    assert masked_holder_id("P1234567") == "P1234567"
