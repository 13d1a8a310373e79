"""限流: the token bucket anonymous callers of the open routes are held to."""

from __future__ import annotations

from exchange.rate_limit import RateLimiter


def test_a_client_gets_its_burst_then_waits_for_the_rate() -> None:
    now = [0.0]
    limit = RateLimiter(rate_per_s=2.0, burst=3, clock=lambda: now[0])
    assert [limit.wait_s("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limit.wait_s("a") == 0.5  # one token every half second
    assert limit.wait_s("b") == 0.0, "each client has its own bucket"
    now[0] = 0.5
    assert limit.wait_s("a") == 0.0
    assert limit.wait_s("a") > 0.0
    now[0] = 100.0
    assert [limit.wait_s("a") for _ in range(4)] == [0.0, 0.0, 0.0, 0.5], "a quiet client refills to the burst only"


def test_quiet_clients_are_forgotten_first() -> None:
    now = [0.0]
    limit = RateLimiter(rate_per_s=1.0, burst=2, clock=lambda: now[0], max_clients=2)
    limit.wait_s("busy")
    limit.wait_s("busy")
    limit.wait_s("quiet")
    limit.wait_s("third")
    assert limit.wait_s("busy") > 0.0, "the busy client is remembered, still empty"
