"""The clock row ↔ the pure clock: the ledger stored as JSON beside the row."""

from __future__ import annotations

from datetime import date

from supervision.adapters.tables import SupervisionClock
from supervision.domain.clocks import Clock, Extension, Suspension

__all__ = ["store", "to_clock"]


def to_clock(row: SupervisionClock) -> Clock:
    return Clock(
        started_on=row.started_on,
        budget_days=row.limit_working_days,
        suspensions=tuple(
            Suspension(date.fromisoformat(s["since"]), date.fromisoformat(s["until"]) if s["until"] else None,
                       s["reason_zh"])
            for s in row.suspensions
        ),
        extensions=tuple(Extension(e["days"], e["reason_zh"], e["approver"]) for e in row.extensions),
        finished_on=row.finished_on,
    )


def store(row: SupervisionClock, clock: Clock) -> None:
    row.suspensions = [{"since": s.since.isoformat(), "until": s.until.isoformat() if s.until else None,
                        "reason_zh": s.reason_zh} for s in clock.suspensions]
    row.extensions = [{"days": e.days, "reason_zh": e.reason_zh, "approver": e.approver} for e in clock.extensions]
    row.finished_on = clock.finished_on
