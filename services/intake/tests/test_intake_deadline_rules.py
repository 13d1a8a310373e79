"""R-05 bundle time limit: parallel items take the longest limit, a sequential chain ⌊0.3 × Σ⌋ (at least one
working day); each item is promised a share of its chain's limit (承诺时限)."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st
from onething_catalogue.model import Item, Settings

from intake.domain.deadline import Chain, bundle_deadline, chain_limit, promised_shares

COMPRESSION = Settings().sequential_compression  # 0.3
days = st.integers(min_value=0, max_value=400)


def item(code: str, limit: int, *requires: str) -> Item:
    return Item(code=code, name_zh=code, name_en=code, department="health", legal_basis="《某法》第一条",
                conditions_zh=("条件",), time_limit_days=limit, result_zh="结果", result_en="result",
                requires=requires)


def chain_of(limits: list[int]) -> list[Item]:
    """I-0 → I-1 → … each waiting for the one before."""
    return [item(f"I-{n}", limit, *([f"I-{n - 1}"] if n else [])) for n, limit in enumerate(limits)]


def within_30_percent(total: int) -> int:
    """The most a chain may take: 30% of the sum, at least one working day if anything takes time."""
    return max(1, math.floor(Fraction(3, 10) * total)) if total else 0


def test_r05_default_compression_is_30_percent() -> None:
    assert COMPRESSION == 0.3


def test_r05_single_item_keeps_its_own_limit() -> None:
    deadline = bundle_deadline([item("A", 20)], COMPRESSION)
    assert deadline.limit_days == 20
    assert deadline.chains == (Chain(("A",), 20, 20, (20,)),)


def test_r05_parallel_items_take_the_longest_limit() -> None:
    deadline = bundle_deadline([item("A", 5), item("B", 20), item("C", 1)], COMPRESSION)
    assert deadline.limit_days == 20
    assert deadline.statutory_days == 26
    assert deadline.critical.items == ("B",)


def test_r05_sequential_chain_takes_30_percent_of_the_sum_rounded_down() -> None:
    deadline = bundle_deadline(chain_of([20, 10, 5]), COMPRESSION)
    assert deadline.limit_days == 10  # ⌊0.3 × 35⌋ = ⌊10.5⌋: 11 days would be more than 30% (压缩70%以上)
    assert deadline.chains == (Chain(("I-0", "I-1", "I-2"), 35, 10, (6, 3, 1)),)


def test_r05_a_short_chain_still_gets_one_working_day() -> None:
    assert bundle_deadline(chain_of([1, 1]), COMPRESSION).limit_days == 1  # ⌊0.6⌋ = 0 would be no time at all
    assert bundle_deadline(chain_of([1, 1, 1]), COMPRESSION).limit_days == 1
    assert bundle_deadline(chain_of([2, 2]), COMPRESSION).limit_days == 1


def test_r05_exact_multiple_is_not_rounded_up() -> None:
    assert bundle_deadline(chain_of([5, 5]), COMPRESSION).limit_days == 3
    assert bundle_deadline(chain_of([70, 30]), COMPRESSION).limit_days == 30


def test_r05_chain_order_in_the_input_does_not_matter() -> None:
    items = chain_of([20, 10, 5])
    assert bundle_deadline(items[::-1], COMPRESSION).limit_days == 10


def test_r05_mixed_dag_largest_chain_wins() -> None:
    # A(10) → B(10) → C(10): ⌊9⌋ = 9; D(8) alone: 8; E(2) → F(30): ⌊9.6⌋ = 9
    items = [item("A", 10), item("B", 10, "A"), item("C", 10, "B"), item("D", 8), item("E", 2), item("F", 30, "E")]
    deadline = bundle_deadline(items, COMPRESSION)
    assert sorted((c.items, c.limit_days) for c in deadline.chains) == [
        (("A", "B", "C"), 9), (("D",), 8), (("E", "F"), 9)]
    assert deadline.limit_days == 9
    assert deadline.critical.items == ("A", "B", "C")  # the longer of the two 9-day chains
    assert deadline.statutory_days == 70


def test_r05_a_long_parallel_item_beats_a_compressed_chain() -> None:
    items = [item("A", 10), item("B", 10, "A"), item("C", 25)]
    assert bundle_deadline(items, COMPRESSION).limit_days == 25


def test_r05_diamond_takes_its_longest_path() -> None:
    # A → B → D and A → C → D
    items = [item("A", 10), item("B", 5, "A"), item("C", 20, "A"), item("D", 5, "B", "C")]
    deadline = bundle_deadline(items, COMPRESSION)
    assert sorted((c.items, c.statutory_days, c.limit_days) for c in deadline.chains) == [
        (("A", "B", "D"), 20, 6), (("A", "C", "D"), 35, 10)]
    assert deadline.limit_days == 10
    assert deadline.statutory_days == 40


def test_r05_zero_day_items() -> None:
    assert bundle_deadline([item("A", 0)], COMPRESSION).limit_days == 0
    assert bundle_deadline([item("A", 0), item("B", 0)], COMPRESSION).limit_days == 0
    assert bundle_deadline(chain_of([0, 0, 0]), COMPRESSION).limit_days == 0
    assert bundle_deadline(chain_of([0, 1]), COMPRESSION).limit_days == 1


def test_r05_prerequisite_not_selected_is_ignored() -> None:
    deadline = bundle_deadline([item("B", 10, "A"), item("C", 5, "B")], COMPRESSION)
    assert deadline.chains == (Chain(("B", "C"), 15, 4, (3, 1)),)


def test_r05_no_items_no_time() -> None:
    assert bundle_deadline([], COMPRESSION).limit_days == 0


def test_r05_compression_comes_from_the_settings() -> None:
    assert bundle_deadline(chain_of([20, 10, 5]), 0.5).limit_days == 17  # ⌊17.5⌋


@given(st.lists(days, min_size=1, max_size=10))
def test_r05_parallel_limit_is_at_least_every_items_limit(limits: list[int]) -> None:
    items = [item(f"I-{n}", limit) for n, limit in enumerate(limits)]
    deadline = bundle_deadline(items, COMPRESSION)
    assert all(deadline.limit_days >= limit for limit in limits)
    assert deadline.limit_days == max(limits)


@given(st.lists(days, min_size=2, max_size=10))
def test_r05_chain_limit_is_at_most_30_percent_of_the_sum(limits: list[int]) -> None:
    deadline = bundle_deadline(chain_of(limits), COMPRESSION)
    assert deadline.limit_days == within_30_percent(sum(limits))
    assert deadline.limit_days * 10 <= 3 * sum(limits) or deadline.limit_days == 1
    assert deadline.statutory_days == sum(limits)


# 承诺时限 promised limits ------------------------------------------------------------------------------------


def test_promised_a_compressed_chain_shares_its_limit_in_proportion() -> None:
    # ⌊0.3 × 35⌋ = 10 over 20 : 10 : 5 → 5.71, 2.86, 1.43: 5, 2, 1 and the two days left to the largest remainders
    deadline = bundle_deadline(chain_of([20, 10, 5]), COMPRESSION)
    assert deadline.promised_days == {"I-0": 6, "I-1": 3, "I-2": 1}
    assert sum(deadline.promised_days.values()) == deadline.limit_days


def test_promised_an_item_longer_than_its_chain_is_promised_less_than_its_statute() -> None:
    # the defect: a 20-day item in a 6-day chain ran its clock on 20 days while the case had 6
    deadline = bundle_deadline(chain_of([20, 1]), COMPRESSION)
    assert deadline.limit_days == 6
    assert deadline.promised_days == {"I-0": 5, "I-1": 1}  # the 1-day item keeps its day


def test_promised_parallel_items_keep_their_statutory_limits() -> None:
    deadline = bundle_deadline([item("A", 5), item("B", 20), item("C", 0)], COMPRESSION)
    assert deadline.promised_days == {"A": 5, "B": 20, "C": 0}


def test_promised_a_chain_shorter_than_its_items_promises_some_the_same_day() -> None:
    # 企业开办: registration, seal and invoices, one working day each, done in one working day (seed 002)
    deadline = bundle_deadline(chain_of([1, 1, 1]), COMPRESSION)
    assert deadline.limit_days == 1
    assert deadline.promised_days == {"I-0": 1, "I-1": 0, "I-2": 0}


def test_promised_an_item_on_two_chains_keeps_the_smaller_share() -> None:
    # A → B → D (20 → 6 days) and A → C → D (35 → 10 days)
    items = [item("A", 10), item("B", 5, "A"), item("C", 20, "A"), item("D", 5, "B", "C")]
    deadline = bundle_deadline(items, COMPRESSION)
    assert {c.items: c.promised_days for c in deadline.chains} == {
        ("A", "B", "D"): (3, 2, 1), ("A", "C", "D"): (3, 6, 1)}
    assert deadline.promised_days == {"A": 3, "B": 2, "C": 6, "D": 1}


def test_promised_shares_by_hand() -> None:
    assert promised_shares(4, [10, 5]) == (3, 1)
    assert promised_shares(6, [15, 5]) == (5, 1)  # 4.5 : 1.5, the tie to the earlier item
    assert promised_shares(2, [1, 5, 1]) == (0, 2, 0)  # two days, three items: the days go by statute
    assert promised_shares(3, [1, 5, 1]) == (1, 1, 1)
    assert promised_shares(0, [0, 0]) == (0, 0)
    assert promised_shares(20, [20]) == (20,)


@given(st.lists(days, min_size=1, max_size=8))
def test_promised_shares_add_up_to_the_chain_limit_each_within_its_statute(limits: list[int]) -> None:
    limit = chain_limit(limits, COMPRESSION)
    shares = promised_shares(limit, limits)
    assert sum(shares) == limit
    assert all(0 <= share <= statute for share, statute in zip(shares, limits, strict=True))
    if limit >= sum(1 for s in limits if s):
        assert all(share >= 1 for share, statute in zip(shares, limits, strict=True) if statute)


@given(st.lists(st.tuples(days, st.lists(st.integers(min_value=0, max_value=9), max_size=3)), min_size=1, max_size=10))
def test_promised_along_every_chain_at_most_its_limit(spec: list[tuple[int, list[int]]]) -> None:
    # any DAG: item n may wait for any earlier item
    items = [item(f"I-{n}", limit, *sorted({f"I-{r}" for r in reqs if r < n})) for n, (limit, reqs) in enumerate(spec)]
    deadline = bundle_deadline(items, COMPRESSION)
    promised = deadline.promised_days
    assert set(promised) == {i.code for i in items}
    assert all(promised[i.code] <= i.time_limit_days for i in items)
    for chain in deadline.chains:
        assert sum(promised[c] for c in chain.items) <= chain.limit_days <= deadline.limit_days
