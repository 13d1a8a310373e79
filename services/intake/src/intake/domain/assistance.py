"""帮办代办 and the blacklist gate (R-21, R-22). Pure.

* A proxy case (帮办代办) is free of charge when the applicant is elderly, weak, sick, disabled,
  pregnant or from a poor household, or when the item is not in the centre or involves upper- or
  lower-level authority. The proxy's identity is recorded with the case.
* An applicant blacklisted for false materials or information loses the fast track (绿色通道) for
  good, and is told why.
"""

from __future__ import annotations

from dataclasses import dataclass

from exchange.messages import Text, listed
from intake.domain.messages import MESSAGES

__all__ = ["FREE_CIRCUMSTANCES", "FastTrack", "ProxyTerms", "fast_track", "proxy_terms"]


FREE_CIRCUMSTANCES: dict[str, Text] = {
    code: MESSAGES.text(f"free_circumstance_{code}")
    for code in ("elderly", "weak", "sick", "disabled", "pregnant", "poor", "not_in_centre", "multi_level")
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
        text = MESSAGES.text("proxy_free", circumstances=listed(matched))
        return ProxyTerms(True, text.zh, text.en)
    text = MESSAGES.text("proxy_not_free")
    return ProxyTerms(False, text.zh, text.en)


@dataclass(frozen=True, slots=True)
class FastTrack:
    granted: bool
    reason_zh: str | None = None
    reason_en: str | None = None


def fast_track(requested: bool, blacklisted_for: Text | None) -> FastTrack:
    """绿色通道 unless the applicant is blacklisted (终身不再享受绿色通道) for ``blacklisted_for`` (the listing's
    reason in both languages)."""
    if not requested:
        return FastTrack(False)
    if blacklisted_for is not None:
        text = MESSAGES.text("fast_track_refused", reason=blacklisted_for)
        return FastTrack(False, text.zh, text.en)
    return FastTrack(True)
