"""Counting a chaos run: lost cases and duplicated effects from the events observed, without I/O."""

from __future__ import annotations

from onething.chaos.counting import Observed, effect_of, tally


def ev(event_id: str, type_: str, case: str, **data: str) -> Observed:
    return Observed(event_id, type_, case, {"case_id": case, **data})


def test_every_case_delivered_once_is_nothing_lost_nothing_duplicated() -> None:
    events = [ev("e1", "intake.case.delivered", "C1"), ev("e2", "intake.case.notified", "C1"),
              ev("e3", "licence.case.licence_issued", "C1", licence_id="L1"),
              ev("e4", "intake.case.delivered", "C2"), ev("e5", "intake.case.notified", "C2")]
    result = tally(["C1", "C2"], events)
    assert (result.submitted, result.delivered, result.lost, result.duplicated_effects) == (2, 2, (), 0)
    assert result.ok
    assert result.line("kill-dispatch") == "chaos kill-dispatch: submitted 2, delivered 2, lost 0, duplicated effects 0"


def test_a_republished_event_is_no_duplicate_but_the_same_effect_under_another_id_is() -> None:
    events = [ev("e1", "intake.case.delivered", "C1"), ev("e1", "intake.case.delivered", "C1"),  # relay repeat
              ev("e2", "licence.case.licence_issued", "C1", licence_id="L1"),
              ev("e3", "licence.case.licence_issued", "C1", licence_id="L1"),  # a second licence for one task
              ev("e4", "licence.case.licence_issued", "C1", licence_id="L2"),  # another item's licence: fine
              ev("e5", "supervision.card.issued", "C1", card_id="K1"), ev("e6", "supervision.card.issued", "C1", card_id="K1"),
              ev("e7", "supervision.card.issued", "C1", card_id="K1")]
    result = tally(["C1"], events)
    assert result.duplicated == {("card", "K1"): 3, ("licence", "L1"): 2}
    assert result.duplicated_effects == 3 and not result.ok


def test_a_case_never_delivered_is_lost_and_other_runs_cases_do_not_count() -> None:
    events = [ev("e1", "intake.case.delivered", "C1"), ev("e2", "intake.case.delivered", "OLD"),
              ev("e3", "intake.case.delivered", "OLD"), ev("e4", "dispatch.task.released", "C2")]
    result = tally(["C1", "C2", "C3"], events)
    assert result.lost == ("C2", "C3") and result.delivered == 1 and result.duplicated_effects == 0
    assert result.line("poison") == "chaos poison: submitted 3, delivered 1, lost 2, duplicated effects 0"


def test_every_effect_the_issue_names_is_counted() -> None:
    kinds = {effect_of(ev("e", t, "C", licence_id="L", card_id="K", order_id="O", rectification_id="R"))[0]  # type: ignore[index]
             for t in ("intake.case.delivered", "intake.case.notified", "licence.case.licence_issued",
                       "supervision.card.issued", "supervision.order.issued", "rating.rectification.opened")}
    assert kinds == {"delivery", "notice", "licence", "card", "order", "rectification"}
    assert effect_of(ev("e", "dispatch.task.concluded", "C")) is None
    assert not tally([], []).ok
