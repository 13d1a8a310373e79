"""Intake's case aggregate (办件聚合). Pure: no I/O.

A :class:`Case` is accepted once (受理, :class:`Accepted`: the dossier for dispatch and the facts for the case stream),
answers its consolidated correction notice once per round (一次补正, :class:`Corrected`) and takes its 容缺 materials;
it folds what the departments, licence and supervision say about it (``domain/case.py``'s
:class:`~intake.domain.case.CaseState`) and decides what the applicant is told: every step is recorded as a
:class:`Noted` entry of the case's timeline (进度, 全程留痕), the consolidated correction notice (一次性告知) is opened
once per review round, and the result is delivered once (一次送达, :class:`Delivered`) when every item has settled.
``adapters/messages.py`` turns the events into the contract's payloads; the repository writes the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from contracts.departments import department
from contracts.dispatch.v1 import Deficiency
from contracts.intake.v1 import Applicant, CaseItem, Commitment, MaterialProvision, MaterialRef, Proxy
from exchange.aggregates import Aggregate
from exchange.messages import Text
from intake.domain.assistance import FastTrack
from intake.domain.case import CaseState, item_status_text, notice_texts
from intake.domain.errors import NothingToHandOver
from intake.domain.messages import MESSAGES

__all__ = [
    "HANDED_OVER", "Acceptance", "Accepted", "Case", "CaseEvent", "Corrected", "Delivered", "KeyedCase", "Noted",
    "OpenCorrection",
]

HANDED_OVER = "handed_over"  # the timeline entry of 出件 at the window: its kind is how the hand-over is known


@dataclass(frozen=True, slots=True)
class Noted:
    """A step of the case as the applicant sees it on its timeline."""

    kind: str
    text_zh: str
    text_en: str
    item_code: str | None = None
    department: str | None = None


@dataclass(frozen=True, slots=True)
class Delivered:
    """The result went out once, with the one notice (统一反馈)."""

    at: datetime


@dataclass(frozen=True, slots=True)
class Accepted:
    """受理: the whole application as one case, with what its dossier names beyond the case itself."""

    bundle_name_zh: str
    bundle_name_en: str
    lead_department: str
    items: tuple[CaseItem, ...]
    commitments: tuple[Commitment, ...]
    applicant_ref: str  # intake's pseudonym of the applicant, for the case stream
    rater_key: bytes | None  # keys the digests of who may rate the case


@dataclass(frozen=True, slots=True)
class Corrected:
    """一次补正: the applicant answered the round's notice; ``form`` and ``materials`` are what they supplied."""

    round: int
    item_codes: tuple[str, ...]
    form: dict[str, str]
    materials: tuple[MaterialRef, ...]


CaseEvent = Noted | Accepted | Corrected | Delivered


@dataclass(frozen=True, slots=True)
class Acceptance:
    """What the application said at acceptance, written once with the case and never changed."""

    applicant: Applicant
    accepted_at: datetime
    accepted_on: date
    delivery_address: str | None
    window_id: str | None
    staff_id: str | None
    proxy: Proxy | None
    fast_track: FastTrack
    idempotency_key: str | None  # as stored: scoped to the caller
    request_digest: str | None
    draft_id: str | None


@dataclass(frozen=True, slots=True)
class KeyedCase:
    """The case an ``Idempotency-Key`` (as stored) already made, and the fingerprint of the request that made it
    (None for a case from before revision 0003)."""

    case_id: str
    request_digest: str | None


@dataclass(frozen=True, slots=True)
class OpenCorrection:
    """The consolidated correction notice waiting for the applicant (补正)."""

    round: int
    requested_on: date
    deficiencies: tuple[Deficiency, ...]


def _name_zh(code: str) -> str:
    try:
        return department(code).name_zh
    except KeyError:
        return code


