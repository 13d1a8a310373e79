"""Sequencing and joining rules of dispatch (并联/串联办理与结果汇集), driven directly: no I/O."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.domain.sequencing import TaskStatus, TaskView, releasable, unreachable

W, R, A = TaskStatus.WAITING, TaskStatus.RELEASED, TaskStatus.APPROVED
REJ, NP = TaskStatus.REJECTED, TaskStatus.NOT_PROCESSED

# The real P-01 (新生儿出生一件事) dependency shape from the intake catalogue.
P01: dict[str, tuple[str, ...]] = {
    "P-01-01": (),
    "P-01-02": (),
    "P-01-03": ("P-01-01",),
    "P-01-04": ("P-01-03",),
    "P-01-05": ("P-01-03", "P-01-04"),
}


def views(shape: Mapping[str, tuple[str, ...]], **status: TaskStatus) -> list[TaskView]:
    """Task views of ``shape``; ``status`` maps item codes (with '_' for '-') to a status, default waiting."""
    given_status = {k.replace("_", "-"): v for k, v in status.items()}
    return [TaskView(code, given_status.get(code, W), requires) for code, requires in shape.items()]


# --- releasable -------------------------------------------------------------------------------


def test_parallel_items_are_all_released_at_once() -> None:
    shape = {"A": (), "B": (), "C": ()}
    assert sorted(releasable(views(shape))) == ["A", "B", "C"]


def test_p01_releases_exactly_the_two_parallel_heads() -> None:
    assert sorted(releasable(views(P01))) == ["P-01-01", "P-01-02"]


def test_sequential_chain_releases_only_its_head() -> None:
    chain = {"A": (), "B": ("A",), "C": ("B",)}
    assert releasable(views(chain)) == ["A"]


def test_released_or_final_items_are_not_released_again() -> None:
    shape = {"A": (), "B": (), "C": (), "D": ()}
    assert releasable(views(shape, A=R, B=A, C=REJ, D=NP)) == []


def test_item_is_released_after_its_prerequisite_is_approved() -> None:
    chain = {"A": (), "B": ("A",), "C": ("B",)}
    assert releasable(views(chain, A=R)) == []
    assert releasable(views(chain, A=A)) == ["B"]
    assert releasable(views(chain, A=A, B=A)) == ["C"]


def test_p01_release_order_follows_the_prerequisites() -> None:
    # P-01-01 approved: household registration (police) may go; P-01-02 is still with health.
    assert releasable(views(P01, P_01_01=A, P_01_02=R)) == ["P-01-03"]
    assert releasable(views(P01, P_01_01=A, P_01_02=R, P_01_03=A)) == ["P-01-04"]
    # P-01-05 needs both P-01-03 and P-01-04.
    assert releasable(views(P01, P_01_01=A, P_01_02=A, P_01_03=A, P_01_04=R)) == []
    assert releasable(views(P01, P_01_01=A, P_01_02=A, P_01_03=A, P_01_04=A)) == ["P-01-05"]


def test_item_with_several_prerequisites_waits_for_all_of_them() -> None:
    shape = {"A": (), "B": (), "C": ("A", "B")}
    assert releasable(views(shape, A=A, B=R)) == []
    assert releasable(views(shape, A=A, B=R)) == []
    assert releasable(views(shape, A=A, B=A)) == ["C"]


def test_prerequisite_that_is_not_in_the_case_does_not_block() -> None:
    # The applicant did not select P-01-01 (e.g. already holds the birth certificate).
    shape = {code: req for code, req in P01.items() if code != "P-01-01"}
    assert sorted(releasable(views(shape))) == ["P-01-02", "P-01-03"]
    assert releasable(views({"B": ("GONE",)})) == ["B"]


# --- unreachable ------------------------------------------------------------------------------


def test_rejection_makes_dependants_unreachable_transitively() -> None:
    assert sorted(unreachable(views(P01, P_01_01=REJ, P_01_02=R))) == ["P-01-03", "P-01-04", "P-01-05"]


def test_not_processed_item_makes_its_dependants_unreachable() -> None:
    chain = {"A": (), "B": ("A",), "C": ("B",)}
    assert unreachable(views(chain, A=A, B=NP)) == ["C"]


def test_rejection_in_the_middle_spares_independent_items() -> None:
    # P-01-03 rejected: P-01-04 and P-01-05 never run; P-01-02 is unaffected.
    out = unreachable(views(P01, P_01_01=A, P_01_02=R, P_01_03=REJ))
    assert sorted(out) == ["P-01-04", "P-01-05"]


def test_unreachable_only_marks_waiting_items() -> None:
    shape = {"A": (), "B": ("A",), "C": ("A",), "D": ("A",)}
    # B was released before (cannot happen in practice, but must never be overwritten); C is final.
    assert unreachable(views(shape, A=REJ, B=R, C=A)) == ["D"]


def test_unreachable_is_transitive_regardless_of_listing_order() -> None:
    # Dependants listed before their prerequisites still get marked in one call.
    shape = {"D": ("C",), "C": ("B",), "B": ("A",), "A": ()}
    assert sorted(unreachable(views(shape, A=REJ))) == ["B", "C", "D"]


def test_nothing_is_unreachable_without_a_failure() -> None:
    assert unreachable(views(P01)) == []
    assert unreachable(views(P01, P_01_01=A, P_01_02=A, P_01_03=R)) == []


def test_failed_prerequisite_outside_the_case_is_ignored() -> None:
    assert unreachable(views({"B": ("GONE",)})) == []


def test_final_statuses() -> None:
    assert {s for s in TaskStatus if s.final} == {A, REJ, NP}


# --- property: random DAGs, random outcomes ---------------------------------------------------


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, tuple[str, ...]], dict[str, list[TaskStatus]]]:
    """A random DAG (each item requires earlier ones, sometimes an item outside the case) and, per item,
    the department's answer: approved or rejected (corrections happen before handling, in review)."""
    n = draw(st.integers(min_value=1, max_value=9))
    codes = [f"I{i}" for i in range(n)]
    shape: dict[str, tuple[str, ...]] = {}
    for i, code in enumerate(codes):
        requires = draw(st.lists(st.sampled_from(codes[:i]), unique=True, max_size=3)) if i else []
        if draw(st.booleans()) and draw(st.booleans()):
            requires.append("NOT-SELECTED")
        shape[code] = tuple(draw(st.permutations(requires)))
    answers = {
        code: [draw(st.sampled_from([A, A, REJ]))]
        for code in codes
    }
    return shape, answers


