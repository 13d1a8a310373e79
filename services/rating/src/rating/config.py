"""Rating settings (``ONETHING_*``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from contracts.departments import department
from exchange.settings import EMBEDDED_HTTP_PORTS, ExchangeSettings


class RatingSettings(ExchangeSettings):
    service_name: ClassVar[str] = "rating"
    default_http_port: ClassVar[int] = EMBEDDED_HTTP_PORTS["rating"]

    service_database_url: str | None = Field(default=None, validation_alias="ONETHING_RATING_DATABASE_URL")
    rating_rectification_working_days: int = Field(
        default=15, ge=1, le=60,
        description="差评整改时限（工作日，按电子监察日历计算）/ working days to rectify a bad review")
    rating_centre_department: str = Field(
        default="approval",
        description="受理窗口所属部门（政务服务中心），对受理环节的评价负责 / the department answerable for acceptance")
    rating_supervisors: list[str] = Field(
        default_factory=lambda: ["dept.approval", "supervision"],
        description="可回访、复核申诉的调用身份（不得办理本部门的整改单）/ principals that call back applicants and "
                    "decide appeals (never on their own department's orders)")
    rating_max_unreachable_callbacks: int = Field(
        default=3, ge=1, description="回访无法联系达到此次数后办结 / unreachable call-backs before closing")
    rating_figures_processor: bool = Field(
        default=True, description="在本进程运行满意度统计流处理 / run the figures stream processor in this process")

    @field_validator("rating_centre_department")
    @classmethod
    def _known_department(cls, code: str) -> str:
        try:
            department(code)  # a typo must not silently misaddress the acceptance's orders
        except KeyError as exc:
            raise ValueError(str(exc)) from None
        return code
