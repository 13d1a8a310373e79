"""HTTP request and response models of intake (not Kafka contracts)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from contracts.identifiers import looks_like_resident_id, resident_id_problem, uscc_problem
from contracts.intake.v1 import Channel, DeliveryMethod
from intake.domain.assistance import FREE_CIRCUMSTANCES


class BilingualValueError(ValueError):
    """A validation message in Chinese and English; the 422 handler shows both."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def _resident_id(value: str) -> str:
    value = value.strip().upper()
    problem = resident_id_problem(value)
    if problem:
        raise BilingualValueError(*problem)
    return value


ResidentId = Annotated[str, AfterValidator(_resident_id)]


def _identity(value: str) -> str:
    """A resident ID number (persons) or a unified social credit code (organisations)."""
    value = value.strip().upper()
    resident, uscc = resident_id_problem(value), uscc_problem(value)
    if resident is None or uscc is None:
        return value
    if looks_like_resident_id(value):  # digits shaped like an ID: say what is wrong with it, not what a USCC is
        raise BilingualValueError(*resident)
    zh, en = resident
    uzh, uen = uscc
    raise BilingualValueError(f"既不是有效的公民身份号码（{zh}），也不是有效的统一社会信用代码（{uzh}）",
                              f"neither a valid resident ID number ({en}) nor a valid unified social credit code ({uen})")


Identity = Annotated[str, AfterValidator(_identity)]
FormValues = dict[str, Annotated[str, Field(max_length=500)]]


class ApplicantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="申请人姓名或单位名称 Applicant's name")
    id_number: Identity = Field(description="公民身份号码（GB 11643）或统一社会信用代码（GB 32100）"
                                            " Resident ID number or unified social credit code")
    phone: str | None = Field(default=None, pattern=r"^1[0-9]{10}$", description="手机号码 Mobile number")


class DeliveryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: DeliveryMethod = Field(default=DeliveryMethod.WINDOW, description="窗口领取 window / 免费寄递 mail")
    address: str | None = Field(default=None, max_length=500, description="寄递地址 Mailing address")


class MaterialCreate(BaseModel):
    """一套材料中的一项 One material of the one set."""

    model_config = ConfigDict(extra="forbid")

    provision: Literal["upload", "commitment", "deferred"] = Field(
        default="upload", description="提交 upload / 告知承诺 commitment / 容缺后补 deferred")
    document: str | None = Field(default=None, max_length=200, description="文件摘要或编号 Document digest or reference")


