"""帮办代办 and the blacklist gate (R-21, R-22). Pure.

* A proxy case (帮办代办) is free of charge when the applicant is elderly, weak, sick, disabled,
  pregnant or from a poor household, or when the item is not in the centre or involves upper- or
  lower-level authority. The proxy's identity is recorded with the case.
* An applicant blacklisted for false materials or information loses the fast track (绿色通道) for
  good, and is told why.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FREE_CIRCUMSTANCES", "FastTrack", "ProxyTerms", "fast_track", "proxy_terms"]

FREE_CIRCUMSTANCES: dict[str, tuple[str, str]] = {
    "elderly": ("老年人", "elderly applicant"),
    "weak": ("体弱", "frail applicant"),
    "sick": ("患病", "sick applicant"),
    "disabled": ("残疾人", "disabled applicant"),
    "pregnant": ("孕妇", "pregnant applicant"),
    "poor": ("困难家庭", "poor household"),
    "not_in_centre": ("事项未进驻政务服务中心", "the item is not in the service centre"),
    "multi_level": ("涉及上下级审批", "the item involves upper- or lower-level authority"),
}


@dataclass(frozen=True, slots=True)
class ProxyTerms:
    free: bool
    reason_zh: str
    reason_en: str


def proxy_terms(circumstances: list[str]) -> ProxyTerms:
    """Whether a proxy case is free (免费帮办代办), and why; unknown circumstances are ignored here
    because the HTTP edge already refused them."""
    matched = [FREE_CIRCUMSTANCES[c] for c in circumstances if c in FREE_CIRCUMSTANCES]
    if matched:
        return ProxyTerms(True, "免费帮办代办：" + "、".join(zh for zh, _ in matched),
                          "free proxy handling: " + ", ".join(en for _, en in matched))
    return ProxyTerms(False, "不属于免费帮办代办情形，费用按代办协议", "not a free-proxy circumstance; fee per agreement")


@dataclass(frozen=True, slots=True)
class FastTrack:
    granted: bool
    reason_zh: str | None = None
    reason_en: str | None = None


def fast_track(requested: bool, blacklisted_for_zh: str | None, blacklisted_for_en: str | None) -> FastTrack:
    """绿色通道 unless the applicant is blacklisted (终身不再享受绿色通道)."""
    if not requested:
        return FastTrack(False)
    if blacklisted_for_zh is not None:
        return FastTrack(
            False,
            f"因{blacklisted_for_zh}被列入黑名单，终身不再享受绿色通道；本件按普通程序办理",
            f"blacklisted for {blacklisted_for_en}: no fast track, ever; the case goes the ordinary way",
        )
    return FastTrack(True)
