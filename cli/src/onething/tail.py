"""``onething tail TOPIC``: decoded events of a topic, for analysts and ops (事件流查看).

Where it starts: ``--from-beginning`` at the first event, ``--follow`` alone at the events still to come,
otherwise at the last ``--limit`` events (10 by default), like ``tail``. Without ``--follow`` it stops at
the end of the topic as it was when it started; with ``--follow`` it waits for more. ``--limit N`` prints
exactly N events (fewer only when the topic ends first). ``--case ID`` keeps one case's events and reads
the topic from its beginning, since a case's events are spread over it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Iterable
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from contracts.envelope import Envelope, EnvelopeError
from exchange.errors import SignatureInvalid
from exchange.signing import KeyRing

__all__ = ["DEFAULT_LAST", "tail", "until_end"]

DEFAULT_LAST = 10  # events shown by a plain ``onething tail TOPIC``

Record: TypeAlias = ConsumerRecord[bytes, bytes]


async def tail(bootstrap: str, topic: str, *, from_beginning: bool, follow: bool, limit: int | None,
               keyring: KeyRing | None, as_json: bool, case_id: str | None = None) -> int:
    """Print the topic's events; 0 when done, 2 when the broker or the topic is not there."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        await consumer.start()
    except KafkaError as exc:
        await consumer.stop()
        print(f"无法连接消息总线 cannot reach the broker at {bootstrap} ({exc}); is a system running there? "
              "Start one with `onething up`, or name its data dir with --data-dir DIR", file=sys.stderr)
        return 2
    # Let aiokafka's no-group task begin: stopped before it ever ran, it raises CancelledError from stop().
    await asyncio.sleep(0)
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:  # the metadata fetched at start may predate the topic: ask once more
            await consumer.topics()
            partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            print(f"没有该主题 no such topic: {topic}", file=sys.stderr)
            return 2
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        firsts, ends = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
        at_first = from_beginning or case_id is not None
        last = None if at_first or follow else (limit or DEFAULT_LAST)
        for tp in tps:
            if at_first:
                consumer.seek(tp, firsts[tp])
            elif last is None:  # --follow alone: the events still to come
                consumer.seek(tp, ends[tp])
            else:  # the last events: at most `last` from each partition, the newest `last` of them shown
                consumer.seek(tp, max(firsts[tp], ends[tp] - last))
        show = _Shown(keyring, as_json, case_id, limit)
        if follow:
            while not show.full:
                batch = await consumer.getmany(timeout_ms=500)
                show.records(record for records in batch.values() for record in records)
        elif last is not None:
            window = [r async for r in until_end(consumer, tps, ends)]
            show.records(sorted(window, key=lambda r: (r.timestamp, r.partition, r.offset))[-last:])
        else:
            async for record in until_end(consumer, tps, ends):
                show.records([record])
                if show.full:
                    break
    finally:
        await consumer.stop()
    return 0


async def until_end(consumer: AIOKafkaConsumer, tps: list[TopicPartition],
                     ends: dict[TopicPartition, int]) -> AsyncIterator[Record]:
    """Every record up to the end offsets taken at the start (later events are left for --follow), and the rest
    of the batch that holds the last of them: the embedded broker (tansu) reports a partition's end as the first
    offset of its last batch + 1, so records after that one were written before the start too."""
    while True:
        behind = [tp for tp in tps if await consumer.position(tp) < ends[tp]]
        if not behind:
            return
        batch = await consumer.getmany(*behind, timeout_ms=500)
        for records in batch.values():
            for record in records:
                yield record


class _Shown:
    """Prints records that pass the case filter, counting them against the limit."""

    def __init__(self, keyring: KeyRing | None, as_json: bool, case_id: str | None, limit: int | None) -> None:
        self.keyring, self.as_json, self.case_id, self.limit = keyring, as_json, case_id, limit
        self.count = 0

    @property
    def full(self) -> bool:
        return self.limit is not None and self.count >= self.limit

    def records(self, records: Iterable[Record]) -> None:
        for record in records:
            if self.full:
                return
            line = _render(record, self.keyring, self.as_json, self.case_id)
            if line is not None:
                print(line, flush=True)
                self.count += 1


def _render(record: Record, keyring: KeyRing | None, as_json: bool, case_id: str | None) -> str | None:
    """One line for the record; ``None`` when it is not the case asked for."""
    where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
    try:
        env, wire = Envelope.from_bytes(record.value or b"")
    except EnvelopeError as exc:
        if case_id is not None:
            return None
        if as_json:
            return json.dumps({**where, "verdict": "undecodable", "error": str(exc)}, ensure_ascii=False)
        return f"p{record.partition}@{record.offset} 无法解析 undecodable: {exc}"
    if case_id is not None and env.subject != case_id:
        return None
    verdict, problem = "unchecked", None
    if keyring is not None:
        try:
            keyring.verify_envelope(wire)
            verdict = "signed-ok"
        except SignatureInvalid as exc:
            verdict, problem = "SIGNATURE-BAD", str(exc)
    if as_json:  # the verdict beside the envelope, which keeps its own `signature` object
        return json.dumps({**where, "verdict": verdict, **({"error": problem} if problem else {}), "envelope": wire},
                          ensure_ascii=False)
    data = json.dumps(env.data, ensure_ascii=False, separators=(",", ":"))
    mark = f"{verdict} ({problem})" if problem else verdict
    return f"{env.time:%H:%M:%S.%f} {env.type} v{env.version} case={env.subject} from={env.source} [{mark}] {data}"
