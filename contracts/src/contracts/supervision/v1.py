"""Events owned by the supervision service (电子监察服务), version 1."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import EventPayload

__all__ = ["CardIssued", "ClockAdjusted", "ClockKind", "ClockStarted", "ClockStopped", "FiguresPublished", "OrderIssued", "RepeatFlagged"]


ClockKind = Literal["item", "case", "rectification"]  # 事项时限 / 一件事时限 / 差评整改时限


class ClockStarted(EventPayload):
    """A clock started; it is due on ``due_on`` (办结时限，工作日). An item's clock runs from each release of
    its task (``task_id``) on the item's promised limit (承诺时限), its statutory limit (法定时限) beside it; a
    rectification clock from the order (``task_id`` is the rectification id)."""

    event_type: ClassVar[str] = "supervision.clock.started"

    case_id: str
    task_id: str
    item_code: str
    department: str
    limit_working_days: int = Field(ge=0)  # what the clock runs on: an item's promised limit (承诺时限)
    started_on: date
    due_on: date
    clock_id: str | None = None
    kind: ClockKind = "item"
    statutory_working_days: int | None = Field(default=None, ge=0)  # an item's statutory limit (法定时限), beside it


class ClockStopped(EventPayload):
    """A clock stopped: the item concluded, the case was delivered, or the rectification order closed; with
    whether it finished on time (for satisfaction against timeliness)."""

    event_type: ClassVar[str] = "supervision.clock.stopped"

    case_id: str
    clock_id: str
    kind: ClockKind
    task_id: str
    item_code: str | None = None
    department: str
    due_on: date
    finished_on: date
    on_time: bool
    handling_days: int = Field(ge=0)  # working days the clock ran, suspensions left out


class ClockAdjusted(EventPayload):
    """A clock's ledger moved (计时台账): suspended while the applicant is asked (补正), resumed, extended with
    an approver's reason, or re-projected after a calendar change. ``due_on`` is the new due date."""

    event_type: ClassVar[str] = "supervision.clock.adjusted"

    case_id: str
    clock_id: str
    item_code: str | None = None  # None: the case's own clock (一件事办结时限)
    kind: Literal["suspended", "resumed", "extended", "reprojected"]
    days: int = 0  # working days suspended (on resume) or extended
    reason_zh: str
    approver: str | None = None
    due_on: date
    on: date


class CardIssued(EventPayload):
    """A yellow card (预警, a clock near its end; or a department request parked as undeliverable, 无法送达) or a
    red card (overdue, or materials beyond the published list) to the responsible department and staff; each
    (clock, colour) is issued once (红黄牌)."""

    event_type: ClassVar[str] = "supervision.card.issued"

    card_id: str
    case_id: str
    clock_id: str
    item_code: str | None = None
    department: str
    staff_id: str | None = None
    colour: Literal["yellow", "red"]
    reason: Literal["near_deadline", "overdue", "beyond_list", "undeliverable"]  # undeliverable: 无法送达
    due_on: date
    working_days_left: int
    issued_on: date
    text_zh: str
    text_en: str


class OrderIssued(EventPayload):
    """A supervision order (督办单) to the responsible department, with the red card that caused it."""

    event_type: ClassVar[str] = "supervision.order.issued"

    order_id: str
    case_id: str
    card_id: str
    item_code: str | None = None
    department: str
    respond_by: date
    issued_on: date
    text_zh: str
    text_en: str
    kind: Literal["overdue", "forced_stop"] = "overdue"  # 超期督办 / 强制停止实施


class RepeatFlagged(EventPayload):
    """A repetition flagged for inspection (重复申请、重复索要材料, SUP-05): the same applicant's open case already
    holds the same item, or a department asked again for a material the platform already holds."""

    event_type: ClassVar[str] = "supervision.repeat.flagged"

    flag_id: str
    case_id: str
    kind: Literal["resubmitted", "asked_again"]
    item_codes: tuple[str, ...]
    other_case_id: str | None = None
    department: str | None = None
    material_code: str | None = None
    flagged_on: date
    text_zh: str


class FiguresPublished(EventPayload):
    """A day's efficiency figures (办理效能) for one department, item or window, for analysts. No personal data.

    Two units: ``cases`` counts cases (办件), ``items_*`` count item clocks (事项计时, one per release of an item to
    its department); each rate names what it is per. ``finished`` counts item clocks too: read ``items_finished``.
    ``items_released`` and ``items_finished`` are none in figures published before they were added.
    """

    event_type: ClassVar[str] = "supervision.figures.published"

    day: date
    by: Literal["department", "item", "window"]
    key: str = Field(description="部门代码、事项编码或窗口 The department, item code or window, as ``by`` says")
    cases: int = Field(ge=0, description="办件数 Cases with a released item or a card under this key: the base of "
                                         "yellow_per_100 and red_per_100")
    finished: int = Field(ge=0, deprecated="item clocks, not cases: read items_finished",
                          description="已弃用 Deprecated: equal to items_finished (item clocks, not cases)")
    on_time_rate: float | None = Field(
        default=None, description="按时办结率 Item clocks finished by their due date / items_finished (0–1)")
    mean_days: float | None = Field(
        default=None, description="平均办理用时 Mean working days per finished item clock, suspensions left out")
    p90_days: int | None = Field(
        default=None, description="办理用时90分位 Working days per finished item clock, 90th percentile (nearest rank)")
    yellow_per_100: float = Field(default=0, description="每百件黄牌数 Yellow cards per 100 cases")
    red_per_100: float = Field(default=0, description="每百件红牌数 Red cards per 100 cases")
    items_released: int | None = Field(
        default=None, ge=0, description="事项计时数 Item clocks started: releases of an item to its department "
                                        "(a retry is another)")
    items_finished: int | None = Field(
        default=None, ge=0, description="已办结事项计时数 Item clocks finished: the base of on_time_rate, mean_days "
                                        "and p90_days")
