"""The consumer runner's offset guard (偏移连续性): records are handed on only without a gap in their partition's
offsets; a gap is read again until it fills, for a bounded time, then taken as real."""

from __future__ import annotations

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from exchange.kafka.consumer import OffsetGuard

TP = TopicPartition("onething.case.stream", 3)


def records(*offsets: int) -> list[ConsumerRecord[bytes, bytes]]:
    return [ConsumerRecord(TP.topic, TP.partition, o, 0, 0, b"k", b"v", None, 1, 1, []) for o in offsets]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def offsets(admitted: list[ConsumerRecord[bytes, bytes]]) -> list[int]:
    return [r.offset for r in admitted]


def test_contiguous_records_pass_and_the_first_batch_sets_where_the_partition_stands() -> None:
    guard = OffsetGuard(clock=Clock())
    ok, again = guard.admit(TP, records(40, 41, 42))
    assert offsets(ok) == [40, 41, 42] and again is None
    ok, again = guard.admit(TP, records(43, 44))
    assert offsets(ok) == [43, 44] and again is None and guard.waits == 0


def test_a_later_batch_shown_before_an_earlier_one_is_held_until_the_earlier_shows() -> None:
    clock = Clock()
    guard = OffsetGuard(patience_s=3.0, clock=clock)
    guard.admit(TP, records(10, 11))
    ok, again = guard.admit(TP, records(12, 16, 17))  # 13-15 written by another producer, not visible yet
    assert offsets(ok) == [12] and again == 13
    clock.now += 0.5
    ok, again = guard.admit(TP, records(16, 17))  # read again from 13: still not there
    assert ok == [] and again == 13
    clock.now += 0.5
    ok, again = guard.admit(TP, records(13, 14, 15, 16, 17))  # now they are
    assert offsets(ok) == [13, 14, 15, 16, 17] and again is None and guard.waits == 1


def test_a_gap_that_never_fills_is_taken_as_real_after_the_patience() -> None:
    clock = Clock()
    guard = OffsetGuard(patience_s=3.0, clock=clock)
    guard.admit(TP, records(1))
    assert guard.admit(TP, records(5)) == ([], 2)
    clock.now += 3.1
    ok, again = guard.admit(TP, records(5, 6))
    assert offsets(ok) == [5, 6] and again is None
    assert guard.admit(TP, records(9)) == ([], 7)  # a new gap is waited for again


def test_a_reassigned_partition_starts_again_from_the_group_position() -> None:
    guard = OffsetGuard(clock=Clock())
    guard.admit(TP, records(1, 2))
    guard.assigned([TP])
    ok, again = guard.admit(TP, records(50))
    assert offsets(ok) == [50] and again is None
