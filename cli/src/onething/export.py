"""``onething export TOPIC``: a topic's decoded events as a file for analysts (数据导出: pandas, DuckDB).

One row per record, from the topic's first event to its end as it was when the export started:

``topic, partition, offset, timestamp, event_id, type, version, source, case_id, time, correlation_id,
causation_id, verdict, data``

``verdict`` is ``signed-ok``, ``SIGNATURE-BAD`` or ``unchecked`` (no keys at hand), as ``onething tail`` says it,
or ``undecodable`` (then only the record's place is filled). ``data`` is the event's payload with every string
masked by :func:`exchange.privacy.redact` (ID, mobile and bank card numbers). Topics that carry personal data for
the one reader that needs it (受限主题: the dossier, the department request topics, their dead letters) are not
exported at all, nor a topic the registry does not know: what analysts read is the case stream and the figures
topics.

``--format jsonl`` keeps ``data`` as a JSON object (``duckdb.read_json``, ``pandas.read_json(lines=True)``);
``--format parquet`` (pyarrow) stores it as a JSON string, since each event type has its own payload.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from contracts.envelope import Envelope, EnvelopeError
from contracts.topics import dead_letter_topic
from contracts.topics import topic as topic_spec
from exchange.errors import SignatureInvalid
from exchange.privacy import redact
from exchange.signing import KeyRing
from onething.tail import Record, until_end

__all__ = ["COLUMNS", "export_command", "masked", "row_of", "topic_rows", "write_rows"]

Format = Literal["jsonl", "parquet"]
COLUMNS = ("topic", "partition", "offset", "timestamp", "event_id", "type", "version", "source", "case_id", "time",
           "correlation_id", "causation_id", "verdict", "data")


def masked(value: Any) -> Any:
    """``value`` with every string in it (keys left as they are) masked of personal numbers."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def row_of(record: Record, keyring: KeyRing | None) -> dict[str, Any]:
    """One export row (every column of :data:`COLUMNS`) for a record."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(topic=record.topic, partition=record.partition, offset=record.offset,
               timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC).isoformat())
    try:
        envelope, wire = Envelope.from_bytes(record.value or b"")
    except EnvelopeError:
        row["verdict"] = "undecodable"
        return row
    verdict = "unchecked"
    if keyring is not None:
        try:
            keyring.verify_envelope(wire)
            verdict = "signed-ok"
        except SignatureInvalid:
            verdict = "SIGNATURE-BAD"
    row.update(event_id=str(envelope.id), type=envelope.type, version=envelope.version, source=envelope.source,
               case_id=envelope.subject, time=envelope.time.isoformat(), correlation_id=str(envelope.correlation_id),
               causation_id=str(envelope.causation_id) if envelope.causation_id else None, verdict=verdict,
               data=masked(envelope.data))
    return row


async def _records(bootstrap: str, topic: str) -> AsyncIterator[Record]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    await asyncio.sleep(0)  # let aiokafka's no-group task begin (see onething.tail)
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:  # the metadata fetched at start may predate the topic: ask once more
            await consumer.topics()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return
        consumer.assign(tps)
        firsts, ends = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, firsts[tp])
        async for record in until_end(consumer, tps, ends):
            yield record
    finally:
        await consumer.stop()


async def topic_rows(bootstrap: str, topic: str, keyring: KeyRing | None) -> list[dict[str, Any]]:
    return [row_of(record, keyring) async for record in _records(bootstrap, topic)]


def write_rows(rows: list[dict[str, Any]], out: Path, fmt: Format) -> None:
    if fmt == "jsonl":
        with out.open("w", encoding="utf-8") as file:
            for row in rows:
                file.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    import pyarrow as pa  # the `analytics` extra: only this format needs it
    import pyarrow.parquet as pq

    columns = {name: [row[name] for row in rows] for name in COLUMNS}
    columns["data"] = [None if d is None else json.dumps(d, ensure_ascii=False) for d in columns["data"]]
    schema = pa.schema([(name, pa.int64() if name in ("partition", "offset", "version") else pa.string())
                        for name in COLUMNS])
    pq.write_table(pa.table(columns, schema=schema), out)


def _restricted(topic: str) -> bool:
    """Whether the topic carries personal data (a topic the registry does not know: assume it does)."""
    if ".dlq." in topic:
        source, consumer = topic.split(".dlq.", 1)
        return dead_letter_topic(source, consumer).restricted
    try:
        return topic_spec(topic).restricted
    except KeyError:
        return True


def export_command(bootstrap: str, topic: str, out: Path, fmt: Format, keyring: KeyRing | None) -> int:
    """Write the topic's rows to ``out``; 0 when written, 2 when the topic may not or cannot be exported."""
    if _restricted(topic):
        print(f"受限主题不导出 {topic} carries personal data for the one reader that needs it and is not exported; "
              "analysts read onething.case.stream and the figures topics", file=sys.stderr)
        return 2
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            print("parquet needs pyarrow: pip install -e 'cli[analytics]' (or --format jsonl)", file=sys.stderr)
            return 2
    try:
        rows = asyncio.run(topic_rows(bootstrap, topic, keyring))
    except KafkaError as exc:
        print(f"无法连接消息总线 cannot reach the broker at {bootstrap} ({exc}); is a system running there?",
              file=sys.stderr)
        return 2
    write_rows(rows, out, fmt)
    print(f"已导出 exported {len(rows)} events of {topic} to {out} ({fmt})")
    return 0
