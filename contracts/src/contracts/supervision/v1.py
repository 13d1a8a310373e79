"""Events owned by the supervision service (电子监察服务), version 1."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field

from contracts.envelope import EventPayload

__all__ = ["CardIssued", "ClockAdjusted", "ClockKind", "ClockStarted", "ClockStopped", "FiguresPublished", "OrderIssued", "RepeatFlagged"]


ClockKind = Literal["item", "case", "rectification"]  # 事项时限 / 一件事时限 / 差评整改时限


class ClockStarted(EventPayload):
    """A clock started; it is due on ``due_on`` (办结时限，工作日): the case's own clock from its acceptance, a
    rectification clock from the order (``task_id`` is the rectification id). An item's clock (事项时限) runs from
    each release of its task on the item's promised limit (承诺时限), its statutory limit (法定时限) beside it;
    since 2026-12 its start is not announced here: ``dispatch.task.released`` says all of it, and a reader derives
    the clock's id and due date with ``contracts.supervision.clocks.item_clock``; its adjustments and its stop are
    announced. Streams from before hold item starts too, with the same values."""

    event_type: ClassVar[str] = "supervision.clock.started"

    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    task_id: str = Field(description="计时对象 What the clock times: the task (<case_id>/<item_code>) for an item clock, "
                                     "the case id for the case's own clock, the rectification id for a rectification "
                                     "clock")
    item_code: str = Field(description="事项编码 The item; empty for the case's own clock and for a rectification of the "
                                       "whole case")
    department: str = Field(description="责任部门 The department answerable for the clock (for the case's own clock, the "
                                        "lead department)")
    limit_working_days: int = Field(ge=0, description="计时时限 Working days the clock runs on: an item's promised limit "
                                                      "(承诺时限), the case's limit (R-05), or the rectification limit")
    started_on: date = Field(description="起算日 The China calendar day the clock started: the task's release, the "
                                         "case's acceptance or the order's opening")
    due_on: date = Field(description="到期日 The due date as started: limit_working_days working days after started_on")
    clock_id: str | None = Field(
        default=None, description="计时编号 The clock's identifier (UUID, derived from what it times); None in events "
                                  "published before it was added")
    kind: ClockKind = Field(default="item", description="计时类型 item 事项时限, case 一件事时限, or rectification 差评整改时限")
    statutory_working_days: int | None = Field(
        default=None, ge=0, description="法定时限 An item's statutory limit in working days, beside its promised limit; "
                                        "None for case and rectification clocks")


class ClockStopped(EventPayload):
    """A clock stopped: the item concluded, the case was delivered, or the rectification order closed; with
    whether it finished on time (for satisfaction against timeliness)."""

    event_type: ClassVar[str] = "supervision.clock.stopped"

    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    clock_id: str = Field(description="计时编号 The clock that stopped")
    kind: ClockKind = Field(description="计时类型 item 事项时限, case 一件事时限, or rectification 差评整改时限")
    task_id: str = Field(description="计时对象 The task (<case_id>/<item_code>), the case id or the rectification id, as "
                                     "the clock's kind says")
    item_code: str | None = Field(
        default=None, description="事项编码 The item; None for the case's own clock and for a rectification of the whole "
                                  "case")
    department: str = Field(description="责任部门 The department answerable for the clock")
    due_on: date = Field(description="到期日 The due date as judged at the finish, suspensions and extensions included")
    finished_on: date = Field(description="办结日 The China calendar day the clock stopped")
    on_time: bool = Field(description="是否按时 True when finished_on is on or before due_on")
    handling_days: int = Field(ge=0, description="办理用时 Working days the clock ran, suspensions left out")


class ClockAdjusted(EventPayload):
    """A clock's ledger moved (计时台账): suspended while the applicant is asked (补正), resumed, extended with
    an approver's reason, or re-projected after a calendar change. ``due_on`` is the new due date."""

    event_type: ClassVar[str] = "supervision.clock.adjusted"

    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    clock_id: str = Field(description="计时编号 The clock adjusted")
    item_code: str | None = Field(
        default=None, description="事项编码 The clock's item; None: the case's own clock (一件事办结时限) or a rectification of "
                                  "the whole case")
    kind: Literal["suspended", "resumed", "extended", "reprojected"] = Field(
        description="调整类型 suspended 暂停计时 (补正), resumed 恢复计时, extended 延期, or reprojected (the working calendar "
                    "changed)")
    days: int = Field(default=0, description="调整天数 Working days suspended (on resumed) or added (on extended); 0 "
                                             "otherwise")
    reason_zh: str = Field(description="调整原因 Why (Chinese)")
    approver: str | None = Field(default=None, description="审批人 Who approved an extension; None for the other kinds")
    due_on: date = Field(description="新到期日 The clock's due date after the adjustment")
    on: date = Field(description="调整日 The China calendar day of the adjustment")


