"""Supervision's refusals (电子监察的拒绝), rooted in the library's; the HTTP edge answers ``ClockNotFound`` with 404.

* exchange.DomainRefusal
  + SupervisionError
    + ClockNotFound     no clock has this id
"""

from __future__ import annotations

from exchange.errors import DomainRefusal

__all__ = ["ClockNotFound", "SupervisionError"]


class SupervisionError(DomainRefusal):
    """Root of supervision's own refusals."""


class ClockNotFound(SupervisionError):
    """No clock has this id."""
