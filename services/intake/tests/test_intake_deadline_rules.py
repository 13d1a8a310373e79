"""R-05 bundle time limit: parallel items take the longest limit, a sequential chain ⌈0.3 × Σ⌉."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from intake.catalogue.model import Item, Settings
from intake.domain.deadline import Chain, bundle_deadline

COMPRESSION = Settings().sequential_compression  # 0.3
days = st.integers(min_value=0, max_value=400)


def item(code: str, limit: int, *requires: str) -> Item:
    return Item(code=code, name_zh=code, name_en=code, department="health", legal_basis="《某法》第一条",
                conditions_zh=("条件",), time_limit_days=limit, result_zh="结果", result_en="result",
                requires=requires)


def chain_of(limits: list[int]) -> list[Item]:
    """I-0 → I-1 → … each waiting for the one before."""
    return [item(f"I-{n}", limit, *([f"I-{n - 1}"] if n else [])) for n, limit in enumerate(limits)]


def ceil_30_percent(total: int) -> int:
    return math.ceil(Fraction(3, 10) * total)


def test_r05_default_compression_is_30_percent() -> None:
    assert COMPRESSION == 0.3


def test_r05_single_item_keeps_its_own_limit() -> None:
    deadline = bundle_deadline([item("A", 20)], COMPRESSION)
    assert deadline.limit_days == 20
    assert deadline.chains == (Chain(("A",), 20, 20),)


def test_r05_parallel_items_take_the_longest_limit() -> None:
    deadline = bundle_deadline([item("A", 5), item("B", 20), item("C", 1)], COMPRESSION)
    assert deadline.limit_days == 20
    assert deadline.statutory_days == 26
    assert deadline.critical.items == ("B",)


def test_r05_sequential_chain_takes_30_percent_of_the_sum_rounded_up() -> None:
    deadline = bundle_deadline(chain_of([20, 10, 5]), COMPRESSION)
    assert deadline.limit_days == 11  # ⌈0.3 × 35⌉ = ⌈10.5⌉
    assert deadline.chains == (Chain(("I-0", "I-1", "I-2"), 35, 11),)


def test_r05_exact_multiple_is_not_rounded_up() -> None:
    assert bundle_deadline(chain_of([5, 5]), COMPRESSION).limit_days == 3
    assert bundle_deadline(chain_of([70, 30]), COMPRESSION).limit_days == 30


def test_r05_chain_order_in_the_input_does_not_matter() -> None:
    items = chain_of([20, 10, 5])
    assert bundle_deadline(items[::-1], COMPRESSION).limit_days == 11


def test_r05_mixed_dag_largest_chain_wins() -> None:
    # A(10) → B(10) → C(10): ⌈9⌉ = 9; D(8) alone: 8; E(2) → F(30): ⌈9.6⌉ = 10
    items = [item("A", 10), item("B", 10, "A"), item("C", 10, "B"), item("D", 8), item("E", 2), item("F", 30, "E")]
    deadline = bundle_deadline(items, COMPRESSION)
    assert sorted((c.items, c.limit_days) for c in deadline.chains) == [
        (("A", "B", "C"), 9), (("D",), 8), (("E", "F"), 10)]
    assert deadline.limit_days == 10
    assert deadline.critical.items == ("E", "F")
    assert deadline.statutory_days == 70


def test_r05_a_long_parallel_item_beats_a_compressed_chain() -> None:
    items = [item("A", 10), item("B", 10, "A"), item("C", 25)]
    assert bundle_deadline(items, COMPRESSION).limit_days == 25


def test_r05_diamond_takes_its_longest_path() -> None:
    # A → B → D and A → C → D
    items = [item("A", 10), item("B", 5, "A"), item("C", 20, "A"), item("D", 5, "B", "C")]
    deadline = bundle_deadline(items, COMPRESSION)
    assert sorted((c.items, c.statutory_days, c.limit_days) for c in deadline.chains) == [
        (("A", "B", "D"), 20, 6), (("A", "C", "D"), 35, 11)]
    assert deadline.limit_days == 11
    assert deadline.statutory_days == 40


def test_r05_zero_day_items() -> None:
    assert bundle_deadline([item("A", 0)], COMPRESSION).limit_days == 0
    assert bundle_deadline([item("A", 0), item("B", 0)], COMPRESSION).limit_days == 0
    assert bundle_deadline(chain_of([0, 0, 0]), COMPRESSION).limit_days == 0
    assert bundle_deadline(chain_of([0, 1]), COMPRESSION).limit_days == 1


def test_r05_prerequisite_not_selected_is_ignored() -> None:
    deadline = bundle_deadline([item("B", 10, "A"), item("C", 5, "B")], COMPRESSION)
    assert deadline.chains == (Chain(("B", "C"), 15, 5),)


def test_r05_no_items_no_time() -> None:
    assert bundle_deadline([], COMPRESSION).limit_days == 0


def test_r05_compression_comes_from_the_settings() -> None:
    assert bundle_deadline(chain_of([20, 10, 5]), 0.5).limit_days == 18


@given(st.lists(days, min_size=1, max_size=10))
def test_r05_parallel_limit_is_at_least_every_items_limit(limits: list[int]) -> None:
    items = [item(f"I-{n}", limit) for n, limit in enumerate(limits)]
    deadline = bundle_deadline(items, COMPRESSION)
    assert all(deadline.limit_days >= limit for limit in limits)
    assert deadline.limit_days == max(limits)


@given(st.lists(days, min_size=2, max_size=10))
def test_r05_chain_limit_is_at_most_30_percent_of_the_sum(limits: list[int]) -> None:
    deadline = bundle_deadline(chain_of(limits), COMPRESSION)
    assert deadline.limit_days <= ceil_30_percent(sum(limits))
    assert deadline.limit_days == ceil_30_percent(sum(limits))
    assert deadline.statutory_days == sum(limits)