class CardIssued(EventPayload):
    """A yellow card (预警, a clock near its end; or a department request parked as undeliverable, 无法送达) or a
    red card (overdue, or materials beyond the published list) to the responsible department and staff; each
    (clock, colour) is issued once (红黄牌)."""

    event_type: ClassVar[str] = "supervision.card.issued"

    card_id: str = Field(description="红黄牌编号 The card's identifier (UUID; one per clock or finding and colour)")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    clock_id: str = Field(description="计时编号 The clock the card is about; for beyond_list and undeliverable cards, a "
                                      "key of the finding or of the request's parking instead (no clock)")
    item_code: str | None = Field(
        default=None, description="事项编码 The item; None for the case's own clock and a rectification of the whole case")
    department: str = Field(description="责任部门 The department carded")
    staff_id: str | None = Field(
        default=None, description="受理人员 Workforce number of the staff member who accepted the case, on cards of the "
                                  "case's own clock and beyond_list and undeliverable cards, when known; None "
                                  "otherwise")
    colour: Literal["yellow", "red"] = Field(description="颜色 yellow 黄牌 (预警) or red 红牌")
    reason: Literal["near_deadline", "overdue", "beyond_list", "undeliverable"] = Field(
        description="原因 near_deadline 临近到期, overdue 超期, beyond_list 清单之外索要 (R-04), or undeliverable 无法送达")
    due_on: date = Field(description="到期日 The clock's due date when carded; for beyond_list and undeliverable cards, "
                                     "the day of the finding or parking")
    working_days_left: int = Field(description="剩余工作日 Working days from issued_on to due_on; negative once overdue; 0 "
                                               "for beyond_list and undeliverable cards")
    issued_on: date = Field(description="发牌日 The China calendar day the card was issued")
    text_zh: str = Field(description="内容 The card's text (Chinese)")
    text_en: str = Field(description="The card's text in English")


class OrderIssued(EventPayload):
    """A supervision order (督办单) to the responsible department, with the red card that caused it."""

    event_type: ClassVar[str] = "supervision.order.issued"

    order_id: str = Field(description="督办单编号 The order's identifier (UUID, one per red card)")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters")
    card_id: str = Field(description="红牌编号 The red card that caused the order")
    item_code: str | None = Field(
        default=None, description="事项编码 The item; None for the case's own clock and a rectification of the whole case")
    department: str = Field(description="责任部门 The department ordered")
    respond_by: date = Field(description="反馈期限 Date by which the department must answer the order (for forced_stop, "
                                         "the day of issue)")
    issued_on: date = Field(description="下发日 The China calendar day the order was issued")
    text_zh: str = Field(description="督办内容 The order's text (Chinese)")
    text_en: str = Field(description="The order's text in English")
    kind: Literal["overdue", "forced_stop"] = Field(
        default="overdue", description="督办类型 overdue 超期督办 (a red card for an overdue clock), or forced_stop 强制停止实施 "
                                       "(materials or fields asked beyond the published list, R-04)")


class RepeatFlagged(EventPayload):
    """A repetition flagged for inspection (重复申请、重复索要材料, SUP-05): the same applicant's open case already
    holds the same item, or a department asked again for a material the platform already holds."""

    event_type: ClassVar[str] = "supervision.repeat.flagged"

    flag_id: str = Field(description="标记编号 The flag's identifier")
    case_id: str = Field(description="办件编号 The case number (一事一号): OT, the acceptance date (YYYYMMDD) and 12 hex "
                                     "characters, the one flagged")
    kind: Literal["resubmitted", "asked_again"] = Field(
        description="类型 resubmitted 重复申请 (the same applicant's open case holds the same item) or asked_again 重复索要材料 "
                    "(a department asked for a material the platform holds)")
    item_codes: tuple[str, ...] = Field(description="事项编码 The items concerned: those both cases hold (resubmitted), "
                                                    "or the item reviewed (asked_again)")
    other_case_id: str | None = Field(
        default=None, description="另一办件 The same applicant's open case holding the same items (resubmitted); None for "
                                  "asked_again")
    department: str | None = Field(
        default=None, description="部门 The department that asked again (asked_again); None for resubmitted")
    material_code: str | None = Field(
        default=None, description="材料编码 The material asked for again (asked_again); None for resubmitted")
    flagged_on: date = Field(description="标记日 The China calendar day of the flag")
    text_zh: str = Field(description="说明 The flag's text (Chinese)")


class FiguresPublished(EventPayload):
    """A day's efficiency figures (办理效能) for one department, item or window, for analysts. No personal data.

    Two units: ``cases`` counts cases (办件), ``items_*`` count item clocks (事项计时, one per release of an item to
    its department); each rate names what it is per. ``finished`` counts item clocks too: read ``items_finished``.
    ``items_released`` and ``items_finished`` are none in figures published before they were added.
    """

    event_type: ClassVar[str] = "supervision.figures.published"

    day: date = Field(description="发布日 The China calendar day the figures were published; they cover all "
                                  "supervision's records as of that day, not that day alone")
    by: Literal["department", "item", "window"] = Field(
        description="统计维度 department 部门, item 事项, or window 窗口 (online cases under the key online)")
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
