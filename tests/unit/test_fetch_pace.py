"""取数节奏 (exchange.kafka.pace.FetchPace), driven with a clock of its own."""

from __future__ import annotations

from exchange.kafka.pace import FetchPace


def pace() -> FetchPace:
    return FetchPace(busy_ms=100, idle_ms=500, idle_after_s=30.0, last_records_at=1000.0)


def test_a_consumer_is_quick_until_it_has_been_quiet_long_enough() -> None:
    p = pace()
    assert p.polled(False, 1000.0) == 100  # just started: a backlog may be waiting
    assert p.polled(False, 1029.9) == 100
    assert p.polled(False, 1030.0) == 500


def test_records_make_it_quick_at_once_and_it_stays_so_for_the_quiet_period() -> None:
    p = pace()
    assert p.polled(False, 1100.0) == 500
    assert p.polled(True, 1100.4) == 100
    assert p.polled(False, 1129.0) == 100
    assert p.polled(False, 1130.4) == 500


def test_idle_equal_to_busy_never_slows_down() -> None:
    p = FetchPace(busy_ms=100, idle_ms=100, idle_after_s=1.0, last_records_at=0.0)
    assert {p.polled(False, t) for t in (0.0, 5.0, 500.0)} == {100}
