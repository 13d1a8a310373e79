"""Supervision HTTP API (电子监察): clocks, cards, orders, projected completion and who is blocking a case.

Routes read through ``adapters.views`` and change state through use cases; refusals become HTTP answers in
``entrypoints.errors``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request
from fastapi.openapi.models import Example
from pydantic import BaseModel, ConfigDict, Field

from contracts.supervision.v1 import FiguresPublished
from contracts.text import InputProblem
from contracts.workdays import WorkingCalendar
from exchange.access.http import ACCESS_RESPONSES, Allow
from exchange.access.roles import Caller, Role
from exchange.db.database import Database
from exchange.http_edge import InputRefused, ServiceDatabase, refused, service_app
from exchange.messages import Text
from supervision.adapters import views
from supervision.domain.messages import MESSAGES
from supervision.entrypoints.board_page import mount_board
from supervision.entrypoints.errors import answer_refusals
from supervision.service_layer.extensions import extend_clock
from supervision.service_layer.figures import current_figures
from supervision.service_layer.scan import ScanResult
from supervision.service_layer.today import LATEST_TODAY, ClockBeyondCalendar, Today
from supervision.service_layer.unit_of_work import supervision_work

__all__ = ["ClockPublic", "FigurePublic", "create_app", "router"]


def _beyond_calendar(text: Text) -> InputRefused:
    return InputRefused(InputProblem("body.days", "date_out_of_range", text.zh, text.en))


@dataclass(frozen=True, slots=True)
class SupervisionTime:
    """The supervision clock the routes judge by (its calendar and its idea of today), and what moving it runs."""

    calendar: WorkingCalendar
    today: Today
    scan_now: Callable[[], Awaitable[ScanResult]]
    control: bool  # whether operators may move it (tests and the demo only)


async def _clock(request: Request) -> SupervisionTime:
    clock: SupervisionTime = request.app.state.supervision_clock
    return clock


TheClock = Annotated[SupervisionTime, Depends(_clock)]


class ClockPublic(BaseModel):
    clock_id: str
    task_id: str
    attempt: int
    item_code: str
    department: str
    limit_working_days: int  # what the clock runs on: an item's promised limit (承诺时限)
    statutory_working_days: int | None  # the item's statutory limit (法定时限)
    started_at: datetime
    started_on: date
    due_on: date
    due_on_provisional: bool = False  # 暂定: counted over a year whose holiday arrangement is not yet published
    finished_on: date | None


_FIGURE = FiguresPublished.model_fields  # one description per figure, for analysts and API callers alike


class FigurePublic(BaseModel):
    """办理效能 A department's, item's or window's efficiency figures. ``cases`` counts cases (办件), ``items_*``
    count item clocks (事项计时, one per release of an item to its department)."""

    key: str = Field(description=_FIGURE["key"].description)
    cases: int = Field(description=_FIGURE["cases"].description)
    items_released: int = Field(description=_FIGURE["items_released"].description)
    items_finished: int = Field(description=_FIGURE["items_finished"].description)
    finished: int = Field(deprecated=True, description=_FIGURE["finished"].description)
    on_time_rate: float | None = Field(description=_FIGURE["on_time_rate"].description)
    mean_days: float | None = Field(description=_FIGURE["mean_days"].description)
    p90_days: int | None = Field(description=_FIGURE["p90_days"].description)
    yellow_per_100: float = Field(description=_FIGURE["yellow_per_100"].description)
    red_per_100: float = Field(description=_FIGURE["red_per_100"].description)


class ExtensionCreate(BaseModel):
    """延期 An extension of a clock and its reason; the approver (批准人) is the supervisor whose token asks."""

    model_config = ConfigDict(extra="forbid")

    days: int = Field(ge=1, le=60, description="延长的工作日 Working days added")
    reason_zh: str = Field(min_length=2, max_length=200, description="延期理由 Reason")


# What a person types by hand at /docs; test_supervision_cards posts it to a real clock.
EXTENSION_EXAMPLES = {"site_inspection": Example(
    summary="需现场核查，批准延期 Two working days for a site inspection, approved",
    value={"days": 2, "reason_zh": "需现场核查，经分管领导批准延期"},
)}


class AdvanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(ge=0, le=366, description="把监察时钟向前拨的日历天数 Calendar days to move forward")


# Who may read and do what here (角色): the case views carry no personal data, only clocks, cards and actors.
CaseReader = Annotated[Caller, Depends(Allow(Role.SUPERVISOR, Role.OPERATOR, Role.CLERK))]
Supervisor = Annotated[Caller, Depends(Allow(Role.SUPERVISOR))]
FigureReader = Annotated[Caller, Depends(Allow(Role.SUPERVISOR, Role.ANALYST, Role.OPERATOR))]
Scanner = Annotated[Caller, Depends(Allow(Role.SUPERVISOR, Role.OPERATOR))]
Operator = Annotated[Caller, Depends(Allow(Role.OPERATOR))]


router = APIRouter()


@router.get("/cases/{case_id}/clocks", response_model=list[ClockPublic], summary="办件的计时 Clocks of a case",
            responses=ACCESS_RESPONSES)
async def case_clocks(case_id: str, _: CaseReader, database: ServiceDatabase, clock: TheClock) -> list[ClockPublic]:
    rows = await views.item_clocks(database, case_id)
    if not rows:
        raise refused(404, MESSAGES.text("case_clocks_not_found"))
    return [ClockPublic.model_validate(r, from_attributes=True).model_copy(
        update={"due_on_provisional": clock.calendar.is_provisional(r.started_on, r.due_on)}) for r in rows]


@router.get("/cases/{case_id}/supervision",
            summary="办件监察视图 Clocks with ledgers, cards, orders, projected completion, blocking department",
            responses=ACCESS_RESPONSES)
async def supervision_view(case_id: str, _: CaseReader, database: ServiceDatabase, clock: TheClock
                           ) -> dict[str, Any]:
    view = await views.case_view(database, case_id, clock.today(), clock.calendar)
    if view is None:
        raise refused(404, MESSAGES.text("case_clocks_not_found"))
    return view


class BoardOrder(BaseModel):
    order_id: str
    kind: str = Field(description="overdue 督办 | forced_stop 强制停止实施")
    respond_by: date
    issued_on: date
    text_zh: str


class BoardCardPublic(BaseModel):
    """A card on the supervision board (监察看板): the clock's worst card, with how far past its limit it runs."""

    card_id: str
    clock_id: str
    case_id: str
    bundle_code: str | None = Field(description="the case's one-thing (一件事)")
    item_code: str | None = Field(description="the item; null for a card on the whole case's clock")
    department: str = Field(description="the department holding the clock (who has to answer)")
    department_zh: str
    department_en: str
    colour: str = Field(description="yellow 黄牌 | red 红牌")
    reason: str = Field(description="near_deadline | overdue | beyond_list | undeliverable …")
    clock_kind: str | None = Field(description="item | case | rectification; null: a card with no clock of its own")
    issued_on: date
    due_on: date = Field(description="the clock's due date today (after extensions and suspensions)")
    working_days_past: int = Field(description="working days past the due date as of today (0: within it)")
    open: bool = Field(description="its clock still runs (a card with no clock: its case is not delivered)")
    text_zh: str
    orders: list[BoardOrder] = Field(description="supervision orders (督办) and forced stops issued on the card")


