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

    touchpoint: Touchpoint = Field(description="评价环节 acceptance 受理, item 部门办理 (one item), or delivery 办结送达 (the whole "
                                               "case)")
    item_code: str | None = Field(default=None, description="事项编码 The item, for the item touchpoint; None otherwise")
    department: str = Field(description="被评价部门 The department answerable for the touchpoint")


class InvitationSent(EventPayload):
    """The applicant was invited to rate (评价邀请) through the case's channel (办完即评, 一事多评)."""

    event_type: ClassVar[str] = "rating.invitation.sent"

    invitation_id: str = Field(description="邀请编号 The invitation's identifier (one per case and moment: after "
                                           "acceptance, after delivery)")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    channel: str = Field(description="受理渠道 The case's channel, through which the invitation went: window, portal, "
                                     "mobile, kiosk, 12345")
    touchpoints: tuple[InvitedTouchpoint, ...] = Field(description="评价环节 The touchpoints the invitation asks about")
    invited_at: AwareDatetime = Field(description="邀请时间 When the invitation was sent (timestamp with offset)")
    text_zh: str = Field(description="邀请内容 The invitation's text (Chinese)")
    text_en: str = Field(description="The invitation's text in English")


class RatingSubmitted(EventPayload):
    """A rating of one touchpoint of a case (一事一号一评价). The comment stays in the rating service."""

    event_type: ClassVar[str] = "rating.rating.submitted"

    rating_id: str = Field(description="评价编号 The rating's identifier (one per case, touchpoint and item: 一事一号一评价)")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    level: RatingLevel = Field(description="评价等级 very_satisfied 非常满意, satisfied 满意, basically_satisfied 基本满意, "
                                           "dissatisfied 不满意, very_dissatisfied 非常不满意")
    tags: tuple[str, ...] = Field(
        default=(), description="评价原因 Reason tag codes from the fixed list in contracts.rating.tags; no free text")
    submitted_at: AwareDatetime = Field(description="评价时间 When the rating was submitted (timestamp with offset)")
    touchpoint: Touchpoint = Field(
        default=Touchpoint.DELIVERY, description="评价环节 acceptance 受理, item 部门办理 (one item), or delivery 办结送达 (the "
                                                 "whole case)")
    item_code: str | None = Field(default=None, description="事项编码 The item, for the item touchpoint; None otherwise")
    department: str | None = Field(
        default=None, description="被评价部门 The department answerable for the touchpoint; None only in ratings published "
                                  "before it was added")
    bundle_code: str | None = Field(
        default=None, description="一件事编码 The case's bundle; None only in ratings published before it was added")
    channel: str | None = Field(
        default=None, description="受理渠道 The case's channel: window, portal, mobile, kiosk, 12345; None only in "
                                  "ratings published before it was added")
    window_id: str | None = Field(
        default=None, description="受理窗口 The window that accepted the case, for the acceptance and delivery "
                                  "touchpoints; None for the item touchpoint, when no window accepted it, or in "
                                  "ratings published before it was added")
    staff_id: str | None = Field(
        default=None, description="受理人员 Workforce number of the accepting staff member (not a personal ID), for the "
                                  "acceptance and delivery touchpoints; None for the item touchpoint, when none is "
                                  "recorded, or in ratings published before it was added")
    rated_via: str | None = Field(
        default=None, description="评价渠道 Where the rating was given: device, portal, mobile, sms, 12345; None only in "
                                  "ratings published before it was added")


class RectificationOpened(EventPayload):
    """A bad review (差评) opened a rectification order (整改单) to the answerable department; supervision
    runs its clock of ``limit_working_days`` on its calendar (the due date comes back as a clock start)."""

    event_type: ClassVar[str] = "rating.rectification.opened"

    rectification_id: str = Field(description="整改单编号 The rectification order's identifier (one per rating)")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    rating_id: str = Field(description="评价编号 The bad review (差评) that opened it")
    touchpoint: Touchpoint = Field(description="评价环节 acceptance 受理, item 部门办理 (one item), or delivery 办结送达 (the whole "
                                               "case)")
    item_code: str | None = Field(default=None, description="事项编码 The item, for the item touchpoint; None otherwise")
    department: str = Field(description="整改部门 The department answerable")
    level: RatingLevel = Field(description="评价等级 The review's level: dissatisfied 不满意 or very_dissatisfied 非常不满意")
    tags: tuple[str, ...] = Field(default=(), description="评价原因 The review's reason tag codes (contracts.rating.tags)")
    limit_working_days: int = Field(ge=1, description="整改时限 Working days allowed, counted by supervision on its "
                                                      "calendar")
    opened_on: date = Field(description="下发日 The China calendar day the order was opened; its clock starts from it")
    text_zh: str = Field(description="整改通知 The order's text (Chinese)")
    text_en: str = Field(description="The order's text in English")


class Evidence(_Part):
    """整改证据: a document the department holds, by reference and digest (never the content itself)."""

    title: str = Field(description="证据名称 What the document is")
    uri: str = Field(description="证据地址 Where the department holds it (a reference, never the content)")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="证据摘要 SHA-256 of the document, lower-case hex")


class RectificationReported(EventPayload):
    """The department reported what it put right (整改反馈), with evidence; the call-back comes next."""

    event_type: ClassVar[str] = "rating.rectification.reported"

    rectification_id: str = Field(description="整改单编号 The rectification order")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    department: str = Field(description="整改部门 The department reporting")
    measures_zh: str = Field(description="整改措施 What the department put right (Chinese)")
    evidence: tuple[Evidence, ...] = Field(description="整改证据 Documents supporting it, by reference and digest")
    reported_on: date = Field(description="反馈日 The China calendar day of the report")


