"""Contract dates are days in China (UTC+8), whatever the producing machine's time zone."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from contracts.days import china_date, china_today

FRI, SAT = date(2024, 3, 8), date(2024, 3, 9)


def test_days_are_counted_in_china_time() -> None:
    assert china_date(datetime(2024, 3, 8, 15, 59, tzinfo=UTC)) == FRI
    assert china_date(datetime(2024, 3, 8, 16, 0, tzinfo=UTC)) == SAT  # midnight in Beijing
    assert china_date(datetime(2024, 3, 8, 23, 0, tzinfo=timezone(timedelta(hours=8)))) == FRI
    with pytest.raises(ValueError, match="naive"):
        china_date(datetime(2024, 3, 8, 12, 0))


@pytest.mark.parametrize("host_zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])  # UTC+14 and UTC-11
def test_today_is_the_day_in_china_whatever_the_hosts_zone(host_zone: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """At any instant at least one of these two host zones is on another date than China, so a ``china_today``
    that used the host's local date would fail here at whatever time the test runs."""
    monkeypatch.setenv("TZ", host_zone)
    time.tzset()
    try:
        assert china_today() == (datetime.now(UTC) + timedelta(hours=8)).date()
    finally:
        monkeypatch.undo()
        time.tzset()
