"""Supervision's aggregates (电子监察的聚合): the one place its clocks, cards and flags change. Pure: no I/O.

* :class:`SupervisedClock`, a clock (计时) of one release of a department task, of the whole case, or of a bad
  review's rectification order (差评整改), with its ledger (计时台账, the pure :class:`~supervision.domain.clocks.Clock`)
  and the colours of the cards it has earned. It starts, is suspended and resumed for the applicant, is extended by a
  supervisor, is re-projected and carded by the scan, and stops, each once.
* :class:`SupervisedCase`, what supervision keeps of a case to project its completion: its items and their progress.
* :class:`Card`, a yellow or red card (红黄牌) with the supervision order (督办单) a red card may carry.
* :class:`Flag`, a repetition flagged for inspection (SUP-05).

Each records what happened as domain events; ``adapters/messages.py`` turns them into the contract's payloads. Ids are
derived from what they are about, so a redelivered fact finds what it already made.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Literal
from uuid import NAMESPACE_URL, uuid5

from contracts.departments import department
from contracts.supervision.clocks import case_clock_id, item_clock, rectification_clock_id
from contracts.supervision.v1 import ClockKind
from contracts.workdays import WorkingCalendar
from exchange.aggregates import Aggregate
from exchange.messages import Text
from supervision.domain.cards import CardDue, cards_due
from supervision.domain.clocks import Clock
from supervision.domain.messages import MESSAGES

__all__ = [
    "Adjusted", "Card", "CardEvent", "CardIssued", "ClockEvent", "Flag", "FlagEvent", "Flagged", "ItemProgress",
    "Order", "Started", "Stopped", "SupervisedCase", "SupervisedClock", "card_id_for", "order_id_for",
    "resubmission_flags",
]


def card_id_for(about: str, colour: str) -> str:
    """One card per (clock or finding, colour)."""
    return str(uuid5(NAMESPACE_URL, f"onething:card:{about}:{colour}"))


def order_id_for(card_id: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"onething:order:{card_id}"))


# --- cards and orders (红黄牌、督办) ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Order:
    """A supervision order (督办单) a red card carries."""

    kind: Literal["overdue", "forced_stop"]
    respond_by: date
    text_zh: str
    text_en: str


@dataclass(frozen=True, slots=True)
class CardIssued:
    """The card (and its order, if any) was issued."""


CardEvent = CardIssued


@dataclass
class Card(Aggregate[CardEvent]):
    """A yellow or red card about a clock, or about a finding (``about``: the clock id or the finding's key)."""

    about: str
    case_id: str
    item_code: str  # "" when the card is of no one item
    department: str
    staff_id: str | None
    colour: Literal["yellow", "red"]
    reason: Literal["near_deadline", "overdue", "beyond_list", "undeliverable"]
    due_on: date
    working_days_left: int
    issued_on: date
    text_zh: str
    text_en: str
    order: Order | None = None

    @property
    def card_id(self) -> str:
        return card_id_for(self.about, self.colour)

    @classmethod
    def issue(cls, about: str, case_id: str, item_code: str, department: str, staff_id: str | None,
              colour: Literal["yellow", "red"], reason: Literal["near_deadline", "overdue", "beyond_list", "undeliverable"],
              due_on: date, working_days_left: int, issued_on: date, text_zh: str, text_en: str, *,
              order: Order | None = None) -> Card:
        card = cls(about, case_id, item_code, department, staff_id, colour, reason, due_on, working_days_left,
                   issued_on, text_zh, text_en, order)
        card.record(CardIssued())
        return card


# --- flags (重复申请、重复索要, SUP-05) -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Flagged:
    """The repetition was flagged."""


FlagEvent = Flagged


@dataclass
class Flag(Aggregate[FlagEvent]):
    case_id: str
    kind: Literal["resubmitted", "asked_again"]
    item_codes: tuple[str, ...]
    flagged_on: date
    text_zh: str
    other_case_id: str | None = None
    department: str | None = None
    material_code: str | None = None

    @property
    def flag_id(self) -> str:
        return str(uuid5(NAMESPACE_URL, f"onething:flag:{self.case_id}:{self.kind}:{self.other_case_id}:"
                                        f"{self.material_code}"))

    @classmethod
    def raise_(cls, case_id: str, kind: Literal["resubmitted", "asked_again"], item_codes: tuple[str, ...],
               flagged_on: date, text_zh: str, *, other_case_id: str | None = None, department: str | None = None,
               material_code: str | None = None) -> Flag:
        flag = cls(case_id, kind, item_codes, flagged_on, text_zh, other_case_id, department, material_code)
        flag.record(Flagged())
        return flag


# --- cases --------------------------------------------------------------------------------------------------------


@dataclass
class ItemProgress:
    """One item of a case as supervision projects it."""

    item_code: str
    department: str
    requires: tuple[str, ...]
    limit_days: int  # the item's promised limit (承诺时限)
    status: str = "waiting"  # waiting | released | approved | rejected | not_processed
    concluded_on: date | None = None


@dataclass
class SupervisedCase:
    """A case as supervision keeps it; ``applicant_ref`` is intake's pseudonym (the same applicant, not who)."""

    case_id: str
    bundle_code: str
    lead_department: str
    applicant_ref: str
    window_id: str | None
    staff_id: str | None
    accepted_on: date
    items: list[ItemProgress]
    delivered_on: date | None = None

    def released(self, item_code: str) -> None:
        self._set(item_code, status="released")

    def concluded(self, item_code: str, outcome: str, on: date) -> None:
        self._set(item_code, status=outcome, concluded_on=on)

    def deliver(self, on: date) -> None:
        if self.delivered_on is None:
            self.delivered_on = on

    def _set(self, item_code: str, **changes: object) -> None:
        self.items = [replace(i, **changes) if i.item_code == item_code else i for i in self.items]  # type: ignore[arg-type]


def resubmission_flags(case: SupervisedCase, open_cases: list[SupervisedCase]) -> list[Flag]:
    """SUP-05: the same applicant's open cases (``open_cases``) already hold some of ``case``'s items (重复申请)."""
    codes = {i.item_code for i in case.items}
    flags = []
    for other in open_cases:
        shared = sorted(codes & {i.item_code for i in other.items})
        if shared:
            flags.append(Flag.raise_(
                case.case_id, "resubmitted", tuple(shared), case.accepted_on,
                MESSAGES.text("resubmitted", other_case_id=other.case_id,
                              items=Text("、".join(shared), ", ".join(shared))).zh,
                other_case_id=other.case_id))
    return flags


# --- clocks -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Started:
    """An item's or a rectification's clock started (the case's own clock starts unannounced)."""


@dataclass(frozen=True, slots=True)
class Stopped:
    on: date
    on_time: bool
    handling_days: int


@dataclass(frozen=True, slots=True)
class Adjusted:
    """The ledger moved. ``ordinal``: how many suspensions (suspended, resumed) or extensions (extended) it then
    holds, which makes each adjustment's event id."""

    kind: Literal["suspended", "resumed", "extended", "reprojected"]
    on: date
    reason_zh: str
    days: int = 0
    approver: str | None = None
    ordinal: int = 0


ClockEvent = Started | Stopped | Adjusted


@dataclass
class SupervisedClock(Aggregate[ClockEvent]):
    clock_id: str
    case_id: str
    task_id: str  # the task released, the case id (its own clock) or the rectification id
    attempt: int
    item_code: str  # "" when the clock is of no one item
    kind: ClockKind
    department: str
    limit_working_days: int  # what the clock runs on: an item's promised limit (承诺时限)
    started_at: datetime
    due_on: date  # as last judged: at the start, an adjustment, a re-projection or the finish
    ledger: Clock
    statutory_working_days: int | None = None  # an item's statutory limit (法定时限), beside it
    staff_id: str | None = None
    cards_issued: frozenset[str] = field(default_factory=frozenset)  # colours

    @property
    def started_on(self) -> date:
        return self.ledger.started_on

    @property
    def finished_on(self) -> date | None:
        return self.ledger.finished_on

    @classmethod
    def of_case(cls, case_id: str, department: str, limit_days: int, started_at: datetime, started_on: date,
                staff_id: str | None, calendar: WorkingCalendar) -> SupervisedClock:
        """受理即计时: the case's own clock, on the bundle limit (R-05) from the day of acceptance; announced, for
        its due date is the one the applicant is shown (intake shows what supervision keeps)."""
        clock = cls(case_clock_id(case_id), case_id, case_id, 0, "", "case", department, limit_days, started_at,
                    calendar.add_working_days(started_on, limit_days), Clock(started_on, limit_days), staff_id=staff_id)
        clock.record(Started())
        return clock

    @classmethod
    def of_release(cls, case_id: str, task_id: str, attempt: int, item_code: str, department: str, promised_days: int,
                   statutory_days: int, released_at: datetime, calendar: WorkingCalendar) -> SupervisedClock:
        """推送即计时: each release of a task starts its own clock, on the item's promised limit (承诺时限): the
        statutory one may be longer than the whole compressed chain it is on (R-05)."""
        started = item_clock(task_id, attempt, released_at, promised_days, calendar)  # as every reader derives it
        clock = cls(started.clock_id, case_id, task_id, attempt, item_code, "item", department, promised_days,
                    released_at, started.due_on, Clock(started.started_on, promised_days),
                    statutory_working_days=statutory_days)
        clock.record(Started())
        return clock

    @classmethod
    def of_rectification(cls, case_id: str, rectification_id: str, item_code: str | None, department: str,
                         limit_days: int, opened_at: datetime, opened_on: date,
                         calendar: WorkingCalendar) -> SupervisedClock:
        """差评整改时限: the order's limit counted on supervision's calendar, carded and ordered like an item's."""
        clock = cls(rectification_clock_id(rectification_id), case_id, rectification_id, 0, item_code or "",
                    "rectification", department, limit_days, opened_at,
                    calendar.add_working_days(opened_on, limit_days), Clock(opened_on, limit_days))
        clock.record(Started())
        return clock

    def stop(self, on: date, calendar: WorkingCalendar) -> None:
        """Finish on ``on`` with its verdict, once: a finished clock is left alone."""
        if self.ledger.finished_on is not None:
            return
        self.ledger = self.ledger.finish(on)
        self.due_on = self.ledger.due_on(calendar, on)  # as judged: the ledger and today's calendar at the finish
        on_time, handling_days = self.ledger.on_time(calendar), self.ledger.handling_days(calendar)
        assert on_time is not None and handling_days is not None  # finished just above
        self.record(Stopped(on, on_time, handling_days))

    def suspend(self, on: date, reason_zh: str, calendar: WorkingCalendar) -> None:
        """一次性告知补正: the clock waits for the applicant, recorded with the reason (once)."""
        after = self.ledger.suspend(on, reason_zh)
        if after != self.ledger:
            self._adjust(after, Adjusted("suspended", on, reason_zh, ordinal=len(after.suspensions)), calendar)

    def resume(self, on: date, calendar: WorkingCalendar) -> None:
        after = self.ledger.resume(on)
        if after != self.ledger:
            days = after.suspensions[-1].working_days(calendar, on)
            self._adjust(after, Adjusted("resumed", on, MESSAGES.text("correction_filed").zh, days,
                                         ordinal=len(after.suspensions)), calendar)

    def extend(self, days: int, reason_zh: str, approver: str, today: date, calendar: WorkingCalendar) -> None:
        """延期: more working days, with the reason and who approved it. ``OverflowError`` when the new due date
        would fall past the calendar's end (nothing changes)."""
        after = self.ledger.extend(days, reason_zh, approver)
        after.due_on(calendar, today)  # raises before anything changes
        self._adjust(after, Adjusted("extended", today, reason_zh, days, approver, ordinal=len(after.extensions)),
                     calendar)

    def _adjust(self, after: Clock, adjusted: Adjusted, calendar: WorkingCalendar) -> None:
        self.ledger = after
        self.due_on = after.due_on(calendar, adjusted.on)
        self.record(adjusted)

    def scan(self, today: date, calendar: WorkingCalendar, *, threshold: int, respond_days: int) -> list[Card]:
        """巡检: re-project the due date if the calendar moved it, then issue the cards the clock has earned by
        ``today`` and not yet received, a red one with its supervision order."""
        if self.ledger.finished_on is not None:
            return []
        due = self.ledger.due_on(calendar, today)
        if due != self.due_on and not self.ledger.suspended:  # the calendar changed under an open deadline
            self.due_on = due
            self.record(Adjusted("reprojected", today, MESSAGES.text("calendar_changed").zh))
        earned = [self._card(due_card, today, calendar, respond_days)
                  for due_card in cards_due(self.ledger, today, calendar, threshold=threshold, issued=self.cards_issued)]
        self.cards_issued |= {card.colour for card in earned}
        return earned

    def _card(self, due: CardDue, today: date, calendar: WorkingCalendar, respond_days: int) -> Card:
        dept = department(self.department)
        name = Text(dept.name_zh, dept.name_en)
        left = max(due.working_days_left, 0)
        rectification = self.kind == "rectification"  # 差评整改: the department's answer to a bad review
        if rectification and self.item_code:
            what = MESSAGES.text("rectification_of_item", case_id=self.case_id, item_code=self.item_code,
                                 department=name)
        elif rectification:
            what = MESSAGES.text("rectification_of_case", case_id=self.case_id, department=name)
        elif self.kind == "item":
            what = MESSAGES.text("clock_of_item", case_id=self.case_id, item_code=self.item_code)
        else:
            what = MESSAGES.text("clock_of_case", case_id=self.case_id)
        if due.colour == "yellow":
            if rectification:
                text = MESSAGES.text("rectification_warning", what=what, due_on=due.due_on, left=left)
            else:  # the days left are told in Chinese only
                days_left = Text(MESSAGES.text("yellow_card_days_left", left=left).zh, "")
                text = MESSAGES.text("yellow_card", what=what, department=name, due_on=due.due_on, days_left=days_left)
            return Card.issue(self.clock_id, self.case_id, self.item_code, self.department, self.staff_id, "yellow",
                              "near_deadline", due.due_on, due.working_days_left, today, text.zh, text.en)
        respond_by = calendar.add_working_days(today, respond_days)
        if rectification:
            text = MESSAGES.text("rectification_overdue", what=what, due_on=due.due_on)
            order = MESSAGES.text("rectification_order", department=name, respond_by=respond_by, case_id=self.case_id)
        else:
            text = MESSAGES.text("red_card", what=what, department=name, due_on=due.due_on)
            order = MESSAGES.text("overdue_order", department=name, respond_by=respond_by, what=what)
        return Card.issue(self.clock_id, self.case_id, self.item_code, self.department, self.staff_id, "red", "overdue",
                          due.due_on, due.working_days_left, today, text.zh, text.en,
                          order=Order("overdue", respond_by, order.zh, order.en))
