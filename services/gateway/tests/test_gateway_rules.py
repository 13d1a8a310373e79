"""The gateway's rules, pure: back-off, parking, one envelope id per receipt and answer, what repeats an answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from contracts.department.v1 import RequestKind, answer_event_id, receipt_event_id
from gateway.config import GatewaySettings
from gateway.domain.requests import (
    Delivery,
    DeliveryPolicy,
    after_failed_delivery,
    retry_delay,
    same_decision,
)

POLICY = DeliveryPolicy(max_attempts=4, backoff_s=2.0, backoff_max_s=5.0)
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def test_retries_back_off_exponentially_up_to_the_cap() -> None:
    assert [retry_delay(POLICY, n).total_seconds() for n in (1, 2, 3, 4)] == [2.0, 4.0, 5.0, 5.0]


def test_a_delivery_is_parked_after_its_last_attempt() -> None:
    assert after_failed_delivery(POLICY, 1, NOW) == (Delivery.PENDING, NOW + timedelta(seconds=2))
    assert after_failed_delivery(POLICY, 3, NOW) == (Delivery.PENDING, NOW + timedelta(seconds=5))
    assert after_failed_delivery(POLICY, 4, NOW) == (Delivery.UNDELIVERABLE, None)


def test_receipts_and_answers_have_one_id_per_request() -> None:
    request = uuid4()
    assert receipt_event_id(request) == receipt_event_id(request) != receipt_event_id(uuid4())
    assert answer_event_id(RequestKind.HANDLING, request) == answer_event_id(RequestKind.HANDLING, request)
    assert answer_event_id(RequestKind.REVIEW, request) != answer_event_id(RequestKind.HANDLING, request)
    assert len({receipt_event_id(request), answer_event_id(RequestKind.HANDLING, request)}) == 2


def test_an_answer_repeats_another_whatever_time_it_gives() -> None:
    first = {"outcome": "approved", "document_no": "A-1", "decided_at": "2026-12-04T09:00:00+00:00"}
    assert same_decision({**first, "decided_at": "2026-12-04T10:00:00+00:00"}, first)
    assert not same_decision({**first, "outcome": "rejected"}, first)
    assert not same_decision({**first, "document_no": "A-2"}, first)


def test_the_departments_setting_takes_codes_urls_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONETHING_GATEWAY_DEPARTMENTS", "police,tax=https://tax.example/onething")
    assert GatewaySettings().gateway_departments == {"police": None, "tax": "https://tax.example/onething"}
    monkeypatch.setenv("ONETHING_GATEWAY_DEPARTMENTS", '{"police": "http://police.example/cb"}')
    assert GatewaySettings().gateway_departments == {"police": "http://police.example/cb"}
    monkeypatch.setenv("ONETHING_GATEWAY_DEPARTMENTS", '["police"]')
    assert GatewaySettings().gateway_departments == {"police": None}
    for wrong in ("polise", "police=ftp://x"):
        monkeypatch.setenv("ONETHING_GATEWAY_DEPARTMENTS", wrong)
        with pytest.raises(ValueError, match=r"polise|ftp"):
            GatewaySettings()