@dataclass
class Case(Aggregate[CaseEvent]):
    case_id: str
    bundle_code: str
    catalogue_version: str
    channel: str
    delivery_method: str
    correction_round: int  # the last round the applicant answered
    correction: OpenCorrection | None
    state: CaseState
    delivered_at: datetime | None = None
    notice_zh: str | None = None
    notice_en: str | None = None
    form: dict[str, str] = field(default_factory=dict)
    materials: list[dict[str, Any]] = field(default_factory=list)  # what the departments receive, by submit code
    commitments: list[dict[str, Any]] = field(default_factory=list)  # 容缺 and 告知承诺, with their status
    limit_days: int = 0
    due_on: date | None = None  # intake's estimate at acceptance, shown until supervision's clock starts
    paused_days: int = 0  # working days paused for corrections so far
    supervised_due_on: date | None = None  # the case clock as 电子监察 keeps it: the one due date once it is known
    case_clock_id: str | None = None
    acceptance: Acceptance | None = None  # only on the case just accepted: what its row is written from

    @classmethod
    def accept(cls, case_id: str, bundle_code: str, catalogue_version: str, channel: str, delivery_method: str,
               state: CaseState, form: dict[str, str], materials: list[dict[str, Any]], limit_days: int,
               due_on: date, acceptance: Acceptance, accepted: Accepted) -> Case:
        """受理: one case for the whole application, its dossier announced once."""
        case = cls(case_id, bundle_code, catalogue_version, channel, delivery_method, 0, None, state, form=form,
                   materials=materials, commitments=[c.model_dump(mode="json") | {"status": "open"}
                                                     for c in accepted.commitments],
                   limit_days=limit_days, due_on=due_on, acceptance=acceptance)
        case.record(accepted)
        return case

    def correct(self, supplied: dict[str, str], documents: dict[str, str], refs: tuple[MaterialRef, ...],
                item_codes: tuple[str, ...], paused: int) -> None:
        """一次补正 of the open notice (checked by the caller against it): the values and documents supplied, the
        working days it was paused counted, the notice closed. The new due date is supervision's to say
        (:meth:`case_clock_moved`)."""
        notice = self.correction
        assert notice is not None, "a correction answers an open notice"
        self.paused_days += paused
        self.form = {**self.form, **supplied}
        self.materials = _with_documents(self.materials, documents)
        self.correction_round, self.correction = notice.round, None
        self.state.correction_open = False
        self.record(Corrected(notice.round, item_codes, supplied, refs))
        self.note("corrected", MESSAGES.text("corrected", round=notice.round, paused=paused))

    def supplement(self, documents: dict[str, str], today: date) -> None:
        """容缺补齐: documents for materials accepted missing (by material code), each fulfilling its commitment."""
        self.commitments = [
            {**c, "status": "fulfilled", "fulfilled_on": today.isoformat(), "document": documents[c["material_code"]]}
            if c["kind"] == "tolerance" and c["material_code"] in documents else c
            for c in self.commitments
        ]
        self.materials = _with_documents(self.materials, documents)
        self.note("supplemented", MESSAGES.text("supplemented", materials=Text("、".join(sorted(documents)),
                                                                                 ", ".join(sorted(documents)))))

    def hand_over(self, collector: Text, window_id: str | None, staff_id: str | None) -> None:
        """出件: the delivered results handed over at the window, once, to ``collector`` (the applicant or their
        proxy), by the clerk of ``window_id``; on the case's timeline. Mailed results are not handed over here."""
        if self.delivered_at is None or self.delivery_method != "window":
            raise NothingToHandOver(self.case_id)
        self.note(HANDED_OVER, MESSAGES.text("handed_over", collector=collector, window=window_id or "—",
                                             staff=staff_id or "—"))

    def note(self, kind: str, text: Text, *, item_code: str | None = None, department: str | None = None) -> None:
        """A line of the case's timeline (办件进度), in both languages."""
        self.record(Noted(kind, text.zh, text.en, item_code, department))

    def review_concluded(self, round_: int, deficiencies: tuple[Deficiency, ...], on: date,
                         window_reviewed: tuple[str, ...] = ()) -> None:
        """Every department's preliminary review is in (the window's, for items whose departments entrusted it,
        委托窗口初审): one consolidated correction notice, or handling starts."""
        if round_ <= self.correction_round or self.correction is not None:
            return  # this round was answered already, or its notice is open
        if not deficiencies:
            by_window = set(window_reviewed) & set(self.state.items)
            kind = ("reviewed_by_window" if by_window == set(self.state.items) else
                    "reviewed_with_window" if by_window else "reviewed")
            self.note("reviewed", MESSAGES.text(kind))
            return
        self.correction = OpenCorrection(round_, on, deficiencies)
        self.state.correction_open = True
        lines = [MESSAGES.text("deficiency", code=d.code, department=Text(_name_zh(d.department), d.department),
                               reason=Text(d.reason_zh, d.reason_en)) for d in deficiencies]
        self.note("correction_requested", MESSAGES.text(
            "correction_requested", round=round_, count=len(deficiencies),
            deficiencies=Text("；".join(line.zh for line in lines), "; ".join(line.en for line in lines))))

    def released(self, item_code: str, attempt: int, department_code: str, statutory_days: int,
                 promised_days: int, due_on: date, clock_id: str) -> None:
        """The item went to its department; its clock at supervision (``clock_id``) is due on ``due_on``."""
        if not self.state.released(item_code, attempt):
            return  # a stale or repeated fact
        self.state.clock_started(item_code, due_on.isoformat(), clock_id)
        dept, item = department(department_code), self.state.items[item_code]
        self.note("released", MESSAGES.text("released", item=Text(item.name_zh, item.name_en),
                                            department=Text(dept.name_zh, dept.name_en), statutory=statutory_days,
                                            promised=promised_days),
                  item_code=item.item_code, department=dept.code)

    def concluded(self, item_code: str, attempt: int, outcome: str, document_no: str | None, reason_zh: str | None,
                  reason_en: str | None, department_code: str, decided_at_review: bool = False) -> bool:
        """Whether the conclusion was new (then the case may be ready for delivery); ``decided_at_review``: the
        department decided the on-the-spot item with its review (即审即办), and the timeline says so."""
        if not self.state.concluded(item_code, attempt, outcome, document_no, reason_zh):
            return False
        item = self.state.items[item_code]
        status = item_status_text(item.status)
        name = Text(item.name_zh, item.name_en)
        zh = MESSAGES.text("item_concluded_because" if reason_zh else "item_concluded", item=name, status=status,
                           reason=reason_zh).zh
        en = MESSAGES.text("item_concluded_because" if reason_en else "item_concluded", item=name, status=status,
                           reason=reason_en).en  # a department may give its reason in one language only
        if decided_at_review:
            on_the_spot = MESSAGES.text("decided_at_review", text=Text(zh, en))
            zh, en = on_the_spot.zh, on_the_spot.en
        self.note(f"concluded.{outcome}", Text(zh, en), item_code=item.item_code, department=department_code)
        return True

    def licence_issued(self, item_code: str, licence_id: str, number: str, issuer_department: str) -> bool:
        """Whether the licence was new (then the case may be ready for delivery)."""
        if not self.state.licence_issued(item_code, licence_id):
            return False
        self.note("licence", MESSAGES.text("licence_issued", number=number), item_code=item_code,
                  department=issuer_department)
        return True

    def licence_status_changed(self, state: str, reason_zh: str, item_code: str, issuer_department: str) -> None:
        """撤销/暂停/恢复 after delivery: the case's history says so; the delivered result itself stands."""
        self.note(f"licence_{state}", MESSAGES.text(f"licence_{state}", reason=reason_zh),  # revoked, suspended, active
                  item_code=item_code, department=issuer_department)

    def case_clock_started(self, clock_id: str, due_on: date) -> None:
        """电子监察 started the case clock (R-05): from now on its due date is the case's."""
        self.case_clock_id, self.supervised_due_on = clock_id, due_on

    def clock_moved(self, clock_id: str, kind: str, due_on: date, days: int, reason_zh: str) -> None:
        """A clock's ledger moved at supervision (计时台账). The case clock: resumed after a correction, extended
        with an approver's reason, or re-projected after a holiday arrangement changed, and its new due date is
        the case's. An item's: its due date moves with it. Any other clock (差评整改) is not the applicant's."""
        if clock_id != self.case_clock_id:
            self.state.clock_moved(clock_id, due_on.isoformat())
            return
        if self.supervised_due_on == due_on:
            return  # a suspension, or a repeat: nothing the applicant sees changes
        self.supervised_due_on = due_on
        if kind == "extended":  # the reason is given in zh-CN only
            self.note("due_date_moved", Text(
                MESSAGES.text("due_extended_because", days=days, due=due_on, reason=reason_zh).zh,
                MESSAGES.text("due_extended", days=days, due=due_on).en))
        else:
            key = {"resumed": "due_resumed", "reprojected": "due_reprojected"}.get(kind, "due_moved")
            self.note("due_date_moved", MESSAGES.text(key, due=due_on))

    @property
    def ready_for_delivery(self) -> bool:
        return self.state.ready_for_delivery()

    def deliver(self, at: datetime, bundle_name_zh: str, bundle_name_en: str) -> None:
        """一次送达: once, when every item has settled, with the one notice naming every item's outcome."""
        if not self.ready_for_delivery:
            return
        self.state.delivered = True
        self.delivered_at = at
        self.notice_zh, self.notice_en = notice_texts(self.state, bundle_name_zh, bundle_name_en, self.delivery_method)
        self.record(Delivered(at))
        how = MESSAGES.text("delivered_by_mail" if self.delivery_method == "mail" else "delivered_at_window")
        self.note("delivered", MESSAGES.text("delivered", how=how))


def _with_documents(rows: list[dict[str, Any]], documents: dict[str, str]) -> list[dict[str, Any]]:
    """The case's material list with newly supplied documents (by submit code) in place: what departments hold."""
    return [{**row, "provision": MaterialProvision.UPLOAD.value, "document": documents[row["submit_code"]]}
            if row.get("submit_code") in documents else row for row in rows]