class ProxyCreate(BaseModel):
    """帮办代办 Proxy handling."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50, description="帮办代办人姓名 Proxy's name")
    id_number: ResidentId = Field(description="帮办代办人公民身份号码 Proxy's resident ID number")
    role: Literal["staff", "volunteer", "relative", "agent"] = Field(
        description="帮办员 staff / 志愿者 volunteer / 亲属 relative / 受托人 agent")
    circumstances: list[Literal[tuple(FREE_CIRCUMSTANCES)]] = Field(  # type: ignore[valid-type]
        default_factory=list, description="免费帮办代办情形 R-21 circumstances for free proxy handling")


Materials = dict[Annotated[str, Field(max_length=40)], MaterialCreate]


class DelegationCreate(BaseModel):
    """委托授权: the applicant, signed in, lets one person apply for them online."""

    model_config = ConfigDict(extra="forbid")

    proxy_id_number: ResidentId = Field(description="受托代办人公民身份号码 The proxy's resident ID number")
    principal_id: Identity | None = Field(
        default=None, description="委托人：默认本人；法人账号可为其企业的统一社会信用代码 Whom it is for: yourself by "
                                  "default, or your 法人 account's enterprise")
    bundle_code: str | None = Field(default=None, max_length=32,
                                    description="限于该一件事；不填则任一件事 Only this one-thing; any if left out")
    valid_days: int = Field(default=7, ge=1, le=30, description="有效天数 Days it lasts (1–30)")


class DelegationPublic(BaseModel):
    delegation_id: str
    principal_id: str
    proxy_id: str
    bundle_code: str | None
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class CaseCreate(BaseModel):
    """一表申请: one application for a one-thing."""

    model_config = ConfigDict(extra="forbid")

    bundle_code: str = Field(min_length=1, max_length=32, examples=["P-01"], description="一件事编号 One-thing code")
    items: list[str] | None = Field(default=None, description="所选事项（缺省为全部）Selected items (default: all)")
    applicant: ApplicantCreate
    form: FormValues = Field(default_factory=dict, description="一张表单 The one form")
    materials: Materials = Field(default_factory=dict, description="一套材料 The one set of materials, by code")
    channel: Channel | None = Field(default=None, description="受理渠道：取自调用者的令牌（窗口人员令牌中的渠道，申请人为网上"
                                    "办事大厅或移动端）；可省略，填写须与令牌一致 / from the caller's token; if sent, "
                                    "it must agree (an applicant may choose portal or mobile)")
    window_id: str | None = Field(default=None, max_length=64, description="受理窗口或自助终端编号：取自窗口人员令牌，"
                                  "可省略 / Window or kiosk id: from the clerk's token")
    staff_id: str | None = Field(default=None, max_length=64, description="受理人员工号：取自窗口人员令牌，可省略 / "
                                 "Staff id: from the clerk's token")
    proxy: ProxyCreate | None = None
    fast_track: bool = Field(default=False, description="申请绿色通道 Ask for the fast track")
    draft_id: str | None = Field(default=None, max_length=64, description="授权预填草稿 Pre-fill draft")
    prefill_confirmed: bool = Field(default=False, description="申请人确认预填内容 The applicant confirms the pre-fill")
    reuse_licences: bool = Field(
        default=False,
        description="申请人同意复用本人电子证照，相应材料免提交（须授权预填草稿） "
        "The applicant consents to reusing their e-licences in place of materials (needs a pre-fill draft)",
    )
    delivery: DeliveryCreate = Field(default_factory=DeliveryCreate)


class CorrectionCreate(BaseModel):
    """一次补正: only what the correction notice lists."""

    model_config = ConfigDict(extra="forbid")

    form: FormValues = Field(default_factory=dict)
    materials: Materials = Field(default_factory=dict)


class HandOverCreate(BaseModel):
    """出件: who collected the results at the window."""

    model_config = ConfigDict(extra="forbid")

    collector: Literal["applicant", "proxy"] = Field(
        default="applicant", description="领取人：申请人本人 applicant / 办件的帮办代办人 proxy (the case's own)")


class SupplementCreate(BaseModel):
    """容缺补齐: documents for materials accepted missing."""

    model_config = ConfigDict(extra="forbid")

    materials: Materials


class AuthorisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    granted: bool = Field(description="申请人授权调取共享数据 The applicant authorises the lookup")
    statement_zh: str = Field(default="本人授权调取本人在人口库、法人库和电子证照库中的信息，用于预填本次申请表。",
                              max_length=500)


class DraftCreate(BaseModel):
    """授权预填 Authorised pre-fill of the one form."""

    model_config = ConfigDict(extra="forbid")

    bundle_code: str = Field(min_length=1, max_length=32)
    items: list[str] | None = None
    id_number: Identity | None = Field(default=None, description="缺省为令牌中本人的公民身份号码；填写须为本人 / "
                                       "default: the applicant's own, from the token; if sent, it must be theirs")
    channel: Channel = Channel.PORTAL
    authorisation: AuthorisationCreate


class DraftPublic(BaseModel):
    draft_id: str
    bundle_code: str
    items: list[str]
    subject_kind: str
    authorisation: dict[str, Any]
    registries_answered: list[str]
    ready: bool
    prefilled: dict[str, dict[str, Any]]
    held_licences: dict[str, str]


class BlacklistCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_number: Identity
    reason_zh: str = Field(min_length=1, max_length=200, examples=["提供虚假材料"])
    reason_en: str = Field(min_length=1, max_length=200, examples=["false materials"])
    case_id: str | None = Field(default=None, max_length=64)


class ItemPublic(BaseModel):
    item_code: str
    name_zh: str
    name_en: str
    department: str
    department_name_zh: str
    department_name_en: str
    status: str
    status_zh: str
    attempt: int
    document_no: str | None
    licence_id: str | None
    due_on: str | None  # on the promised limit
    due_on_provisional: bool = Field(default=False, description="暂定：counted over a year whose holiday "
                                     "arrangement is not yet published")
    time_limit_days: int | None  # 法定时限（工作日）
    promised_limit_days: int | None  # 承诺时限（工作日）: the item's share of the case's limit


class TimelinePublic(BaseModel):
    at: datetime
    kind: str
    item_code: str | None
    department: str | None
    text_zh: str
    text_en: str


class CasePublic(BaseModel):
    case_id: str
    bundle_code: str
    catalogue_version: str
    status: str
    status_zh: str
    channel: str
    delivery_method: str
    accepted_at: datetime
    delivered_at: datetime | None
    handed_over_at: datetime | None = Field(default=None, description="窗口出件：结果当面交付的时间（窗口领取的办件，"
                                            "由窗口人员登记）/ when a clerk recorded handing the results over")
    correction_round: int
    correction: dict[str, Any] | None
    window_id: str | None
    staff_id: str | None
    proxy: dict[str, Any] | None
    fast_track: bool
    fast_track_note_zh: str | None
    fast_track_note_en: str | None
    materials: list[dict[str, Any]]
    commitments: list[dict[str, Any]]
    limit_days: int
    due_on: date | None
    due_on_provisional: bool = Field(default=False, description="暂定：counted over a year whose holiday "
                                     "arrangement is not yet published; it moves when the year is published")
    due_on_supervised: bool = Field(default=False, description="电子监察计时：the date supervision's case clock "
                                    "keeps (its calendar, suspensions for corrections, approved extensions); false: "
                                    "intake's estimate at acceptance, until that clock has started")
    calendar_note_zh: str | None = Field(default=None, description="what 暂定 means, when a date of the case is")
    calendar_note_en: str | None = None
    paused_days: int
    notice_zh: str | None
    notice_en: str | None
    items: list[ItemPublic]
    timeline: list[TimelinePublic]


class CaseSummary(BaseModel):
    """One of the applicant's own cases, as their list shows it (我的办件); ``GET /cases/{id}`` has the rest."""

    case_id: str
    bundle_code: str
    name_zh: str = Field(description="一件事名称 The one-thing's name")
    name_en: str
    status: str
    status_zh: str
    channel: str
    accepted_at: datetime
    delivered_at: datetime | None
    due_on: date | None
    awaiting_correction: bool = Field(description="待补正：一次性补正告知等待申请人答复 / a correction notice "
                                      "waits for the applicant")
    as_proxy: bool = Field(description="本人为帮办代办人，而非申请人 / the caller is the proxy, not the applicant")


class ProblemPublic(BaseModel):
    path: str
    type: str
    message_zh: str
    message_en: str


class ErrorPublic(BaseModel):
    error: str
    message_zh: str
    message_en: str
    problems: list[ProblemPublic] = []
