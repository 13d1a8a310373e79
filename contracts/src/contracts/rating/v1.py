"""Events owned by the rating service (好差评服务), version 1.

The loop (R-37, R-38): an invitation (评价邀请) after acceptance and after delivery (一事多评) → one rating
per touchpoint (一事一号一评价) → a bad review (差评) opens a rectification order (整改单) to the responsible
department on a supervision clock → the department reports the rectification with evidence (整改反馈) →
the applicant is called back (回访) → closed (办结). A department may appeal a review it believes untrue
(申诉), and the appeal is decided with a reason (复核). Figures leave personal data out (no ID numbers,
phones, names, comments or free-text tags) and go to the analytics topic.

Additive changes only within v1: new fields have defaults, so earlier messages still validate.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.envelope import EventPayload

__all__ = [
    "AppealDecided",
    "AppealFiled",
    "Evidence",
    "FigureBy",
    "FigurePeriod",
    "InvitationSent",
    "InvitedTouchpoint",
    "RatingFigures",
    "RatingLevel",
    "RatingSubmitted",
    "RectificationCalledBack",
    "RectificationClosed",
    "RectificationOpened",
    "RectificationReported",
    "Touchpoint",
]


class RatingLevel(StrEnum):
    VERY_SATISFIED = "very_satisfied"  # 非常满意
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意
    VERY_DISSATISFIED = "very_dissatisfied"  # 非常不满意

    @property
    def bad(self) -> bool:
        """差评: 不满意 or 非常不满意 (the two that open a rectification order)."""
        return self in (RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED)

    @property
    def score(self) -> int:
        """5 (非常满意) … 1 (非常不满意)."""
        return 5 - tuple(RatingLevel).index(self)

    @property
    def name_zh(self) -> str:
        return ("非常满意", "满意", "基本满意", "不满意", "非常不满意")[tuple(RatingLevel).index(self)]


class Touchpoint(StrEnum):
    """评价环节: where in the case the applicant meets the government (一事多评)."""

    ACCEPTANCE = "acceptance"  # 受理：受理窗口与受理人员（综合窗口）
    ITEM = "item"  # 部门办理：一个事项，由其部门办理
    DELIVERY = "delivery"  # 办结送达：一件事整体，一次送达


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class InvitedTouchpoint(_Part):
    """One touchpoint an invitation asks about, and the department answerable for it."""

    touchpoint: Touchpoint
    item_code: str | None = None
    department: str


class InvitationSent(EventPayload):
    """The applicant was invited to rate (评价邀请) through the case's channel (办完即评, 一事多评)."""

    event_type: ClassVar[str] = "rating.invitation.sent"

    invitation_id: str
    case_id: str
    channel: str  # the case's channel (受理渠道): window, portal, mobile, kiosk, 12345
    touchpoints: tuple[InvitedTouchpoint, ...]
    invited_at: AwareDatetime
    text_zh: str
    text_en: str


class RatingSubmitted(EventPayload):
    """A rating of one touchpoint of a case (一事一号一评价). The comment stays in the rating service."""

    event_type: ClassVar[str] = "rating.rating.submitted"

    rating_id: str
    case_id: str
    level: RatingLevel
    tags: tuple[str, ...] = ()  # reason tag codes (评价原因), from contracts.rating.tags
    submitted_at: AwareDatetime
    touchpoint: Touchpoint = Touchpoint.DELIVERY
    item_code: str | None = None
    department: str | None = None  # answerable for the touchpoint (被评价部门)
    bundle_code: str | None = None
    channel: str | None = None  # the case's channel (受理渠道)
    window_id: str | None = None  # 受理窗口
    staff_id: str | None = None  # 受理人员 (workforce number, not a personal ID)
    rated_via: str | None = None  # 评价渠道: device, portal, mobile, sms, 12345


class RectificationOpened(EventPayload):
    """A bad review (差评) opened a rectification order (整改单) to the answerable department; supervision
    runs its clock of ``limit_working_days`` on its calendar (the due date comes back as a clock start)."""

    event_type: ClassVar[str] = "rating.rectification.opened"

    rectification_id: str
    case_id: str
    rating_id: str
    touchpoint: Touchpoint
    item_code: str | None = None
    department: str
    level: RatingLevel
    tags: tuple[str, ...] = ()
    limit_working_days: int = Field(ge=1)
    opened_on: date
    text_zh: str
    text_en: str