class LateDepartment(BaseModel):
    """阻塞部门 A department holding item clocks past their due date."""

    department: str
    department_zh: str
    department_en: str
    late_clocks: int = Field(description="running item clocks past their due date")
    worst_working_days_past: int = Field(description="the furthest past, in working days")


@router.get("/cards", response_model=list[BoardCardPublic], responses=ACCESS_RESPONSES,
            summary="红黄牌一览（监察人员）Cards across cases: open ones by default, red first, furthest past first")
async def cards(_: Supervisor, database: ServiceDatabase, clock: TheClock,
                state: Annotated[str, Query(pattern="^(open|all)$",
                                            description="open: clocks still running; all: every card")] = "open"
                ) -> list[dict[str, Any]]:
    return await views.board_cards(database, clock.today(), clock.calendar, only_open=state == "open")


@router.get("/late-departments", response_model=list[LateDepartment], responses=ACCESS_RESPONSES,
            summary="阻塞部门（监察人员）Departments holding the most late item clocks")
async def late_departments(_: Supervisor, database: ServiceDatabase, clock: TheClock) -> list[dict[str, Any]]:
    return await views.late_departments(database, clock.today(), clock.calendar)


@router.get("/rectification-clocks", responses=ACCESS_RESPONSES,
            summary="整改时限（监察人员）Every rectification order's clock: due date, state, working days left")
