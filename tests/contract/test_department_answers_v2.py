"""Department answers v2 (部门回传第二版): v1 records still read, as v2; what v1 could say wrongly is refused."""

from __future__ import annotations

import pytest

from contracts.department import v1, v2
from contracts.dispatch.v1 import Outcome
from contracts.envelope import Envelope
from contracts.examples import example
from contracts.registry import PayloadError, decode_payload


def _v1(payload: v1.ResultReturned | v1.ReviewReturned) -> Envelope:
    return Envelope.wrap(payload, source=f"dept.{payload.department}", subject=payload.case_id)


def test_a_v1_review_is_read_as_findings_of_its_item() -> None:
    review = example(v1.ReviewReturned)
    decoded = decode_payload(_v1(review))
    assert isinstance(decoded, v2.ReviewReturned) and decoded.event_version == 2
    [finding] = decoded.deficiencies
    assert finding == v2.Finding(kind="field", code="household_address", reason_zh="地址不完整",
                                 reason_en="incomplete address")


def test_a_v1_finding_about_another_item_is_refused() -> None:
    review = example(v1.ReviewReturned)
    foreign = review.deficiencies[0].model_copy(update={"item_code": "P-01-01", "department": "health"})
    with pytest.raises(PayloadError):
        decode_payload(_v1(review.model_copy(update={"deficiencies": (foreign,)})))


def test_a_v1_result_asking_for_correction_is_refused_and_a_decision_is_read() -> None:
    result = example(v1.ResultReturned)
    decoded = decode_payload(_v1(result))
    assert isinstance(decoded, v2.ResultReturned) and decoded.outcome is v2.Decision.REJECTED
    with pytest.raises(PayloadError, match="corrections") as refused:
        decode_payload(_v1(result.model_copy(update={"outcome": Outcome.NEEDS_CORRECTION})))
    assert refused.value.code == "correction_outside_review"  # the name the department's refusal notice gives
    with pytest.raises(PayloadError, match="outcome") as mismatched:  # a plain schema mismatch has no code
        decode_payload(_v1(result.model_copy(update={"outcome": "perhaps"})))
    assert mismatched.value.code is None
