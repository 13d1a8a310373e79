"""How a simulated department decides (部门决定，纯函数): pure, deterministic from the seed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from contracts.department.v2 import Decision as Ruling
from contracts.department.v2 import Finding
from contracts.dispatch.v1 import ReviewRequested
from contracts.intake.v1 import MaterialProvision
from simulators.draws import unit

__all__ = ["Decision", "Rates", "ReviewDecision", "decide", "decide_review", "document_number"]


@dataclass(frozen=True, slots=True)
class Rates:
    reject: float  # share of items rejected at handling (不予); the rest are approved
    correction: float  # share of items with deficiencies in the first preliminary review (预审补正)
    latency_ms_min: int
    latency_ms_max: int


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Ruling
    latency_ms: int
    reason_zh: str | None
    reason_en: str | None


@dataclass(frozen=True, slots=True)
class ReviewDecision:
    """预审结论 a preliminary review's answer: nothing found, or what to correct."""

    deficiencies: tuple[Finding, ...]
    latency_ms: int


_MATERIAL_REASONS = (
    ("材料不清晰，请重新提交", "the material is not legible; please submit it again"),
    ("材料缺页或不完整，请补齐后重新提交", "pages of the material are missing; please submit it complete"),
    ("材料已超过有效期，请提交有效期内的材料", "the material has expired; please submit a valid one"),
    ("材料未加盖公章或未签字，请补充后重新提交", "the material lacks a seal or signature; please resubmit it signed"),
)
_FIELD_REASONS = (
    ("填写内容与证明材料不一致，请核对后更正", "does not match the supporting materials; please check and correct it"),
    ("填写内容不完整，请补充完整", "is incomplete; please complete it"),
)


def _unit(seed: int, *parts: str) -> float:
    return unit(str(seed), *parts)


def _latency(seed: int, rates: Rates, *parts: str) -> int:
    spread = rates.latency_ms_max - rates.latency_ms_min
    return rates.latency_ms_min + int(_unit(seed, "latency", *parts) * spread)


def decide(seed: int, rates: Rates, case_id: str, item_code: str, attempt: int) -> Decision:
    """办理决定: the same (seed, case, item, attempt) always gets the same decision, approve or reject.

    Never needs-correction: deficiencies are found in preliminary review only (预审, R-14, one
    consolidated correction), so the correction share of the rates is approved here.
    """
    u = _unit(seed, case_id, item_code, str(attempt))
    latency = _latency(seed, rates, case_id, item_code, str(attempt))
    if u < rates.reject:
        return Decision(Ruling.REJECTED, latency, "不符合受理条件", "Acceptance conditions are not met")
    return Decision(Ruling.APPROVED, latency, None, None)


FieldLabel = Callable[[str, str], tuple[str, str] | None]  # (item code, field name) → the form's label, zh and en


def decide_review(seed: int, rates: Rates, request: ReviewRequested,
                  label: FieldLabel = lambda _item, _name: None) -> ReviewDecision:
    """预审决定: deficiencies with probability ``rates.correction``, in round 1 only (一次性告知补正).

    One or two of them: uploaded materials (申请人提交的材料) when the item has any, else form fields, named by
    their label on the form (``label``) as a department's reviewer would write, else by their name.
    The same (seed, case, item, round) always gets the same answer.
    """
    parts = (request.case_id, request.item_code, str(request.round))
    latency = _latency(seed, rates, "review", *parts)
    if request.round != 1 or _unit(seed, "review", *parts) >= rates.correction:
        return ReviewDecision((), latency)
    uploads = {m.code: m.name_zh for m in request.materials if m.provision is MaterialProvision.UPLOAD}
    kind: Literal["material", "field"] = "material" if uploads else "field"
    names = uploads if uploads else {key: key for key in request.form}
    wanted = 1 if _unit(seed, "review-count", *parts) < 0.5 else 2
    chosen = sorted(names, key=lambda code: _unit(seed, "review-pick", *parts, code))[:wanted]
    found = []
    for code in sorted(chosen):
        reasons = _MATERIAL_REASONS if kind == "material" else _FIELD_REASONS
        zh, en = reasons[int(_unit(seed, "review-reason", *parts, code) * len(reasons))]
        if kind == "material":
            reason_zh, reason_en = f"{names[code]}：{zh}", f"Material {code}: {en}"
        else:
            zh_name, en_name = label(request.item_code, code) or (code, code)
            reason_zh, reason_en = f"表单字段「{zh_name}」{zh}", f"Form field “{en_name}” {en}"
        found.append(Finding(kind=kind, code=code, reason_zh=reason_zh, reason_en=reason_en))
    return ReviewDecision(tuple(found), latency)


def document_number(department: str, case_id: str, item_code: str) -> str:
    """The number of the result document (证照/批文编号) a department hands back."""
    digest = hashlib.sha256(f"{department}|{case_id}|{item_code}".encode()).hexdigest()[:10].upper()
    return f"{department.upper()}-{item_code}-{digest}"
