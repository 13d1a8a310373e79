"""Supervision errors.

* exchange.Rejected          (dead-lettered by the consumer runner)
  (none yet: every released task gets its clock; overdue and paused clocks come with the
  supervision issue, together with their errors)
"""
