"""Events owned by the intake service (受理服务), version 1."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts.envelope import EventPayload

__all__ = [
    "RATERS_PRINCIPAL",
    "Applicant",
    "CaseAccepted",
    "CaseCorrected",
    "CaseDelivered",
    "CaseItem",
    "CaseNotified",
    "CaseRegistered",
    "Channel",
    "Commitment",
    "CorrectionFiled",
    "DeliveredItem",
    "DeliveryMethod",
    "ItemPlan",
    "MaterialProvision",
    "MaterialRef",
    "Proxy",
    "RaterRef",
    "rater_digest",
    "rater_key",
]


class Channel(StrEnum):
    """受理渠道 channel of application."""

    WINDOW = "window"  # 综合窗口
    PORTAL = "portal"  # 网上办事大厅
    MOBILE = "mobile"  # 移动端
    KIOSK = "kiosk"  # 自助终端
    HOTLINE = "12345"  # 12345 热线


class DeliveryMethod(StrEnum):
    """出件方式 how the one result reaches the applicant."""

    WINDOW = "window"  # 窗口领取
    MAIL = "mail"  # 免费寄递


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Applicant(_Part):
    """申请人. ``id_number`` is the 18-digit resident ID or the unified social credit code."""

    name: str
    id_type: str  # "resident_id" | "uscc"
    id_number: str
    phone: str | None = None


class MaterialProvision(StrEnum):
    """How a material of the one set of materials (一套材料) is provided."""

    UPLOAD = "upload"  # 申请人提交
    SHARING = "sharing"  # 部门共享获取（不向申请人索要）
    LICENCE = "licence"  # 电子证照复用（免提交）
    COMMITMENT = "commitment"  # 告知承诺代替证明
    DEFERRED = "deferred"  # 容缺受理，限期补齐


class MaterialRef(_Part):
    """A material of an item as the department receives it."""

    code: str
    name_zh: str
    provision: MaterialProvision
    document: str | None = None  # digest or reference of the submitted document
    shared_from: str | None = None
    # 免提交: the e-licence that proves this material, verified at acceptance, with the applicant's consent.
    licence_id: str | None = None
    licence_number: str | None = None
    credential: dict[str, Any] | None = None


class Commitment(_Part):
    """A recorded written commitment (承诺): 容缺 (supply later) or 告知承诺 (replaces a proof)."""

    material_code: str = Field(description="材料编码 The material the commitment stands for")
    kind: str = Field(description="承诺类型 tolerance: 容缺受理, the material is supplied later; notification: 告知承诺, the "
                                  "commitment replaces the proof and is checked afterwards")
    due_on: date = Field(description="承诺期限 Supply-by date (容缺) or verify-by date (告知承诺)")
    text_zh: str = Field(description="承诺内容 The commitment's text (Chinese)")


class Proxy(_Part):
    """帮办代办: who handles the case for the applicant, and whether it is free (R-21)."""

    name: str
    id_number: str
    role: str  # staff | volunteer | relative | agent
    free: bool
    free_reason: str | None = None


class ItemPlan(_Part):
    """One selected item (事项) of the bundle as every service may know it: what, who, how long, after what."""

    item_code: str = Field(description="事项编码 The item's code in the catalogue")
    name_zh: str = Field(description="事项名称 The item's name (Chinese)")
    name_en: str = Field(description="Item name in English")
    department: str = Field(description="承办部门 The department that handles the item (contracts.departments code)")
    time_limit_days: int = Field(ge=0, description="法定办结时限 The item's statutory time limit, in working days (0: 即办, "
                                                   "handled at once)")
    requires: tuple[str, ...] = Field(
        default=(), description="前置事项 Codes of the case's selected items that must be approved before this one is "
                                "released (串联); empty: released at once (并联)")
    yields_licence: bool = Field(
        default=False, description="办结即发证 True when an approval of the item issues an e-licence (电子证照)")
    licence_type: str | None = Field(
        default=None, description="证照类型 The e-licence type an approval issues; None when it issues none")
    # 承诺时限（工作日）: the item's share of the case's R-05 limit, what its clock runs on; None: the statutory limit
    promised_limit_days: int | None = Field(
        default=None, ge=0, description="承诺时限 The item's share of the case's time limit (R-05), in working days: what "
                                        "its clock runs on; None: its statutory limit (time_limit_days)")

    @property
    def promised_days(self) -> int:
        return self.time_limit_days if self.promised_limit_days is None else self.promised_limit_days


class CaseItem(ItemPlan):
    """One selected item with its materials, as dispatch needs it to route, sequence and hand to the department."""

    materials: tuple[MaterialRef, ...] = ()
    # 表单字段 the item takes (from the catalogue): its department gets these of the one form and no others;
    # None: not stated (every field, as before)
    form_fields: tuple[str, ...] | None = None


class _CaseFacts(EventPayload):
    """What is known of an accepted case without the person: shared by the dossier and the case stream's
    registration."""

    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    bundle_code: str = Field(description="一件事编码 The bundle (一件事) applied for, as the catalogue codes it")
    bundle_name_zh: str = Field(description="一件事名称 The bundle's name (Chinese)")
    bundle_name_en: str = Field(description="Bundle name in English")
    catalogue_version: str = Field(description="目录版本 Version of the published item catalogue the case was accepted "
                                               "under")
    lead_department: str = Field(description="牵头部门 The bundle's lead department (contracts.departments code)")
    channel: Channel = Field(description="受理渠道 Where the application came in: window 综合窗口, portal 网上办事大厅, mobile 移动端, "
                                         "kiosk 自助终端, 12345 热线")
    delivery_method: DeliveryMethod = Field(description="出件方式 How the one result reaches the applicant: window 窗口领取 "
                                                        "or mail 免费寄递")
    accepted_at: AwareDatetime = Field(description="受理时间 When the case was accepted (timestamp with offset)")
    accepted_on: date = Field(description="受理日期 The China calendar day (北京时间) of accepted_at; the case's clock starts "
                                          "from it")
    window_id: str | None = Field(
        default=None, description="受理窗口 The window or self-service kiosk that accepted the case; None when none did "
                                  "(online)")
    staff_id: str | None = Field(
        default=None, description="受理人员 Workforce number of the staff member who accepted the case (not a personal "
                                  "ID); None when none did")
    fast_track: bool = Field(default=False, description="绿色通道 True when the applicant asked for the fast track and "
                                                        "was granted it (not if blacklisted)")
    commitments: tuple[Commitment, ...] = Field(
        default=(), description="承诺 The written commitments recorded at acceptance: 容缺受理 and 告知承诺; empty when none")
    limit_days: int | None = Field(
        default=None, ge=0, description="一件事办结时限 The case's time limit (R-05), in working days from accepted_on: the "
                                        "longest of its parallel items' limits, a chain's statutory limits summed and "
                                        "compressed (压缩70%以上); None: not stated (supervision then takes the longest "
                                        "item limit)")
    due_on: date | None = Field(
        default=None, description="办结期限 The case's due date at acceptance: limit_days working days after accepted_on "
                                  "(before any suspension or extension, which supervision's clock events tell); None: "
                                  "not stated")


class CaseAccepted(_CaseFacts):
    """A bundle case (一件事) was accepted at one window and is ready for dispatch: the whole dossier (办件卷宗),
    with the applicant's identity, the form and the materials. It travels on the restricted dossier topic
    (``onething.case.dossier``), which only dispatch reads; everyone else learns of the case from
    :class:`CaseRegistered` on the case stream."""

    event_type: ClassVar[str] = "intake.case.accepted"

    applicant: Applicant
    items: tuple[CaseItem, ...]
    form: dict[str, str]
    proxy: Proxy | None = None


class CaseCorrected(EventPayload):
    """The applicant answered the round's one correction notice (一次补正); ``item_codes`` are the items it
    named. The values and documents go with the department requests; handling then starts. On the restricted
    dossier topic, as :class:`CaseAccepted`; the case stream has :class:`CorrectionFiled`."""

    event_type: ClassVar[str] = "intake.case.corrected"

    case_id: str
    item_codes: tuple[str, ...]
    round: int = Field(ge=1)
    form: dict[str, str] = Field(default_factory=dict)
    materials: tuple[MaterialRef, ...] = ()


class RaterRef(_Part):
    """Who may rate the case (好差评), without saying who: :func:`rater_digest` of the case and an ID number."""

    digest: str = Field(description="评价人摘要 Case-salted digest of a rater's ID number (HMAC-SHA256 prefixed k1:, or "
                                    "plain SHA-256 in cases registered before keying): recognises the rater of this "
                                    "case, links no two cases, names no one")
    acting_as: str = Field(description="评价身份 applicant (申请人), or the proxy's role: staff, volunteer, relative or "
                                       "agent (帮办代办)")


RATERS_PRINCIPAL = "raters"  # the secret intake and rating share to key rater digests (held by both, no one else)
_RATER_CONTEXT = b"onething/raters/digest/v1"


def rater_key(secret: bytes) -> bytes:
    """The rater-digest key for the shared ``secret`` (the raw private key of :data:`RATERS_PRINCIPAL`)."""
    return hmac.new(secret, _RATER_CONTEXT, hashlib.sha256).digest()


def rater_digest(case_id: str, id_number: str, key: bytes | None = None) -> str:
    """What the platform keeps and publishes instead of a rater's ID number: enough to recognise the rater of
    this case when they sign in, salted by the case so digests of two cases cannot be linked. With ``key``
    (:func:`rater_key`) it is an HMAC, ``k1:``-prefixed: a reader of the case stream who knows a case id cannot
    test guessed ID numbers against it. Without, the plain digest of cases registered before keying."""
    message = f"{case_id}\n{id_number.strip().upper()}".encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return "k1:" + hmac.new(key, message, hashlib.sha256).hexdigest()


class CaseRegistered(_CaseFacts):
    """受理登记: the facts of an accepted case that every service and analyst may know, on the case stream. No
    name, ID number, phone, address, form value, document or credential (数据最小化, PIPL): the applicant is a
    keyed pseudonym (the same applicant case after case, for SUP-05's repeat check; not who they are), and those
    who may rate it are case-salted digests."""

    event_type: ClassVar[str] = "intake.case.registered"

    applicant_type: str = Field(description="申请人类型 resident_id: a natural person (公民身份号码); uscc: an organisation "
                                            "(统一社会信用代码)")
    applicant_ref: str = Field(description="申请人假名 Keyed pseudonym of the applicant's ID number (HMAC-SHA256, hex, "
                                           "keyed by intake's secret): the same for the same applicant in every case, "
                                           "so repeats can be found; not who they are")
    raters: tuple[RaterRef, ...] = Field(description="评价人 Who may rate the case (好差评), as case-salted digests: the "
                                                     "applicant and any proxy")
    items: tuple[ItemPlan, ...] = Field(description="办理事项 The selected items (事项) of the bundle, with department, "
                                                    "time limits and prerequisites")
    proxy_role: str | None = Field(
        default=None, description="帮办代办 Role of whoever applied for the applicant (staff, volunteer, relative or "
                                  "agent), not their name; None when the applicant applied themselves")

    @classmethod
    def of(cls, accepted: CaseAccepted, *, applicant_ref: str, rater_key: bytes | None) -> CaseRegistered:
        """What of a dossier the case stream may carry: the facts, the applicant as ``applicant_ref`` and who
        may rate it as digests (keyed with ``rater_key``); no name, ID number, phone, form, material or credential."""
        raters = [RaterRef(digest=rater_digest(accepted.case_id, accepted.applicant.id_number, rater_key),
                           acting_as="applicant")]
        if accepted.proxy is not None:
            raters.append(RaterRef(digest=rater_digest(accepted.case_id, accepted.proxy.id_number, rater_key),
                                   acting_as=accepted.proxy.role))
        plan = set(ItemPlan.model_fields)
        return cls(
            **{name: getattr(accepted, name) for name in _CaseFacts.model_fields},
            applicant_type=accepted.applicant.id_type, applicant_ref=applicant_ref, raters=tuple(raters),
            items=tuple(ItemPlan(**{k: v for k, v in dict(i).items() if k in plan}) for i in accepted.items),
            proxy_role=accepted.proxy.role if accepted.proxy else None,
        )


class CorrectionFiled(EventPayload):
    """补正已提交: the applicant answered round ``round``'s correction notice for ``item_codes`` (the values
    and documents travel only on the dossier topic, in :class:`CaseCorrected`)."""

    event_type: ClassVar[str] = "intake.case.correction_filed"

    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    item_codes: tuple[str, ...] = Field(description="补正事项 Codes of the items the correction answers")
    round: int = Field(ge=1, description="补正轮次 The review round whose correction notice this answers (1 for the first)")


class DeliveredItem(_Part):
    item_code: str = Field(description="事项编码 The item")
    department: str = Field(description="承办部门 The department that handled the item")
    outcome: str = Field(description="办理结果 approved 准予, rejected 不予, or not_processed 前置事项未通过，未办理")
    document_no: str | None = Field(
        default=None, description="文书编号 Number of the department's result document; None when it gave none")
    licence_id: str | None = Field(
        default=None, description="证照标识 The e-licence issued for the item; None when none was")


class CaseDelivered(EventPayload):
    """The one result of the case was handed over once (一次送达 / 一窗出件)."""

    event_type: ClassVar[str] = "intake.case.delivered"

    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    method: DeliveryMethod = Field(description="出件方式 How the result was handed over: window 窗口领取 or mail 免费寄递")
    items: tuple[DeliveredItem, ...] = Field(description="办理结果 Each item's result as delivered")
    delivered_at: AwareDatetime = Field(description="送达时间 When the result was handed over (timestamp with offset); "
                                                    "the case's clock stops on its China calendar day")


class CaseNotified(EventPayload):
    """The one notice to the applicant about the case result (统一反馈)."""

    event_type: ClassVar[str] = "intake.case.notified"

    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    channel: Channel = Field(description="受理渠道 The case's channel, through which the applicant was notified")
    text_zh: str = Field(description="通知内容 The notice's text (Chinese)")
    text_en: str = Field(description="The notice's text in English")
