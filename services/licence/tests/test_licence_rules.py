"""Licence rules without I/O: identity, validity terms, status transitions and who may do what."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.licence.v1 import LicenceState, StatusAction
from licence.domain.licences import (
    StatusChangeRefused,
    licence_id_for,
    licence_number,
    may_change_status,
    may_read_archive,
    next_state,
    validity,
)


def test_the_same_approval_always_names_the_same_licence() -> None:
    assert licence_id_for("C-1", "P-01-01") == licence_id_for("C-1", "P-01-01") != licence_id_for("C-1", "P-01-02")
    lid = licence_id_for("C-1", "P-01-01")
    assert licence_number("business-licence", lid, " 市监字〔2026〕1号 ") == "市监字〔2026〕1号"
    assert licence_number("business-licence", lid, None).startswith("BUSINESS-LICENCE-")


def test_a_term_ends_the_day_before_its_anniversary_china_time() -> None:
    issued = datetime(2026, 11, 20, 17, 30, tzinfo=UTC)  # 2026-11-21 01:30 in China
    term = validity(issued, 5)
    assert (term.first_day, term.last_day) == (date(2026, 11, 21), date(2031, 11, 20))
    assert validity(issued, None).valid_until is None
    leap = validity(datetime(2028, 2, 29, 4, tzinfo=UTC), 1)
    assert leap.last_day == date(2029, 2, 27)
    with pytest.raises(ValueError):
        validity(datetime(2026, 1, 1), 1)


@pytest.mark.parametrize(
    "state, action, after",
    [
        (LicenceState.ACTIVE, StatusAction.REVOKE, LicenceState.REVOKED),
        (LicenceState.ACTIVE, StatusAction.SUSPEND, LicenceState.SUSPENDED),
        (LicenceState.SUSPENDED, StatusAction.REINSTATE, LicenceState.ACTIVE),
        (LicenceState.SUSPENDED, StatusAction.REVOKE, LicenceState.REVOKED),
    ],
)
def test_allowed_status_changes(state: LicenceState, action: StatusAction, after: LicenceState) -> None:
    assert next_state(state, action) is after


@pytest.mark.parametrize(
    "state, action",
    [
        (LicenceState.REVOKED, StatusAction.REINSTATE),
        (LicenceState.REVOKED, StatusAction.SUSPEND),
        (LicenceState.REVOKED, StatusAction.REVOKE),
        (LicenceState.ACTIVE, StatusAction.REINSTATE),
        (LicenceState.SUSPENDED, StatusAction.SUSPEND),
    ],
)
def test_refused_status_changes_say_why(state: LicenceState, action: StatusAction) -> None:
    with pytest.raises(StatusChangeRefused) as refused:
        next_state(state, action)
    assert refused.value.message_zh and refused.value.message_en


def test_only_the_issuer_changes_status_and_readers_match_patterns() -> None:
    assert may_change_status("dept.health", "health") and not may_change_status("dept.police", "health")
    assert not may_change_status("licence", "health")
    assert may_read_archive("dept.police", ["intake", "dept.*"]) and may_read_archive("intake", ["intake"])
    assert not may_read_archive("registry.population", ["intake", "dept.*"])
