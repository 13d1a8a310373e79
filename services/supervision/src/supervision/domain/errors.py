"""Supervision errors.

* exchange.Rejected          (dead-lettered by the consumer runner)
  (none yet: every released task gets a clock)
"""

from __future__ import annotations

from exchange.errors import Rejected

__all__ = ["Rejected"]
