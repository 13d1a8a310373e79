"""``onething tail TOPIC``: decoded events as they arrive, for analysts and ops (事件流查看)."""

from __future__ import annotations

import json

from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.envelope import Envelope, EnvelopeError
from exchange.errors import SignatureInvalid
from exchange.signing import KeyRing

__all__ = ["tail"]


async def tail(bootstrap: str, topic: str, *, from_beginning: bool, limit: int | None, keyring: KeyRing | None,
               as_json: bool) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest" if from_beginning else "latest")
    await consumer.start()
    shown = 0
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            print(f"没有该主题 no such topic: {topic}")
            return 2
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
        while limit is None or shown < limit:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    print(_render(record.value or b"", record.partition, record.offset, keyring, as_json), flush=True)
                    shown += 1
    finally:
        await consumer.stop()
    return 0


def _render(raw: bytes, partition: int, offset: int, keyring: KeyRing | None, as_json: bool) -> str:
    try:
        env, wire = Envelope.from_bytes(raw)
    except EnvelopeError as exc:
        return f"p{partition}@{offset} 无法解析 undecodable: {exc}"
    verdict = "unchecked"
    if keyring is not None:
        try:
            keyring.verify_envelope(wire)
            verdict = "signed-ok"
        except SignatureInvalid as exc:
            verdict = f"SIGNATURE-BAD ({exc})"
    if as_json:
        return json.dumps({"partition": partition, "offset": offset, "signature": verdict, **wire}, ensure_ascii=False)
    data = json.dumps(env.data, ensure_ascii=False, separators=(",", ":"))
    return f"{env.time:%H:%M:%S.%f} {env.type} v{env.version} case={env.subject} from={env.source} [{verdict}] {data}"
