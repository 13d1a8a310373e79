"""Department answer deadlines (应答时限): when a request is re-sent, how long each wait is, when it is parked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.domain.deadlines import (
    DeadlinePolicy,
    NextStep,
    RedriveRefusal,
    RequestState,
    RequestView,
    due_at,
    next_step,
    redrive_refusal,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = DeadlinePolicy(timeout_s=30, max_resends=3, backoff=2, max_interval_s=100)


def sent(sends: int, at: datetime = T0, state: RequestState = RequestState.OPEN) -> RequestView:
    return RequestView(state, sends, at)


def test_a_request_waits_for_its_receipt_until_the_timeout_then_is_sent_again() -> None:
    assert next_step(sent(1), T0, POLICY) is NextStep.WAIT
    assert next_step(sent(1), T0 + timedelta(seconds=29.9), POLICY) is NextStep.WAIT
    assert next_step(sent(1), T0 + timedelta(seconds=30), POLICY) is NextStep.RESEND


def test_each_re_send_waits_twice_as_long_as_the_one_before_up_to_the_cap() -> None:
    assert [POLICY.interval(n).total_seconds() for n in range(4)] == [30, 60, 100, 100]
    assert due_at(sent(2), POLICY) == T0 + timedelta(seconds=60)  # the first re-send waits 60 s
    assert next_step(sent(2), T0 + timedelta(seconds=59), POLICY) is NextStep.WAIT
    assert next_step(sent(2), T0 + timedelta(seconds=60), POLICY) is NextStep.RESEND


def test_after_the_last_re_send_goes_unreceipted_the_request_is_parked() -> None:
    assert next_step(sent(3), T0 + timedelta(seconds=100), POLICY) is NextStep.RESEND  # the 3rd and last re-send
    assert next_step(sent(4), T0 + timedelta(seconds=99), POLICY) is NextStep.WAIT
    assert next_step(sent(4), T0 + timedelta(seconds=100), POLICY) is NextStep.PARK
    never = DeadlinePolicy(timeout_s=1, max_resends=0)
    assert next_step(sent(1), T0 + timedelta(seconds=1), never) is NextStep.PARK  # no re-send at all


@pytest.mark.parametrize("state", [RequestState.RECEIVED, RequestState.ANSWERED, RequestState.PARKED])
def test_a_receipt_an_answer_or_parking_stops_the_deadline(state: RequestState) -> None:
    late = T0 + timedelta(days=1)
    assert due_at(sent(2, state=state), POLICY) is None
    assert next_step(sent(2, state=state), late, POLICY) is NextStep.NOTHING


def test_an_operator_re_drives_anything_not_answered() -> None:
    assert redrive_refusal(sent(6, state=RequestState.PARKED)) is None
    assert redrive_refusal(sent(1)) is None
    assert redrive_refusal(sent(1, state=RequestState.RECEIVED)) is None
    assert redrive_refusal(sent(1, state=RequestState.ANSWERED)) is RedriveRefusal.ANSWERED


@pytest.mark.parametrize("bad", [dict(timeout_s=0), dict(max_resends=-1), dict(backoff=0.5),
                                 dict(timeout_s=60, max_interval_s=30)])
def test_a_policy_that_makes_no_sense_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        DeadlinePolicy(**bad)  # type: ignore[arg-type]
