"""How a simulated department decides (pure, deterministic from the seed)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from contracts.dispatch.v1 import Outcome

__all__ = ["Decision", "Rates", "decide", "document_number"]


@dataclass(frozen=True, slots=True)
class Rates:
    approve: float
    reject: float
    correction: float
    latency_ms_min: int
    latency_ms_max: int


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    latency_ms: int
    reason_zh: str | None
    reason_en: str | None


def _unit(seed: int, *parts: str) -> float:
    digest = hashlib.sha256("|".join((str(seed), *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def decide(seed: int, rates: Rates, case_id: str, item_code: str, attempt: int) -> Decision:
    """The same (seed, case, item, attempt) always gets the same decision.

    A corrected re-submission (attempt > 1) is never sent back for correction again: the
    applicant supplied what was asked (一次补正).
    """
    u = _unit(seed, case_id, item_code, str(attempt))
    spread = rates.latency_ms_max - rates.latency_ms_min
    latency = rates.latency_ms_min + int(_unit(seed, "latency", case_id, item_code, str(attempt)) * spread)
    correction = rates.correction if attempt == 1 else 0.0
    if u < correction:
        return Decision(Outcome.NEEDS_CORRECTION, latency, "申请材料需补正：请补充清晰的证明材料",
                        "Materials need correction: please supply a legible proof")
    if u < correction + rates.reject:
        return Decision(Outcome.REJECTED, latency, "不符合受理条件", "Acceptance conditions are not met")
    return Decision(Outcome.APPROVED, latency, None, None)


def document_number(department: str, case_id: str, item_code: str) -> str:
    """The number of the result document (证照/批文编号) a department hands back."""
    digest = hashlib.sha256(f"{department}|{case_id}|{item_code}".encode()).hexdigest()[:10].upper()
    return f"{department.upper()}-{item_code}-{digest}"
