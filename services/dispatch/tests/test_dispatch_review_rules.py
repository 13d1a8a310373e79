"""R-14 preliminary review: a round is complete when every item is reviewed; one merged list of findings."""

from __future__ import annotations

from contracts.dispatch.v1 import Deficiency
from dispatch.domain.review import ReviewStatus, ReviewView, merged_deficiencies, review_complete


def finding(item_code: str, kind: str, code: str, reason_zh: str = "不符合要求", department: str = "police") -> Deficiency:
    return Deficiency(item_code=item_code, department=department, kind=kind, code=code, reason_zh=reason_zh,
                      reason_en="not compliant")


def passed(item_code: str) -> ReviewView:
    return ReviewView(item_code, ReviewStatus.PASSED)


def pending(item_code: str) -> ReviewView:
    return ReviewView(item_code, ReviewStatus.PENDING)


def deficient(item_code: str, *findings: Deficiency) -> ReviewView:
    return ReviewView(item_code, ReviewStatus.DEFICIENT, findings)


def test_r14_round_complete_when_every_item_is_reviewed() -> None:
    assert review_complete([passed("A"), deficient("B", finding("B", "field", "x")), passed("C")])


def test_r14_round_not_complete_while_any_item_is_pending() -> None:
    assert not review_complete([passed("A"), pending("B"), passed("C")])
    assert not review_complete([pending("A")])


def test_r14_review_complete_takes_any_iterable() -> None:
    assert review_complete(iter([passed("A"), passed("B")]))
    assert not review_complete(v for v in [passed("A"), pending("B")])


def test_r14_no_findings_when_every_item_passed() -> None:
    assert merged_deficiencies([passed("A"), passed("B")]) == ()


def test_r14_findings_merged_in_review_order() -> None:
    a1, a2 = finding("A", "material", "A-M1"), finding("A", "field", "name")
    b1 = finding("B", "material", "B-M2")
    reviews = [deficient("A", a1, a2), passed("C"), deficient("B", b1)]
    assert merged_deficiencies(reviews) == (a1, a2, b1)


def test_r14_a_repeated_finding_is_listed_once_first_reason_kept() -> None:
    first = finding("A", "material", "A-M1", "缺少签字")
    again = finding("A", "material", "A-M1", "签字不清", department="health")
    other = finding("B", "field", "name")
    merged = merged_deficiencies([deficient("A", first, again), deficient("B", other, first)])
    assert merged == (first, other)
    assert merged[0].reason_zh == "缺少签字"


def test_r14_same_code_for_another_item_or_kind_is_a_different_finding() -> None:
    field_a = finding("A", "field", "name")
    material_a = finding("A", "material", "name")
    field_b = finding("B", "field", "name")
    assert merged_deficiencies([deficient("A", field_a, material_a), deficient("B", field_b)]) == (
        field_a, material_a, field_b)
