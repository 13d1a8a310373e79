"""``onething audit-chain`` on the real broker (哈希链审计): an intact chain over several topics and partitions
passes; an envelope altered and re-signed at its position (a fork), a chain whose link was re-pointed, a removed
envelope (a gap) and a record that is no envelope are each found and named by where they were read."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.rating.v1 import RatingLevel, RatingSubmitted
from contracts.topics import TopicSpec
from exchange.chain import GENESIS, ChainHead, link
from exchange.kafka.admin import ensure_topics
from exchange.signing import KeyRing
from onething.audit import audit_chain_command, read_and_audit

pytestmark = pytest.mark.integration


def chain(keyring: KeyRing, count: int, source: str = "rating") -> list[dict[str, Any]]:
    head: ChainHead = GENESIS
    wires = []
    for n in range(count):
        payload = RatingSubmitted(rating_id=f"r-{n}", case_id=f"case-{n % 3}", level=RatingLevel.SATISFIED,
                                  submitted_at=datetime.now(UTC))
        wire = keyring.signer(source).sign_envelope(link(Envelope.wrap(payload, source=source,
                                                                       subject=payload.case_id).to_wire(), head))
        head = head.advance(wire)
        wires.append(wire)
    return wires


async def publish(bootstrap: str, placed: list[tuple[str, dict[str, Any] | bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for topic, wire in placed:
            value = wire if isinstance(wire, bytes) else json.dumps(wire).encode()
            await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def topics(bootstrap: str, count: int = 2) -> list[str]:
    names = [f"audit.{uuid.uuid4().hex[:8]}.{n}" for n in range(count)]
    await ensure_topics(bootstrap, [TopicSpec(name=n, key="k", description_zh="", description_en="", event_types=(),
                                              partitions=2) for n in names], 2)
    return names


async def test_an_intact_chain_spread_over_two_topics_passes(kafka_bootstrap: str, keyring: KeyRing) -> None:
    a, b = await topics(kafka_bootstrap)
    wires = chain(keyring, 8)
    await publish(kafka_bootstrap, [(a if n % 2 else b, w) for n, w in enumerate(wires)])
    result = await read_and_audit(kafka_bootstrap, [a, b], keyring)
    assert result.status == 0 and result.records == 8 and result.chains.heads["rating"].seq == 8
    only_a = await read_and_audit(kafka_bootstrap, [a], keyring)  # the other half of the chain is on b: gaps
    assert only_a.status == 3 and {f.kind for f in only_a.chains.findings} == {"gap"}


async def test_a_fork_a_re_pointed_link_a_gap_and_a_non_envelope_are_named(
    kafka_bootstrap: str, keyring: KeyRing
) -> None:
    [a] = await topics(kafka_bootstrap, 1)
    wires = chain(keyring, 6)
    rival = dict(wires[2], data={**wires[2]["data"], "level": "very_dissatisfied"})  # altered, re-signed by rating
    rival = keyring.signer("rating").sign_envelope({k: v for k, v in rival.items() if k != "signature"})
    await publish(kafka_bootstrap, [(a, wires[0]), (a, wires[1]), (a, wires[2]), (a, rival), (a, b"not json")])
    result = await read_and_audit(kafka_bootstrap, [a], keyring)
    assert result.status == 1
    broken = result.chains.first_broken("rating")
    assert broken is not None and broken.kind == "fork" and broken.seq == 3
    assert broken.where is not None and broken.where.startswith(f"{a}[") and broken.other_where is not None
    assert len(result.refused) == 1 and "EnvelopeError" in result.refused[0]

    [b] = await topics(kafka_bootstrap, 1)
    relinked = keyring.signer("rating").sign_envelope(
        {**{k: v for k, v in wires[4].items() if k != "signature"}, "chain": {"seq": 4, "prev": "0" * 64}})
    await publish(kafka_bootstrap, [(b, wires[0]), (b, wires[1]), (b, wires[2]), (b, relinked), (b, wires[5])])
    result = await read_and_audit(kafka_bootstrap, [b], keyring)
    kinds = [(f.kind, f.seq) for f in result.chains.findings]
    assert ("break", 4) in kinds and ("gap", 6) in kinds and result.status == 1
    assert result.chains.first_broken("rating").describe(located=True).startswith(  # type: ignore[union-attr]
        f"rating: seq 4 ({b}[")


def test_the_command_says_which_producers_are_intact(kafka_bootstrap: str, keyring: KeyRing,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    [a] = asyncio.run(topics(kafka_bootstrap, 1))
    asyncio.run(publish(kafka_bootstrap, [(a, w) for w in chain(keyring, 3)]))
    assert audit_chain_command(kafka_bootstrap, [a], keyring) == 0
    out = capsys.readouterr().out
    assert "audited 3 records on 1 topics: 1 producers" in out and "rating" in out and "完整 intact" in out
    assert audit_chain_command(kafka_bootstrap, ["no.such.topic"], keyring) == 2
