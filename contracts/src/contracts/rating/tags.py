"""Reason tags of a rating (评价原因标签): a fixed vocabulary, so figures can count them and no free text
(which might hold a name or a phone number) travels with a rating. Free text goes in the comment, which
stays in the rating service.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REASON_TAGS", "ReasonTag", "reason_tag"]


@dataclass(frozen=True, slots=True)
class ReasonTag:
    code: str
    name_zh: str
    name_en: str
    positive: bool


REASON_TAGS: tuple[ReasonTag, ...] = (
    ReasonTag("efficient", "办事效率高", "handled quickly", True),
    ReasonTag("courteous", "服务态度好", "courteous service", True),
    ReasonTag("clear_guidance", "一次告知清楚", "told everything at once", True),
    ReasonTag("fewer_trips", "少跑腿、零跑动", "few or no trips", True),
    ReasonTag("fewer_materials", "材料精简、免提交", "few materials to bring", True),
    ReasonTag("easy_online", "网上办理便捷", "easy to do online", True),
    ReasonTag("slow", "办理慢、超时限", "slow or late", False),
    ReasonTag("discourteous", "服务态度差", "discourteous service", False),
    ReasonTag("unclear_guidance", "告知不清、多次补正", "unclear guidance, repeated corrections", False),
    ReasonTag("repeat_materials", "重复提交材料", "asked for materials again", False),
    ReasonTag("repeat_trips", "多次跑动", "had to come back", False),
    ReasonTag("system_trouble", "系统不好用", "the system was hard to use", False),
    ReasonTag("conduct", "作风问题（推诿、吃拿卡要）", "misconduct (buck-passing, favours)", False),
)

_BY_CODE = {t.code: t for t in REASON_TAGS}


def reason_tag(code: str) -> ReasonTag:
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown reason tag {code!r}") from None
