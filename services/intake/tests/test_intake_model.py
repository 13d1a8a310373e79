"""Intake's case aggregate without I/O: accepted once with its dossier; one consolidated correction notice per
review round, answered once, moving the due date by the days it waited; 容缺 materials fulfil their commitments;
the result is delivered once, when every item has settled, with a timeline entry for every step."""

from __future__ import annotations

from datetime import UTC, date, datetime

from contracts.dispatch.v1 import Deficiency
from contracts.intake.v1 import Applicant, Commitment, MaterialProvision, MaterialRef
from contracts.workdays import national_calendar
from intake.domain.assistance import FastTrack
from intake.domain.case import CaseState, CaseStatus, ItemState, ItemStatus
from intake.domain.model import Acceptance, Accepted, Case, Corrected, Delivered, Noted

CAL = national_calendar()
NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
MONDAY = date(2026, 11, 23)
MISSING = Deficiency(item_code="P-01-02", department="police", kind="material", code="M2",
                     reason_zh="材料不清晰", reason_en="not legible")


def accepted() -> Case:
    state = CaseState("OT1", {
        "P-01-01": ItemState("P-01-01", "出生医学证明", "Birth certificate", "health", True, 5, 3),
        "P-01-02": ItemState("P-01-02", "户口登记", "Household registration", "police", False, 10, 5),
    })
    commitment = Commitment(material_code="M3", kind="tolerance", due_on=date(2026, 11, 30), text_zh="容缺承诺")
    return Case.accept(
        "OT1", "P-01", "2026.1", "window", "window", state, {"baby_name": "张小明"},
        materials=[{"code": "M2", "submit_code": "M2", "item_code": "P-01-02"},
                   {"code": "M3", "submit_code": "M3", "item_code": "P-01-02"}],
        limit_days=8, due_on=date(2026, 12, 3),
        acceptance=Acceptance(Applicant(name="张三", id_type="resident_id", id_number="110101199003071234"), NOW,
                              MONDAY, None, "W-1", "S-1", None, FastTrack(False), None, None, None),
        accepted=Accepted("出生一件事", "Newborn", "health", (), (commitment,), "ref", None))


def notes(case: Case) -> list[str]:
    return [e.kind for e in case.recorded if isinstance(e, Noted)]


def test_acceptance_records_the_dossier_once_with_open_commitments() -> None:
    case = accepted()
    assert [type(e) for e in case.collect()] == [Accepted]
    assert case.state.status is CaseStatus.ACCEPTED
    assert case.commitments == [{"material_code": "M3", "kind": "tolerance", "due_on": "2026-11-30",
                                 "text_zh": "容缺承诺", "status": "open"}]


def test_one_notice_per_round_and_a_correction_closes_it_once() -> None:
    case = accepted()
    case.collect()
    case.review_concluded(1, (MISSING,), date(2026, 11, 24))
    case.review_concluded(1, (MISSING,), date(2026, 11, 24))  # the same round again: the notice is open
    assert case.correction is not None and case.state.status is CaseStatus.AWAITING_CORRECTION
    refs = (MaterialRef(code="M2", name_zh="户口簿", provision=MaterialProvision.UPLOAD, document="doc-2"),)
    case.correct({}, {"M2": "doc-2"}, refs, ("P-01-02",), 2)
    assert case.correction is None and case.correction_round == 1
    assert case.paused_days == 2 and case.due_on == date(2026, 12, 3)  # the estimate at acceptance stays as it was
    assert case.materials[0]["document"] == "doc-2" and case.materials[1].get("document") is None
    assert [e for e in case.recorded if isinstance(e, Corrected)] == [Corrected(1, ("P-01-02",), {}, refs)]
    assert notes(case) == ["correction_requested", "corrected"]
    case.review_concluded(1, (MISSING,), date(2026, 11, 26))  # a late repeat of an answered round
    assert case.correction is None


def test_a_supplement_fulfils_its_commitment() -> None:
    case = accepted()
    case.collect()
    case.supplement({"M3": "doc-3"}, date(2026, 11, 25))
    assert case.commitments[0] == {"material_code": "M3", "kind": "tolerance", "due_on": "2026-11-30",
                                   "text_zh": "容缺承诺", "status": "fulfilled", "fulfilled_on": "2026-11-25",
                                   "document": "doc-3"}
    assert case.materials[1]["document"] == "doc-3" and notes(case) == ["supplemented"]


