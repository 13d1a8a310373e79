"""Fault modes of the simulated department systems (故障注入), for chaos runs and tests.

What each mode makes a department system do with a request (review or handling) it takes off its topic:

* ``none``: the normal behaviour, a receipt (签收回执) at once and the answer after the drawn latency.
* ``silent``: takes the request and sends nothing at all, no receipt and no answer (a system that is down
  behind a queue that still accepts). Dispatch's answer deadline re-sends it; once the mode is lifted a
  re-send is answered.
* ``slow``: the receipt and the answer both come only after ``delay_s`` (an overloaded system).
* ``errors``: on a share ``ratio`` of the requests (drawn per delivery) the system takes the request and
  then fails inside, as a flaky back end answering HTTP 500 would: nothing is sent, and the offset is still
  committed (the request is gone from the bus for this consumer). Only the platform's re-send of the same
  request id recovers it; a re-send is drawn afresh.

A mode applies to the listed ``departments`` or, with none listed, to every simulated department. It lives in
the simulator process's memory: a restart clears it (``none``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["FaultMode", "Faults", "Verdict"]


class FaultMode(StrEnum):
    NONE = "none"
    SILENT = "silent"  # 无响应
    SLOW = "slow"  # 响应迟缓
    ERRORS = "errors"  # 间歇故障


class Verdict(StrEnum):
    """What a department does with one delivery of a request under the current faults."""

    ANSWER = "answer"
    DELAY = "delay"  # answer after ``delay_s``
    DROP = "drop"  # send nothing


@dataclass(frozen=True, slots=True)
class Faults:
    mode: FaultMode = FaultMode.NONE
    departments: frozenset[str] = frozenset()  # empty: every simulated department
    delay_s: float = 5.0
    ratio: float = 0.5

    def applies_to(self, department: str) -> bool:
        return self.mode is not FaultMode.NONE and (not self.departments or department in self.departments)

    def verdict(self, department: str, draw: random.Random) -> Verdict:
        if not self.applies_to(department):
            return Verdict.ANSWER
        if self.mode is FaultMode.SILENT:
            return Verdict.DROP
        if self.mode is FaultMode.SLOW:
            return Verdict.DELAY
        return Verdict.DROP if draw.random() < self.ratio else Verdict.ANSWER
