"""Rate limits on what stays open (限流): a token bucket per client for anonymous requests.

The catalogue, the notices, licence verification, the trust list and status lists answer anyone; a scraper
or a script looping over ID numbers must not be able to ask them without end. Callers with a token or a
signature that checks out are not limited here (they are known, and their own routes decide); a bad token or
signature counts as none. Pure: the edge asks
:meth:`RateLimiter.wait_s` and answers 429 with ``Retry-After`` when it is not zero.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["RateLimiter"]


@dataclass
class RateLimiter:
    rate_per_s: float  # tokens added per second, per client
    burst: int  # the bucket's size: what a client may ask at once after being quiet
    clock: Callable[[], float] = time.monotonic
    max_clients: int = 10_000  # beyond it, the clients with the fullest buckets (the quietest) are forgotten
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # client -> (tokens, at)

    def wait_s(self, client: str) -> float:
        """Take one token for ``client``: 0.0 when there was one, else the seconds until there will be."""
        now = self.clock()
        tokens, at = self._buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate_per_s)
        if tokens >= 1.0:
            self._buckets[client] = (tokens - 1.0, now)
            self._forget_quiet()
            return 0.0
        self._buckets[client] = (tokens, now)
        return (1.0 - tokens) / self.rate_per_s

    def _forget_quiet(self) -> None:
        if len(self._buckets) > self.max_clients:
            quiet = sorted(self._buckets, key=lambda c: self._buckets[c][0], reverse=True)
            for client in quiet[: len(self._buckets) - self.max_clients]:
                del self._buckets[client]