class RectificationCalledBack(EventPayload):
    """The applicant was called back (回访) about the rectification. ``not_satisfied`` sends the order back
    to the department (整改不到位，重新整改)."""

    event_type: ClassVar[str] = "rating.rectification.called_back"

    rectification_id: str = Field(description="整改单编号 The rectification order")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    department: str = Field(description="整改部门 The department answerable")
    outcome: Literal["satisfied", "not_satisfied", "unreachable"] = Field(
        description="回访结果 satisfied 满意, not_satisfied 不满意 (整改不到位，重新整改: back to the department), or unreachable 联系不上")
    attempt: int = Field(ge=1, description="回访次数 Which call-back of this order this is (1 for the first)")
    called_on: date = Field(description="回访日 The China calendar day of the call-back")


class RectificationClosed(EventPayload):
    """The order is closed (办结): rectified and confirmed at call-back, closed after the applicant could not
    be reached, or withdrawn because an appeal against the review was upheld."""

    event_type: ClassVar[str] = "rating.rectification.closed"

    rectification_id: str = Field(description="整改单编号 The rectification order")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    department: str = Field(description="整改部门 The department answerable")
    how: Literal["rectified", "unreachable", "appeal_upheld"] = Field(
        description="办结方式 rectified 已整改 (confirmed at call-back), unreachable 联系不上, or appeal_upheld 申诉成立，撤销")
    evidence: tuple[Evidence, ...] = Field(
        default=(), description="整改证据 Documents supporting the closing, by reference and digest; empty when none")
    closed_on: date = Field(description="办结日 The China calendar day the order closed; its clock stops on it")


class AppealFiled(EventPayload):
    """The department appeals a review it believes untrue or mistaken (申诉复核)."""

    event_type: ClassVar[str] = "rating.appeal.filed"

    appeal_id: str = Field(description="申诉编号 The appeal's identifier (one per rectification order)")
    rectification_id: str = Field(description="整改单编号 The rectification order appealed against")
    rating_id: str = Field(description="评价编号 The review appealed against")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    department: str = Field(description="申诉部门 The department appealing")
    grounds: Literal["untrue", "mistaken", "not_answerable"] = Field(
        description="申诉理由 untrue 不实评价, mistaken 误评, or not_answerable 非本部门责任")
    reason_zh: str = Field(description="申诉说明 The department's explanation (Chinese)")
    evidence: tuple[Evidence, ...] = Field(
        default=(), description="申诉证据 Documents supporting it, by reference and digest; empty when none")
    filed_on: date = Field(description="申诉日 The China calendar day of filing")


class AppealDecided(EventPayload):
    """The appeal was decided with its reason (复核结论). Upheld: the review leaves the figures and the order is
    withdrawn; rejected: the rectification goes on."""

    event_type: ClassVar[str] = "rating.appeal.decided"

    appeal_id: str = Field(description="申诉编号 The appeal decided")
    rectification_id: str = Field(description="整改单编号 The rectification order appealed against")
    rating_id: str = Field(description="评价编号 The review appealed against")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    department: str = Field(description="申诉部门 The department that appealed")
    upheld: bool = Field(description="是否成立 True: 申诉成立, the review leaves the figures and the order is withdrawn; "
                                     "False: 申诉不成立, the rectification goes on")
    reason_zh: str = Field(description="复核理由 The decision's reason (Chinese)")
    decided_by: str = Field(description="复核人 The supervisory principal whose signed request decided it")
    decided_on: date = Field(description="复核日 The China calendar day of the decision")


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

    period: FigurePeriod = Field(description="统计周期 day 日 (China calendar day) or week 周 (ISO week, from Monday)")
    period_start: date = Field(description="周期起始日 The day, or the Monday of the week (China calendar, of submitted_at)")
    by: FigureBy = Field(description="统计维度 department 部门, item 事项 (item touchpoint only), window 窗口 (acceptance and "
                                     "delivery), or channel 受理渠道")
    key: str = Field(description="维度取值 The department code, item code, window or channel, as by says")
    very_satisfied: int = Field(ge=0, description="非常满意 Ratings at this level")
    satisfied: int = Field(ge=0, description="满意 Ratings at this level")
    basically_satisfied: int = Field(ge=0, description="基本满意 Ratings at this level")
    dissatisfied: int = Field(ge=0, description="不满意 Ratings at this level")
    very_dissatisfied: int = Field(ge=0, description="非常不满意 Ratings at this level")
    total: int = Field(ge=0, description="评价总数 Ratings counted: the five levels added up (removed ones left out)")
    good_rate: float | None = Field(
        default=None, description="好评率 (非常满意 + 满意 + 基本满意) / total, 0–1, 4 places; None when total is 0")
    mean_score: float | None = Field(
        default=None, description="平均分 Mean score, 5 (非常满意) … 1 (非常不满意), 4 places; None when total is 0")
    on_time_total: int = Field(ge=0, description="按时办结的评价数 Ratings of handlings whose clock finished on time (a "
                                                 "rating whose clock is still running counts in neither on_time_total "
                                                 "nor late_total)")
    on_time_good: int = Field(ge=0, description="按时办结的好评数 Of on_time_total, the good ones (好评)")
    late_total: int = Field(ge=0, description="超期办结的评价数 Ratings of handlings whose clock finished late")
    late_good: int = Field(ge=0, description="超期办结的好评数 Of late_total, the good ones (好评)")
    removed: int = Field(ge=0, description="已剔除 Ratings removed by an upheld appeal (申诉成立), counted nowhere else")
    version: int = Field(ge=1, description="版本 Grows by one with every change of this figure; the latest record per "
                                           "key is the figure")

