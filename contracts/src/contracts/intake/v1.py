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

    material_code: str
    kind: str  # "tolerance" (容缺补齐) | "notification" (告知承诺，事后核查)
    due_on: date  # supply-by date (容缺) or verify-by date (告知承诺)
    text_zh: str


class Proxy(_Part):
    """帮办代办: who handles the case for the applicant, and whether it is free (R-21)."""

    name: str
    id_number: str
    role: str  # staff | volunteer | relative | agent
    free: bool
    free_reason: str | None = None


class ItemPlan(_Part):
    """One selected item (事项) of the bundle as every service may know it: what, who, how long, after what."""

    item_code: str
    name_zh: str
    name_en: str
    department: str  # contracts.departments code
    time_limit_days: int = Field(ge=0)  # 法定办结时限（工作日）
    requires: tuple[str, ...] = ()  # prerequisite item codes (前置事项)
    yields_licence: bool = False
    licence_type: str | None = None
    # 承诺时限（工作日）: the item's share of the case's R-05 limit, what its clock runs on; None: the statutory limit
    promised_limit_days: int | None = Field(default=None, ge=0)

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

    case_id: str
    bundle_code: str
    bundle_name_zh: str
    bundle_name_en: str
    catalogue_version: str
    lead_department: str
    channel: Channel
    delivery_method: DeliveryMethod
    accepted_at: AwareDatetime
    accepted_on: date
    window_id: str | None = None  # 受理窗口 / 自助终端编号
    staff_id: str | None = None  # 受理人员
    fast_track: bool = False  # 绿色通道
    commitments: tuple[Commitment, ...] = ()
    limit_days: int | None = Field(default=None, ge=0)  # 一件事办结时限（工作日，R-05）
    due_on: date | None = None


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

    digest: str
    acting_as: str  # "applicant", or the proxy's role (staff | volunteer | relative | agent)


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

    applicant_type: str  # "resident_id" | "uscc"
    applicant_ref: str  # HMAC-SHA256 pseudonym, keyed by intake's secret
    raters: tuple[RaterRef, ...]
    items: tuple[ItemPlan, ...]
    proxy_role: str | None = None  # 帮办代办 by whom (staff | volunteer | relative | agent), not their name

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

    case_id: str
    item_codes: tuple[str, ...]
    round: int = Field(ge=1)


class DeliveredItem(_Part):
    item_code: str
    department: str
    outcome: str  # approved | rejected | not_processed
    document_no: str | None = None
    licence_id: str | None = None


class CaseDelivered(EventPayload):
    """The one result of the case was handed over once (一次送达 / 一窗出件)."""

    event_type: ClassVar[str] = "intake.case.delivered"

    case_id: str
    method: DeliveryMethod
    items: tuple[DeliveredItem, ...]
    delivered_at: AwareDatetime


class CaseNotified(EventPayload):
    """The one notice to the applicant about the case result (统一反馈)."""

    event_type: ClassVar[str] = "intake.case.notified"

    case_id: str
    channel: Channel
    text_zh: str
    text_en: str
