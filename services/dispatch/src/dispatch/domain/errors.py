"""Dispatch errors.

* exchange.Rejected          (dead-lettered by the consumer runner)
  + ForeignResult            a result signed by a department other than the task's
  + UnknownTask              a result for a task dispatch never created
"""

from __future__ import annotations

from exchange.errors import Rejected


class ForeignResult(Rejected):
    """A department answered for a task that is not its own."""


class UnknownTask(Rejected):
    """A result names a task that does not exist."""