@settings(max_examples=300, deadline=None)
@given(case=cases(), data=st.data())
def test_random_cases_always_join_and_never_release_early(
    case: tuple[dict[str, tuple[str, ...]], dict[str, list[TaskStatus]]], data: st.DataObject
) -> None:
    shape, answers = case
    status = dict.fromkeys(shape, W)
    pending = {code: list(seq) for code, seq in answers.items()}
    released_times = dict.fromkeys(shape, 0)

    def current() -> list[TaskView]:
        return [TaskView(code, status[code], shape[code]) for code in data.draw(st.permutations(list(shape)))]

    def advance() -> None:  # what dispatch does after every fact: mark the unreachable, release the rest
        for code in unreachable(current()):
            assert status[code] is W, f"{code} marked unreachable while {status[code]}"
            assert any(status[r] in (REJ, NP) for r in shape[code] if r in shape)
            status[code] = NP
        for code in releasable(current()):
            assert status[code] is W
            assert all(status[r] is A for r in shape[code] if r in shape), f"{code} released too early"
            status[code] = R
            released_times[code] += 1

    advance()
    for _ in range(10 * len(shape) + 10):
        open_tasks = sorted(c for c, s in status.items() if s is R)
        if not open_tasks:
            break
        code = data.draw(st.sampled_from(open_tasks))
        status[code] = pending[code].pop(0)
        advance()

    views_now = [TaskView(code, status[code], shape[code]) for code in shape]
    assert all(t.status.final for t in views_now), status  # the case always reaches its join
    assert releasable(views_now) == [] and unreachable(views_now) == []
    for code, requires in shape.items():
        in_case = [r for r in requires if r in shape]
        if all(status[r] is A for r in in_case):
            assert status[code] is answers[code][-1]  # ran, and got its department's final answer
            assert released_times[code] == len(answers[code])  # once, plus once per correction
        else:
            assert status[code] is NP
            assert released_times[code] == 0
