"""Supervision errors.

* SupervisionError
  x ClockNotFound     (HTTP 404)
"""


class SupervisionError(Exception):
    """Root of supervision's own errors."""


class ClockNotFound(SupervisionError):
    pass
