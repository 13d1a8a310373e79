"""Example request bodies of intake's OpenAPI document: what a person types by hand at ``/docs``.

Each one is accepted by the real API (``tests/test_intake_api.py`` posts them from the served document), so they
cannot rot. They apply for P-01 新生儿出生一件事 with resident ID numbers whose check digits are right
(``contracts.identifiers.make_resident_id``), and chain: the draft pre-fills an application, the 容缺 case
takes the supplement, a case whose preliminary review asked for the signed form and the household address
takes the correction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.openapi.models import Example

from contracts.identifiers import make_resident_id

__all__ = ["BLACKLIST_EXAMPLES", "CASE_EXAMPLES", "CORRECTION_EXAMPLES", "DRAFT_EXAMPLES", "SUPPLEMENT_EXAMPLES"]

MOTHER_ID = make_resident_id("430104", date(1992, 5, 17), 24)  # 长沙市岳麓区, born 17 May 1992
FATHER_ID = make_resident_id("430104", date(1990, 8, 1), 17)
_DOCUMENT = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"  # a digest of the upload
_ADDRESS = "湖南省长沙市岳麓区麓山南路1号"

_FORM = {
    "newborn_name": "李小明",
    "newborn_sex": "男",
    "birth_date": "2025-10-08",
    "birth_hospital": "长沙市妇幼保健院",
    "mother_name": "王芳",
    "mother_id_number": MOTHER_ID,
    "father_name": "李强",
    "father_id_number": FATHER_ID,
    "household_address": _ADDRESS,
    "bank_account": "6222020200112233445",
}
_APPLICANT = {"name": "王芳", "id_number": MOTHER_ID, "phone": "13800138000"}


def _example(summary: str, description: str, value: dict[str, Any]) -> Example:
    return Example(summary=summary, description=description, value=value)


CASE_EXAMPLES: dict[str, Example] = {
    "window": _example(
        "综合窗口受理，材料齐全，免费寄递 At the window, every material, results by mail",
        "新生儿出生一件事的全部六个事项；三份须申请人提交的材料都已上传（其余由部门共享获取）。以窗口人员令牌提交："
        "渠道、窗口和受理人员取自令牌。"
        " All six items of P-01; the three materials the applicant submits are uploaded (the others are shared)."
        " Sent with a window clerk's token: channel, window and staff come from it.",
        {
            "bundle_code": "P-01",
            "applicant": _APPLICANT,
            "form": _FORM,
            "materials": {
                "P-01-01-M1": {"provision": "upload", "document": _DOCUMENT},
                "P-01-03-M4": {"provision": "upload", "document": _DOCUMENT},
                "P-01-05-M1": {"provision": "upload", "document": _DOCUMENT},
            },
            "delivery": {"method": "mail", "address": f"{_ADDRESS} 410006"},
        },
    ),
    "portal_tolerance": _example(
        "网上申请：容缺后补照片，告知承诺代替住所证明 Online, photo supplied later, a commitment for the residence proof",
        "照片在容缺清单上，可先受理后补齐（POST /cases/{id}/supplements）；住所证明以告知承诺代替。以申请人本人令牌提交。"
        " The photo is on the 容缺 list and follows later; a written commitment replaces the residence proof."
        " Sent with the applicant's own token.",
        {
            "bundle_code": "P-01",
            "applicant": _APPLICANT,
            "form": _FORM,
            "materials": {
                "P-01-01-M1": {"provision": "upload", "document": _DOCUMENT},
                "P-01-03-M4": {"provision": "commitment"},
                "P-01-05-M1": {"provision": "deferred"},
            },
            "channel": "portal",
            "delivery": {"method": "window"},
        },
    ),
}

DRAFT_EXAMPLES: dict[str, Example] = {
    "authorised": _example(
        "申请人授权调取共享数据预填 The applicant authorises the pre-fill",
        "以申请人本人令牌提交（统一身份认证即授权凭据）；人口库、电子证照库作答后，用返回的 draft_id 与 "
        "prefill_confirmed=true 提交 POST /cases。 Sent with the applicant's own token (the identity platform's proof is the"
        " authorisation); when the registries have answered, submit POST /cases with the draft_id and"
        " prefill_confirmed=true.",
        {"bundle_code": "P-01", "channel": "portal", "authorisation": {"granted": True}},
    ),
}

SUPPLEMENT_EXAMPLES: dict[str, Example] = {
    "photo": _example(
        "补齐容缺受理的照片 Supply the photo accepted missing",
        "用于按「portal_tolerance」示例受理的办件。 For a case accepted as in the 'portal_tolerance' example.",
        {"materials": {"P-01-05-M1": {"document": _DOCUMENT}}},
    ),
}

CORRECTION_EXAMPLES: dict[str, Example] = {
    "signed_form_and_address": _example(
        "答复补正告知：重签确认书、补全地址 Answer the notice: the signed form again, the full address",
        "只答复补正告知列出的内容（此处为材料 P-01-01-M1 与字段 household_address）。"
        " Answer only what the correction notice lists (here material P-01-01-M1 and field household_address).",
        {"form": {"household_address": f"{_ADDRESS}101室"},
         "materials": {"P-01-01-M1": {"provision": "upload", "document": _DOCUMENT}}},
    ),
}

BLACKLIST_EXAMPLES: dict[str, Example] = {
    "false_materials": _example(
        "提供虚假材料，列入黑名单 Listed for false materials",
        "被列入者不再享有绿色通道（R-22）。列入人取自监察人员的令牌。 A listed applicant gets no fast track (R-22);"
        " who listed them is the supervisor whose token asks.",
        {"id_number": make_resident_id("430102", date(1985, 3, 3), 31), "reason_zh": "提供虚假材料",
         "reason_en": "false materials"},
    ),
}
