"""HTTP request and response models of intake (not Kafka contracts)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from contracts.intake.v1 import Channel, DeliveryMethod
from intake.domain.identity import resident_id_problem


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


class ApplicantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50, description="申请人姓名 Applicant's name")
    id_number: ResidentId = Field(description="18位公民身份号码 18-digit resident ID number (GB 11643)")
    phone: str | None = Field(default=None, pattern=r"^1\d{10}$", description="手机号码 Mobile number")


class DeliveryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: DeliveryMethod = Field(default=DeliveryMethod.WINDOW, description="窗口领取 window / 免费寄递 mail")
    address: str | None = Field(default=None, max_length=500, description="寄递地址 Mailing address")


class CaseCreate(BaseModel):
    """一表申请: one application for a one-thing."""

    model_config = ConfigDict(extra="forbid")

    bundle_code: str = Field(min_length=1, max_length=32, examples=["P-01"], description="一件事编号 One-thing code")
    items: list[str] | None = Field(default=None, description="所选事项（缺省为全部）Selected items (default: all)")
    applicant: ApplicantCreate
    form: dict[str, Annotated[str, Field(max_length=500)]] = Field(description="一张表单 The one form")
    channel: Channel = Channel.WINDOW
    delivery: DeliveryCreate = Field(default_factory=DeliveryCreate)


class CorrectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    form: dict[str, Annotated[str, Field(max_length=500)]] = Field(default_factory=dict)


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
    due_on: str | None


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
    correction_round: int
    notice_zh: str | None
    notice_en: str | None
    items: list[ItemPublic]
    timeline: list[TimelinePublic]


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