async def rectification_clocks(_: Supervisor, database: ServiceDatabase, clock: TheClock) -> list[dict[str, Any]]:
    return await views.rectification_clocks(database, clock.today(), clock.calendar)


@router.get("/cases/{case_id}/audit", summary="全程留痕 Every fact of a case: time, actor, evidence hash",
            responses=ACCESS_RESPONSES)
async def audit(case_id: str, _: CaseReader, database: ServiceDatabase) -> list[dict[str, Any]]:
    rows = await views.case_audit(database, case_id)
    if not rows:
        raise refused(404, MESSAGES.text("case_clocks_not_found"))
    return rows


@router.post("/clocks/{clock_id}/extensions", status_code=201, summary="延期 Extend a clock (supervisors)",
             responses=ACCESS_RESPONSES)
async def extend(clock_id: str, body: Annotated[ExtensionCreate, Body(openapi_examples=EXTENSION_EXAMPLES)],
                 supervisor: Supervisor, database: ServiceDatabase, clock: TheClock) -> dict[str, Any]:
    try:
        async with supervision_work(database) as uow:
            extended = await extend_clock(uow, clock_id, body.days, body.reason_zh, supervisor.subject,
                                          clock.today(), clock.calendar)
    except OverflowError:  # the new due date would fall past 9999-12-31; nothing was written
        raise _beyond_calendar(MESSAGES.text("extension_beyond_calendar")) from None
    return {"clock_id": extended.clock_id, "due_on": extended.due_on,
            "extensions": [asdict(e) for e in extended.ledger.extensions]}


@router.get("/figures", summary="办理效能 Cases, item clocks, on-time rate, mean and p90 working days per finished "
                                "item, cards per 100 cases", responses=ACCESS_RESPONSES)
async def get_figures(_: FigureReader, database: ServiceDatabase, clock: TheClock,
                      by: Annotated[str, Query(pattern="^(department|item|window)$")] = "department"
                      ) -> list[FigurePublic]:
    return [FigurePublic(**asdict(f), finished=f.items_finished)
            for f in await current_figures(database, by, clock.calendar)]


@router.get("/clock", summary="监察时钟 The supervision clock")
async def get_clock(clock: TheClock) -> dict[str, Any]:
    return {"today": clock.today(), "offset_days": clock.today.offset_days, "control": clock.control,
            "calendar": clock.calendar.source, "calendar_changes": list(clock.calendar.changes)}


@router.post("/clock/advance", summary="拨快监察时钟并巡检（仅测试与演示，运维）Move the clock forward, then scan",
             responses=ACCESS_RESPONSES)
async def advance(body: AdvanceCreate, _: Operator, clock: TheClock) -> dict[str, Any]:
    if not clock.control:
        raise refused(403, MESSAGES.text("clock_control_off"))
    try:
        clock.today.advance(body.days)
    except ClockBeyondCalendar:
        raise _beyond_calendar(MESSAGES.text("clock_beyond_calendar", latest=LATEST_TODAY)) from None
    return await _scan(clock)


@router.post("/scan", summary="立即巡检 Scan now: re-project deadlines, issue due cards and orders",
             responses=ACCESS_RESPONSES)
async def scan_endpoint(_: Scanner, clock: TheClock) -> dict[str, Any]:
    return await _scan(clock)


async def _scan(clock: SupervisionTime) -> dict[str, Any]:
    return asdict(await clock.scan_now())


def create_app(database: Database, calendar: WorkingCalendar, today: Today,
               scan_now: Callable[[], Awaitable[ScanResult]], *, clock_control: bool) -> FastAPI:
    app = service_app(
        title="OneThing supervision 电子监察服务",
        version="1.1.0",
        description="法定时限计时、红黄牌预警、督办、预计办结与阻塞部门 / Statutory clocks, cards, orders, projections",
    )
    answer_refusals(app)
    app.state.database = database
    app.state.supervision_clock = SupervisionTime(calendar, today, scan_now, clock_control)
    app.include_router(router)
    mount_board(app)
    return app
