"""压件: a held case's requests are taken off the bus and answered when the hold is released."""

from __future__ import annotations

from simulators.service import Holds


async def test_a_held_case_is_answered_on_release_and_others_at_once() -> None:
    holds, answered = Holds(), []

    def answer(tag: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            answered.append(tag)
        return run

    holds.hold("C-1")
    assert holds.park("C-1", answer("a")) and holds.park("C-1", answer("b"))
    assert not holds.park("C-2", answer("x"))  # not held: the caller answers now
    assert answered == []
    assert await holds.release("C-1") == 2
    assert answered == ["a", "b"]
    assert not holds.park("C-1", answer("c"))  # released: no longer parked
    assert await holds.release("C-1") == 0