class Evidence(_Part):
    """整改证据: a document the department holds, by reference and digest (never the content itself)."""

    title: str
    uri: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class RectificationReported(EventPayload):
    """The department reported what it put right (整改反馈), with evidence; the call-back comes next."""

    event_type: ClassVar[str] = "rating.rectification.reported"

    rectification_id: str
    case_id: str
    department: str
    measures_zh: str
    evidence: tuple[Evidence, ...]
    reported_on: date


class RectificationCalledBack(EventPayload):
    """The applicant was called back (回访) about the rectification. ``not_satisfied`` sends the order back
    to the department (整改不到位，重新整改)."""

    event_type: ClassVar[str] = "rating.rectification.called_back"

    rectification_id: str
    case_id: str
    department: str
    outcome: Literal["satisfied", "not_satisfied", "unreachable"]
    attempt: int = Field(ge=1)
    called_on: date


class RectificationClosed(EventPayload):
    """The order is closed (办结): rectified and confirmed at call-back, closed after the applicant could not
    be reached, or withdrawn because an appeal against the review was upheld."""

    event_type: ClassVar[str] = "rating.rectification.closed"

    rectification_id: str
    case_id: str
    department: str
    how: Literal["rectified", "unreachable", "appeal_upheld"]
    evidence: tuple[Evidence, ...] = ()
    closed_on: date


class AppealFiled(EventPayload):
    """The department appeals a review it believes untrue or mistaken (申诉复核)."""

    event_type: ClassVar[str] = "rating.appeal.filed"

    appeal_id: str
    rectification_id: str
    rating_id: str
    case_id: str
    department: str
    grounds: Literal["untrue", "mistaken", "not_answerable"]  # 不实评价 / 误评 / 非本部门责任
    reason_zh: str
    evidence: tuple[Evidence, ...] = ()
    filed_on: date


class AppealDecided(EventPayload):
    """The appeal was decided with its reason (复核结论). Upheld: the review leaves the figures and the order is
    withdrawn; rejected: the rectification goes on."""

    event_type: ClassVar[str] = "rating.appeal.decided"

    appeal_id: str
    rectification_id: str
    rating_id: str
    case_id: str
    department: str
    upheld: bool
    reason_zh: str
    decided_by: str
    decided_on: date


class FigurePeriod(StrEnum):
    DAY = "day"  # 日：中国时间自然日
    WEEK = "week"  # 周：ISO 周（周一起）


class FigureBy(StrEnum):
    DEPARTMENT = "department"
    ITEM = "item"
    WINDOW = "window"
    CHANNEL = "channel"


class RatingFigures(EventPayload):
    """Current satisfaction figures (满意度) of one department, item, window or channel for one day or week,
    split by the supervision clock's on-time outcome. Counts only: no personal data.

    好评 = 非常满意 + 满意 + 基本满意; 差评 = 不满意 + 非常不满意. A review removed by an upheld appeal is
    counted in ``removed`` and nowhere else.
    """

    event_type: ClassVar[str] = "rating.figures.updated"

    period: FigurePeriod
    period_start: date
    by: FigureBy
    key: str
    very_satisfied: int = Field(ge=0)
    satisfied: int = Field(ge=0)
    basically_satisfied: int = Field(ge=0)
    dissatisfied: int = Field(ge=0)
    very_dissatisfied: int = Field(ge=0)
    total: int = Field(ge=0)
    good_rate: float | None = None  # 好评率
    mean_score: float | None = None  # 5 … 1
    on_time_total: int = Field(ge=0)  # ratings of handlings that finished on time
    on_time_good: int = Field(ge=0)
    late_total: int = Field(ge=0)  # … that finished late
    late_good: int = Field(ge=0)
    removed: int = Field(ge=0)  # 申诉成立，已剔除
    version: int = Field(ge=1)  # grows with every change of this figure

