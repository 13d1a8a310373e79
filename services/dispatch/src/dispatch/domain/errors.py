"""Dispatch errors.

* exchange.Rejected          (dead-lettered by the consumer runner; the department is told: service_layer.refusals)
  + ForeignResult            a result signed by a department other than the task's
  + UnknownTask              a result for a task dispatch never created
  + CorrectionOutsideReview  a department asked for corrections while handling (R-14)
"""

from __future__ import annotations

from exchange.errors import Rejected


class ForeignResult(Rejected):
    """A department answered for a task that is not its own."""


class UnknownTask(Rejected):
    """A result names a task that does not exist."""


class CorrectionOutsideReview(Rejected):
    """Deficiencies are raised in preliminary review, once; a handling result approves or rejects."""

