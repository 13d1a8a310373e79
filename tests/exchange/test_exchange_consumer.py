"""The consumer runner on the real broker and a real PostgreSQL database.

Effects are exactly-once (inbox in the handler's transaction), offsets are committed only after the
database commit, records that can never succeed are dead-lettered with their error, signatures are
enforced, transient failures are retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from contracts.envelope import canonical_bytes
from contracts.rating.v1 import RatingSubmitted
from contracts.topics import dead_letter_topic
from exchange.errors import Transient
from exchange.kafka.consumer import ConsumerRunner

pytestmark = pytest.mark.integration

RATING = RatingSubmitted.event_type


def runner_for(bus, keyring, database, topic, group, handler, **kwargs):
    return ConsumerRunner(
        group=group,
        topics=[topic],
        settings=bus.settings(),
        keyring=keyring,
        producer=bus.producer,
        database=database,
        handlers={RATING: handler},
        **kwargs,
    )


async def processed(database, group: str) -> dict[str, datetime]:
    async with database.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT event_id, processed_at FROM processed_event WHERE consumer = :c"), {"c": group}
            )
        ).all()
    return {str(r[0]): r[1] for r in rows}


async def test_same_message_twice_has_one_effect(bus, keyring, plumbing_db, envelopes, effect_handler, effects) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    dup = envelopes.wire("case-dup")
    after = envelopes.wire("case-dup")
    await bus.send(topic.name, "case-dup", envelopes.encode(dup))
    await bus.send(topic.name, "case-dup", envelopes.encode(dup))  # at-least-once transport: the same envelope again
    await bus.send(topic.name, "case-dup", envelopes.encode(after))

    runner = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(runner):
        await bus.wait_until(lambda: _has(effects, plumbing_db, after["id"]), what="the message after the duplicate")
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 3), what="offset commit")

    assert await effects(plumbing_db) == {dup["id"]: 1, after["id"]: 1}
    assert set(await processed(plumbing_db, group)) == {dup["id"], after["id"]}
    assert runner.applied == 2
    assert runner.dead_lettered == 0


async def test_duplicate_across_restarts_has_one_effect(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    """A runner that saw everything, stopped, and is fed the same envelope again does nothing."""
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    first = envelopes.wire("c1")
    await bus.send(topic.name, "c1", envelopes.encode(first))
    runner = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(runner):
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 1), what="offset commit")
    await bus.send(topic.name, "c1", envelopes.encode(first))
    second = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(second):
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 2), what="offset commit")
    assert second.applied == 0
    assert await effects(plumbing_db) == {first["id"]: 1}


CRASHING_CONSUMER = textwrap.dedent(
    """
    import asyncio, os, sys
    from pathlib import Path

    from sqlalchemy import text

    from contracts.rating.v1 import RatingSubmitted
    from contracts.topics import TopicSpec
    from exchange.db.database import Database
    from exchange.kafka.consumer import ConsumerRunner
    from exchange.kafka.producer import Producer
    from exchange.settings import ExchangeSettings
    from exchange.signing import KeyRing


    async def main() -> None:
        bootstrap, db_url, keys_dir, topic, group = sys.argv[1:6]
        settings = ExchangeSettings(
            kafka_bootstrap=bootstrap, kafka_session_timeout_ms=2000, kafka_heartbeat_interval_ms=300,
            topic_partitions=1,
        )
        database = Database(db_url, source="tests")
        producer = Producer(bootstrap, client_id=group)
        await producer.start()

        async def handler(uow, envelope, payload):
            await uow.session.execute(
                text("INSERT INTO effect (event_id, case_id) VALUES (:e, :c)"),
                {"e": str(envelope.id), "c": envelope.subject},
            )

        async def die(envelope):
            # After the database commit, before the offset commit: the worst moment to crash.
            print(f"applied {envelope.id}", flush=True)
            os._exit(137)

        spec = TopicSpec(topic, "case_id", "t", "t", (RatingSubmitted.event_type,), partitions=1)
        runner = ConsumerRunner(
            group=group, topics=[spec], settings=settings, keyring=KeyRing(Path(keys_dir)),
            producer=producer, database=database, handlers={RatingSubmitted.event_type: handler},
            after_apply=die,
        )
        await runner.run()
        sys.exit("the runner returned without crashing")


    asyncio.run(main())
    """
)


async def test_killed_after_db_commit_before_offset_commit_has_no_duplicate(
    bus, keyring, keys_dir, plumbing_db, envelopes, effect_handler, effects, tmp_path: Path, caplog
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    wires = [envelopes.wire("case-k") for _ in range(3)]
    for wire in wires:
        await bus.send(topic.name, "case-k", envelopes.encode(wire))
    killed = wires[0]["id"]

    script = tmp_path / "crashing_consumer.py"
    script.write_text(CRASHING_CONSUMER)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        bus.bootstrap,
        plumbing_db.url,
        str(keys_dir),
        topic.name,
        group,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError("the crashing consumer did not crash within 30 s") from None
    assert proc.returncode == 137, (proc.returncode, out.decode(), err.decode()[-3000:])
    assert out.decode().strip() == f"applied {killed}"

    # Its database transaction committed; its offset commit never happened.
    assert await effects(plumbing_db) == {killed: 1}
    first_run = await processed(plumbing_db, group)
    assert set(first_run) == {killed}
    assert await bus.committed(group, topic.name) is None

    restarted_at = datetime.now(UTC)
    caplog.set_level(logging.DEBUG, logger="exchange.kafka.consumer")
    runner = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(runner, timeout_s=20):  # the dead member must time out of the group first
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 3), what="the restarted runner's commit")

    # The restarted runner was handed the killed message again and skipped it as a duplicate.
    assert any("duplicate" in r.getMessage() and killed in r.getMessage() for r in caplog.records), (
        "the killed message was not redelivered"
    )
    assert runner.applied == 2
    assert await effects(plumbing_db) == {w["id"]: 1 for w in wires}
    second_run = await processed(plumbing_db, group)
    assert set(second_run) == {w["id"] for w in wires}
    assert second_run[killed] == first_run[killed] < restarted_at  # the inbox row is the crashed run's own
    assert all(second_run[w["id"]] >= restarted_at for w in wires[1:])


async def test_malformed_messages_are_dead_lettered_and_the_consumer_goes_on(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    bad_schema = envelopes.wire("case-m")
    bad_schema["data"] = {**bad_schema["data"], "level": "fantastic"}
    del bad_schema["signature"]
    bad_schema = keyring.signer("tests").sign_envelope(bad_schema)  # properly signed, wrong payload
    not_an_envelope = json.dumps({"hello": "world"}).encode()
    good = envelopes.wire("case-m")

    offsets = {
        "not-json": await bus.send(topic.name, "case-m", b"\x00{not json", [("traceparent", b"garbage")]),
        "schema": await bus.send(topic.name, "case-m", envelopes.encode(bad_schema)),
        "shape": await bus.send(topic.name, "case-m", not_an_envelope),
    }
    await bus.send(topic.name, "case-m", envelopes.encode(good))

    runner = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(runner):
        await bus.wait_until(lambda: _has(effects, plumbing_db, good["id"]), what="the good message")
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 4), what="offset commit")

    assert await effects(plumbing_db) == {good["id"]: 1}
    assert runner.dead_lettered == 3
    dlq = dead_letter_topic(topic.name, group).name
    records = await bus.read(dlq, 3)
    assert len(records) == 3
    by_offset = {}
    for record in records:
        headers = dict(record.headers)
        assert headers["x-original-topic"] == topic.name.encode()
        assert headers["x-original-partition"] == b"0"
        assert headers["x-consumer"] == group.encode()
        assert headers["x-error-type"]
        assert headers["x-error-message"]
        assert record.key == b"case-m"
        by_offset[int(headers["x-original-offset"])] = (record, headers)
    assert set(by_offset) == set(offsets.values())

    record, headers = by_offset[offsets["not-json"]]
    assert record.value == b"\x00{not json"  # the original bytes, untouched
    assert headers["traceparent"] == b"garbage"  # original headers are kept
    assert b"not JSON" in headers["x-error-message"]
    record, headers = by_offset[offsets["schema"]]
    assert json.loads(record.value)["id"] == bad_schema["id"]
    assert RATING.encode() in headers["x-error-message"]
    record, headers = by_offset[offsets["shape"]]
    assert record.value == not_an_envelope
    assert b"not an envelope" in headers["x-error-message"]
    assert set(await processed(plumbing_db, group)) == {good["id"]}


async def test_bad_signatures_are_rejected_and_dead_lettered(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    tampered = envelopes.wire("case-s")
    tampered["data"] = {**tampered["data"], "level": "very_dissatisfied"}  # changed after signing
    impostor = envelopes.wire("case-s", sign=False)  # claims to be tests, signed with rating's key
    impostor["signature"] = {
        "alg": "Ed25519",
        "key_id": "tests",
        "value": keyring.signer("rating").sign_bytes(canonical_bytes(impostor)),
    }
    foreign = envelopes.wire("case-s", sign=False)  # honestly signed by rating, but source says tests
    foreign["signature"] = {
        "alg": "Ed25519",
        "key_id": "rating",
        "value": keyring.signer("rating").sign_bytes(canonical_bytes(foreign)),
    }
    unsigned = envelopes.wire("case-s", sign=False)
    good = envelopes.wire("case-s")
    bad = [tampered, impostor, foreign, unsigned]
    for wire in [*bad, good]:
        await bus.send(topic.name, "case-s", envelopes.encode(wire))

    runner = runner_for(bus, keyring, plumbing_db, topic, group, effect_handler)
    async with bus.running(runner):
        await bus.wait_until(lambda: _has(effects, plumbing_db, good["id"]), what="the good message")

    assert await effects(plumbing_db) == {good["id"]: 1}
    assert set(await processed(plumbing_db, group)) == {good["id"]}
    records = await bus.read(dead_letter_topic(topic.name, group).name, len(bad))
    assert [json.loads(r.value)["id"] for r in records] == [w["id"] for w in bad]
    assert [dict(r.headers)["x-error-type"] for r in records] == [b"SignatureInvalid"] * len(bad)


async def test_transient_failure_is_retried_and_applied_once(
    bus, keyring, plumbing_db, envelopes, effect_handler, effects
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    calls: list[float] = []

    async def flaky(uow, envelope, payload):
        calls.append(time.monotonic())
        await effect_handler(uow, envelope, payload)  # written, then rolled back with the failure
        if len(calls) <= 2:
            raise Transient("database briefly unavailable")

    wire = envelopes.wire("case-t")
    await bus.send(topic.name, "case-t", envelopes.encode(wire))
    runner = runner_for(bus, keyring, plumbing_db, topic, group, flaky)
    async with bus.running(runner):
        await bus.wait_until(lambda: _committed_at(bus, group, topic.name, 1), what="offset commit")

    assert len(calls) == 3
    assert calls[2] - calls[1] >= calls[1] - calls[0] > 0.05  # exponential back-off between attempts
    assert await effects(plumbing_db) == {wire["id"]: 1}
    assert set(await processed(plumbing_db, group)) == {wire["id"]}
    assert runner.applied == 1
    assert runner.dead_lettered == 0


async def test_transient_failure_beyond_retries_stops_without_commit(
    bus, keyring, plumbing_db, envelopes, effects
) -> None:
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)

    async def down(uow, envelope, payload):
        raise Transient("still down")

    wire = envelopes.wire("case-d")
    await bus.send(topic.name, "case-d", envelopes.encode(wire))
    runner = ConsumerRunner(
        group=group,
        topics=[topic],
        settings=bus.settings(consumer_max_retries=1),
        keyring=keyring,
        producer=bus.producer,
        database=plumbing_db,
        handlers={RATING: down},
    )
    with pytest.raises(Transient, match="still failing"):
        await asyncio.wait_for(runner.run(), 20)
    assert await bus.committed(group, topic.name) is None
    assert await effects(plumbing_db) == {}
    assert runner.dead_lettered == 0


async def _has(effects, database, event_id: str) -> bool:
    return event_id in await effects(database)


async def _committed_at(bus, group: str, topic: str, offset: int) -> bool:
    return await bus.committed(group, topic) == offset
