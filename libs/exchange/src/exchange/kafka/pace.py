"""取数节奏 How long a consumer's fetch waits at the broker: short while records come, longer once it is idle.

A fetch that finds nothing waits its whole wait at the embedded broker, and every empty answer costs the broker
about a millisecond of CPU whatever the wait (docs/performance.md, step 19): ten answers a second per consumer at
100 ms. A record that arrives meanwhile is handed over late, the later the longer the wait (one consumer, records
sent at random moments, ``benchmarks/broker_fetch.py lateness``: at most 19–48 ms late at a 100 ms wait, 76–247 ms
at 500, 659–685 ms at 2 s; step 20). A consumer that has had records in the last ``idle_after_s`` waits
``busy_ms``, so hops stay quick under load; one that has had none for that long waits ``idle_ms``, so an idle
system stops spending a fifth of a core on empty answers. The price: the first case after a quiet spell is handed
over a little later once at each consumer it passes.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer

__all__ = ["FetchPace", "set_fetch_wait"]


@dataclass(slots=True)
class FetchPace:
    busy_ms: int
    idle_ms: int
    idle_after_s: float
    last_records_at: float  # when a poll last returned records (the consumer's start, before any)

    def wait_ms(self, now: float) -> int:
        """The fetch wait to use from ``now`` on."""
        return self.idle_ms if now - self.last_records_at >= self.idle_after_s else self.busy_ms

    def polled(self, had_records: bool, now: float) -> int:
        """A poll came back (with records or not); the wait to use for the next fetches."""
        if had_records:
            self.last_records_at = now
        return self.wait_ms(now)


def set_fetch_wait(consumer: AIOKafkaConsumer, wait_ms: int) -> bool:
    """Change the wait of ``consumer``'s next fetch requests (aiokafka reads it as each request is made; it has no
    public setter). False, and the consumer keeps its wait, if this aiokafka keeps it elsewhere."""
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is None or not isinstance(getattr(fetcher, "_fetch_max_wait_ms", None), int):
        return False
    fetcher._fetch_max_wait_ms = wait_ms
    return True
