"""Who may rate what (好差评规则). Pure: no I/O, driven directly by unit tests.

* 一事多评: a case has touchpoints, each rated once (一事一号一评价). At acceptance the applicant is invited
  to rate the acceptance (受理窗口与受理人员, answerable: the government service centre); at delivery the
  whole one-thing (办结送达, answerable: the lead department) and each department's item (部门办理).
  A touchpoint can be rated only once it was invited, and its rating id derives from (case, touchpoint,
  item), so a second rating of it is refused.
* Only the applicant rates, or a relative or agent acting for them (帮办代办); a staff or volunteer proxy
  does not (they would rate their own colleagues). The rating service keeps no ID number: it keeps a
  digest of (case, ID number) and compares digests.
* A rating is one of the five national levels, with at most 10 reason tags from the fixed vocabulary
  (contracts.rating.tags) and an optional comment of at most 500 characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import NAMESPACE_URL, uuid5

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from contracts.intake.v1 import rater_digest
from contracts.rating.tags import reason_tag
from contracts.rating.v1 import InvitedTouchpoint, RatingLevel, Touchpoint

__all__ = [
    "MAX_COMMENT_CHARS",
    "MAX_TAGS",
    "RATING_PROXY_ROLES",
    "CaseFacts",
    "RatedVia",
    "RatingInput",
    "acceptance_touchpoints",
    "delivery_touchpoints",
    "rater_digest",
    "rating_id_for",
    "touchpoint_key",
]

MAX_TAGS = 10
MAX_COMMENT_CHARS = 500
RATING_PROXY_ROLES = frozenset({"relative", "agent"})  # 亲属、委托代理人 may rate for the applicant

RatedVia = Annotated[str, StringConstraints(pattern=r"^(device|portal|mobile|sms|12345)$")]


def rating_id_for(case_id: str, touchpoint: Touchpoint, item_code: str | None = None) -> str:
    """Deterministic: one touchpoint of one case has one rating (一事一号一评价)."""
    return str(uuid5(NAMESPACE_URL, f"onething:rating:{case_id}:{touchpoint.value}:{item_code or ''}"))


def touchpoint_key(touchpoint: Touchpoint, item_code: str | None) -> str:
    return f"{touchpoint.value}:{item_code}" if touchpoint is Touchpoint.ITEM else touchpoint.value


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What rating keeps of an accepted case (no names, no ID numbers, no phones)."""

    case_id: str
    bundle_code: str
    lead_department: str
    channel: str
    window_id: str | None
    staff_id: str | None
    rater_digests: frozenset[str]  # the applicant's, and a relative's or agent's acting for them

    def may_rate(self, id_number: str, key: bytes | None) -> bool:
        """The keyed digest (``key``: the raters' key), or the plain one of a case registered before keying."""
        digests = {rater_digest(self.case_id, id_number)} | ({rater_digest(self.case_id, id_number, key)} if key else set())
        return not digests.isdisjoint(self.rater_digests)


def acceptance_touchpoints(centre_department: str) -> tuple[InvitedTouchpoint, ...]:
    """受理评价: the window that accepted the case and its staff, run by the government service centre."""
    return (InvitedTouchpoint(touchpoint=Touchpoint.ACCEPTANCE, department=centre_department),)


def delivery_touchpoints(case: CaseFacts, items: list[tuple[str, str]]) -> tuple[InvitedTouchpoint, ...]:
    """办结评价: the one-thing as a whole (the lead department answers for it) and each (item, department)."""
    return (InvitedTouchpoint(touchpoint=Touchpoint.DELIVERY, department=case.lead_department),
            *(InvitedTouchpoint(touchpoint=Touchpoint.ITEM, item_code=code, department=dept)
              for code, dept in sorted(dict(items).items())))


Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class RatingInput(BaseModel):
    """What a rater submits for one touchpoint of a case (评价)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    touchpoint: Touchpoint = Touchpoint.DELIVERY
    item_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] | None = None
    level: RatingLevel
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_COMMENT_CHARS)] | None = None
    rater_id_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=32)] | None = Field(
        default=None, description="评价人证件号码：缺省取自评价人令牌（统一身份认证核验），填写须为本人或本人法人账号的企业；"
        "只核对，不保存 / the rater's ID number: by default from their token; if sent, their own or their enterprise's; "
        "checked, not kept")
    rated_via: RatedVia = "portal"

    @field_validator("tags")
    @classmethod
    def _known_once_each(cls, tags: list[str]) -> list[str]:
        for code in tags:
            try:
                reason_tag(code)
            except KeyError:
                raise ValueError(f"未知的评价标签 unknown reason tag: {code}") from None
        return list(dict.fromkeys(tags))

    @field_validator("comment")
    @classmethod
    def _blank_is_none(cls, comment: str | None) -> str | None:
        return comment or None

    @model_validator(mode="after")
    def _item_exactly_for_items(self) -> RatingInput:
        if (self.touchpoint is Touchpoint.ITEM) != (self.item_code is not None):
            raise ValueError("事项评价须写明事项编码，其他评价不写 / item_code is given exactly when the touchpoint is 'item'")
        return self