def test_delivered_once_when_every_item_has_settled_with_its_licence() -> None:
    case = accepted()
    case.collect()
    case.released("P-01-01", 1, "health", 5, 3, date(2026, 11, 26), "clock-item-1")
    assert case.state.items["P-01-01"].due_on == "2026-11-26"
    assert case.concluded("P-01-01", 1, "approved", "BMC-1", None, None, "health")
    assert not case.concluded("P-01-01", 1, "approved", "BMC-1", None, None, "health")  # a repeat
    assert case.concluded("P-01-02", 1, "rejected", None, "不符合条件", "not eligible", "police")
    assert not case.ready_for_delivery  # the approved item's licence is still to come
    assert case.licence_issued("P-01-01", "L-1", "BMC-1", "health")
    case.deliver(NOW, "出生一件事", "Newborn")
    case.deliver(NOW, "出生一件事", "Newborn")
    assert [e for e in case.recorded if isinstance(e, Delivered)] == [Delivered(NOW)]
    assert case.state.items["P-01-02"].status is ItemStatus.REJECTED and case.state.status is CaseStatus.DELIVERED
    assert case.notice_zh is not None and "未准予 户口登记" in case.notice_zh
    assert notes(case) == ["released", "concluded.approved", "concluded.rejected", "licence", "delivered"]


def test_an_item_decided_with_its_review_says_so_on_the_timeline() -> None:
    case = accepted()
    case.collect()
    case.released("P-01-01", 1, "health", 0, 0, date(2026, 11, 24), "clock-item-1")
    assert case.concluded("P-01-01", 1, "approved", "BMC-1", None, None, "health", decided_at_review=True)
    [note] = [e for e in case.recorded if isinstance(e, Noted) and e.kind == "concluded.approved"]
    assert note.text_zh.startswith("即审即办，") and note.text_en.startswith("Decided on the spot with its review: ")


def test_the_timeline_says_who_did_the_preliminary_review() -> None:
    """委托窗口初审: the window's review, the departments', or both."""
    said = []
    for window_reviewed in ((), ("P-01-01",), ("P-01-01", "P-01-02")):
        case = accepted()
        case.collect()
        case.review_concluded(1, (), MONDAY, window_reviewed)
        [note] = [e for e in case.recorded if isinstance(e, Noted)]
        said.append((note.kind, note.text_zh))
    assert said == [("reviewed", "各部门预审通过，进入办理"), ("reviewed", "窗口初审与各部门预审通过，进入办理"),
                    ("reviewed", "窗口一次性初审通过，进入办理")]


def test_once_supervision_keeps_the_case_clock_its_due_date_is_the_cases() -> None:
    case = accepted()
    case.collect()
    case.case_clock_started("clock-case", date(2026, 12, 3))
    case.clock_moved("clock-case", "suspended", date(2026, 12, 3), 0, "补正")  # nothing the applicant sees moves
    case.clock_moved("clock-case", "resumed", date(2026, 12, 7), 2, "申请人已补正，恢复计时")
    case.clock_moved("clock-case", "extended", date(2026, 12, 14), 5, "需现场核查")
    case.clock_moved("clock-case", "extended", date(2026, 12, 14), 5, "需现场核查")  # redelivered: once
    assert case.supervised_due_on == date(2026, 12, 14)
    assert case.due_on == date(2026, 12, 3)  # intake's estimate is kept, no longer shown
    assert notes(case) == ["due_date_moved", "due_date_moved"]
    moved = [e for e in case.recorded if isinstance(e, Noted)]
    assert "2026-12-07" in moved[0].text_zh and "延长 5 个工作日至 2026-12-14：需现场核查" in moved[1].text_zh


def test_an_item_clock_moves_its_item_and_other_clocks_move_nothing() -> None:
    case = accepted()
    case.case_clock_started("clock-case", date(2026, 12, 3))
    case.released("P-01-01", 1, "health", 5, 3, date(2026, 11, 26), "clock-item-1")
    case.clock_moved("clock-item-1", "extended", date(2026, 11, 30), 2, "需补充检验")
    case.clock_moved("clock-rectification", "extended", date(2027, 1, 8), 10, "整改延期")  # 差评整改: not the applicant's
    assert case.state.items["P-01-01"].due_on == "2026-11-30"
    assert case.state.items["P-01-02"].due_on is None
    assert case.supervised_due_on == date(2026, 12, 3)
