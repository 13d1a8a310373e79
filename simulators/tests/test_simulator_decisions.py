"""How a simulated department decides: deficiencies in preliminary review only (预审, R-14), then approve/reject."""

from __future__ import annotations

from uuid import uuid4

from contracts.department.v2 import Decision as Ruling
from contracts.dispatch.v1 import ReviewRequested
from contracts.intake.v1 import Applicant, MaterialProvision, MaterialRef
from simulators.decisions import Rates, decide, decide_review

SEED = 20261121
RATES = Rates(reject=0.05, correction=0.05, latency_ms_min=20, latency_ms_max=200)
ALWAYS = Rates(reject=0.0, correction=1.0, latency_ms_min=0, latency_ms_max=0)
UPLOADS = (
    MaterialRef(code="M1", name_zh="出生医学证明", provision=MaterialProvision.UPLOAD),
    MaterialRef(code="M2", name_zh="居民户口簿", provision=MaterialProvision.SHARING, shared_from="registry.population"),
    MaterialRef(code="M3", name_zh="父母结婚证", provision=MaterialProvision.UPLOAD),
)
FORM = {"household_address": "湖南省长沙市岳麓区人民路1号", "contact_phone": "13800000000"}


def request(case_id: str = "C-1", round_: int = 1, materials: tuple[MaterialRef, ...] = UPLOADS,
            form: dict[str, str] | None = None) -> ReviewRequested:
    return ReviewRequested(
        request_id=uuid4(), case_id=case_id, item_code="P-01-03", item_name_zh="出生登记", department="police",
        round=round_, applicant=Applicant(name="张三", id_type="resident_id", id_number="430104198803090213"),
        form=FORM if form is None else form, materials=materials,
    )


def test_handling_never_asks_for_correction_and_keeps_the_reject_rate() -> None:
    outcomes = [decide(SEED, RATES, f"C-{i}", "P-01-03", attempt).outcome for i in range(4000) for attempt in (1, 2)]
    assert set(outcomes) == set(Ruling)  # approved or rejected: the contract has no correction to ask
    rejected = outcomes.count(Ruling.REJECTED) / len(outcomes)
    assert 0.03 < rejected < 0.07
    assert all(decide(SEED, ALWAYS, f"C-{i}", "X", 1).outcome is Ruling.APPROVED for i in range(200))


def test_review_finds_deficiencies_at_the_correction_rate_in_round_one_only() -> None:
    first = [decide_review(SEED, RATES, request(f"C-{i}")) for i in range(4000)]
    share = sum(bool(d.deficiencies) for d in first) / len(first)
    assert 0.035 < share < 0.065
    assert all(not decide_review(SEED, ALWAYS, request(f"C-{i}", round_=2)).deficiencies for i in range(200))
    assert all(20 <= d.latency_ms <= 200 for d in first)


def test_review_is_deterministic_per_case_item_and_round() -> None:
    a, b = request("C-42"), request("C-42")  # different request ids, same case, item and round
    assert decide_review(SEED, ALWAYS, a) == decide_review(SEED, ALWAYS, b)
    assert decide_review(SEED, RATES, a) == decide_review(SEED, RATES, b)


def test_deficiencies_name_uploaded_materials_with_concrete_reasons() -> None:
    counts = set()
    for i in range(100):
        found = decide_review(SEED, ALWAYS, request(f"C-{i}")).deficiencies
        counts.add(len(found))
        assert len({d.code for d in found}) == len(found)
        for d in found:
            assert d.kind == "material"  # of the reviewed item (the review names it, P-01-03 of the police)
            assert d.code in {"M1", "M3"}  # never the shared M2: the applicant was not asked for it
            name = {"M1": "出生医学证明", "M3": "父母结婚证"}[d.code]
            assert d.reason_zh.startswith(f"{name}：") and "请" in d.reason_zh
            assert d.reason_en.startswith(f"Material {d.code}: ") and "please" in d.reason_en
    assert counts == {1, 2}


def test_without_uploaded_materials_deficiencies_name_form_fields() -> None:
    shared_only = (UPLOADS[1],)
    for i in range(50):
        found = decide_review(SEED, ALWAYS, request(f"C-{i}", materials=shared_only)).deficiencies
        assert 1 <= len(found) <= 2
        assert all(d.kind == "field" and d.code in FORM and d.code in d.reason_zh for d in found)
    assert decide_review(SEED, ALWAYS, request(materials=shared_only, form={})).deficiencies == ()


def test_a_form_field_is_named_by_its_label_on_the_form_when_the_reviewer_knows_it() -> None:
    shared_only = (UPLOADS[1],)
    labels = {name: (f"标签{name}", f"Label {name}") for name in FORM}
    found = decide_review(SEED, ALWAYS, request("C-1", materials=shared_only),
                          lambda _item, name: labels.get(name)).deficiencies
    assert found and all(d.reason_zh.startswith(f"表单字段「标签{d.code}」") for d in found)
    assert all(d.reason_en.startswith(f"Form field “Label {d.code}”") for d in found)
    assert all(d.code in FORM for d in found), "the code stays the field's name: the correction form answers it"
