"""Plausible, valid demo applications (演示申请) for any one-thing, generated from its one-time notice.

The notice lists the one form's fields (with types and options) and the one set of materials, so
the generator needs no per-one-thing code. Identifiers carry correct check characters (GB 11643,
GB 32100).
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta
from typing import Any

from contracts.days import china_today
from contracts.identifiers import make_resident_id, make_uscc

__all__ = ["application_for", "correction_for", "field_value"]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
_GIVEN = ["子涵", "欣怡", "梓萱", "浩然", "宇轩", "一诺", "依诺", "沐宸", "若汐", "梓睿", "思远", "嘉怡"]
_ADDRESSES = ["湖南省长沙市岳麓区麓山南路1号", "湖南省衡阳市蒸湘区解放大道8号", "湖南省郴州市北湖区国庆南路3号"]
_REGIONS = ["430104", "430405", "431002"]
_FIRMS = ["湘江", "麓山", "南岳", "洞庭", "芙蓉", "橘洲"]
_TRADES = ["科技", "商贸", "建设", "餐饮", "物流", "文化"]
_CHANNELS = ["window", "portal", "mobile", "kiosk", "12345"]


def _person_name(rng: random.Random) -> str:
    return f"{rng.choice(_SURNAMES)}{rng.choice(_GIVEN)}"


def _past_date(rng: random.Random, years: int = 30) -> date:
    return china_today() - timedelta(days=rng.randrange(1, 365 * years))


def field_value(spec: dict[str, Any], rng: random.Random) -> str:
    """A valid value for one field of the one form (from the notice's ``form`` list)."""
    name, kind = spec["name"], spec["type"]
    if kind == "enum":
        return str(rng.choice(spec["options"]))
    if kind == "date":
        return (china_today() - timedelta(days=rng.randrange(1, 20))).isoformat() if "birth" in name \
            else _past_date(rng, 3).isoformat()
    if kind == "number":
        return str(rng.randrange(1, 500) * 10)
    if kind == "phone":
        return f"139{rng.randrange(10**8):08d}"
    if kind == "resident_id":
        return make_resident_id(rng.choice(_REGIONS), _past_date(rng, 40) - timedelta(days=365 * 20), rng.randrange(1000))
    if kind == "uscc":
        return make_uscc(rng.choice(_REGIONS), rng.randrange(10**9))
    if "address" in name or "location" in name or "site" in name:
        return rng.choice(_ADDRESSES)
    if "enterprise_name" in name or "company" in name:
        return f"湖南{rng.choice(_FIRMS)}{rng.choice(_TRADES)}有限公司"
    if name.endswith("_name") or name == "legal_representative":
        return _person_name(rng)
    return f"{spec['label_zh']}（演示）"


def _document(rng: random.Random) -> str:
    return "sha256:" + hashlib.sha256(rng.randbytes(16)).hexdigest()


def application_for(notice: dict[str, Any], rng: random.Random, n: int, *,
                    prefilled: dict[str, Any] | None = None, draft_id: str | None = None,
                    applicant_id: str | None = None) -> dict[str, Any]:
    """An application for the notice's selection; every few cases use 容缺, 告知承诺, a proxy, the fast track."""
    organisation = notice["applicant_kind"] == "organisation"
    if applicant_id is None:
        applicant_id = applicant_identity(notice, rng)
    prefilled = prefilled or {}
    form = {f["name"]: field_value(f, rng) for f in notice["form"] if f["name"] not in prefilled}
    materials: dict[str, Any] = {}
    for m in notice["materials"]:
        if not m["submit"]:
            continue  # 共享获取，免提交
        if m["tolerable"] and n % 4 == 1:
            materials[m["code"]] = {"provision": "deferred"}
        elif m["commitment_allowed"] and n % 4 == 2:
            materials[m["code"]] = {"provision": "commitment"}
        else:
            materials[m["code"]] = {"provision": "upload", "document": _document(rng)}
    channel = _CHANNELS[n % len(_CHANNELS)]
    address = rng.choice(_ADDRESSES)
    body: dict[str, Any] = {
        "bundle_code": notice["bundle_code"],
        "applicant": {"name": f"湖南{rng.choice(_FIRMS)}{rng.choice(_TRADES)}有限公司" if organisation
                      else _person_name(rng), "id_number": applicant_id,
                      "phone": f"139{rng.randrange(10**8):08d}"},
        "form": form,
        "materials": materials,
        "channel": channel,
        "delivery": {"method": "mail", "address": address} if n % 2 == 0 else {"method": "window"},
        "fast_track": n % 6 == 3,
    }
    # Where it is accepted: the window, kiosk or hotline seat whose clerk token (开发用凭据) submits it; the
    # service takes channel, window and staff from that token, so the body says the same.
    if channel in ("window", "kiosk"):
        body["window_id"] = f"{'W' if channel == 'window' else 'K'}{n % 8 + 1:02d}"
    if channel == "window":
        body["staff_id"] = f"S{n % 8 + 1:03d}"
    if channel == "12345":
        body["staff_id"] = "S101"
    if n % 5 == 4:
        body["proxy"] = {"name": _person_name(rng), "id_number": field_value({"name": "p", "type": "resident_id"}, rng),
                         "role": "volunteer", "circumstances": ["elderly"]}
    if draft_id:
        body["draft_id"], body["prefill_confirmed"] = draft_id, True
    return body


def applicant_identity(notice: dict[str, Any], rng: random.Random) -> str:
    if notice["applicant_kind"] == "organisation":
        return make_uscc(rng.choice(_REGIONS), rng.randrange(10**9))
    return make_resident_id(rng.choice(_REGIONS), _past_date(rng, 40) - timedelta(days=365 * 20), rng.randrange(1000))


def correction_for(notice: dict[str, Any], correction: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The one correction: a new value for each listed field, a new document for each listed material."""
    specs = {f["name"]: f for f in notice["form"]}
    submit_code = {code: m["code"] for m in notice["materials"] for code in m["item_material_codes"]}
    form, materials = {}, {}
    for d in correction["deficiencies"]:
        if d["kind"] == "field" and d["code"] in specs:
            form[d["code"]] = field_value(specs[d["code"]], rng)
        elif d["kind"] == "material":
            materials[submit_code.get(d["code"], d["code"])] = {"provision": "upload", "document": _document(rng)}
    return {"form": form, "materials": materials}
