"""Fault modes, as a department decides on each delivery (pure)."""

from __future__ import annotations

import random

from simulators.faults import FaultMode, Faults, Verdict


def test_no_fault_answers_and_a_fault_applies_only_to_the_departments_listed() -> None:
    draw = random.Random(1)
    assert Faults().verdict("health", draw) is Verdict.ANSWER
    silent = Faults(FaultMode.SILENT, frozenset({"police"}))
    assert silent.verdict("police", draw) is Verdict.DROP and silent.verdict("health", draw) is Verdict.ANSWER
    assert Faults(FaultMode.SILENT).verdict("health", draw) is Verdict.DROP  # none listed: every department
    assert Faults(FaultMode.SLOW, delay_s=3).verdict("health", draw) is Verdict.DELAY


def test_errors_drop_about_their_share_of_deliveries_drawn_afresh_each_time() -> None:
    draw = random.Random(7)
    verdicts = [Faults(FaultMode.ERRORS, ratio=0.3).verdict("health", draw) for _ in range(1000)]
    assert 200 < verdicts.count(Verdict.DROP) < 400 and Verdict.ANSWER in verdicts
    assert Faults(FaultMode.ERRORS, ratio=1.0).verdict("health", draw) is Verdict.DROP
    assert Faults(FaultMode.ERRORS, ratio=0.0).verdict("health", draw) is Verdict.ANSWER
