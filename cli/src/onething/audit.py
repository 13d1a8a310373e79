"""``onething audit-chain [TOPIC ...]``: verify every producer's hash chain (哈希链审计) and name the first broken link.

Reads each topic from its first record to its end, checks every signature, and hands the envelopes, with where
each was read, to :func:`exchange.chain.audit_chains`. A producer's chain runs across every topic it writes, so
by default every chained topic of the registry is read; naming topics audits what is on them (seqs written to
other topics then show as gaps). Not chained, so not read by default: dead-letter topics (copies of other
records), ``exchange.security.events`` (sent directly, like dead letters) and the satisfaction figures (a stream
processor's output).

Exit status: 0 every chain intact; 1 a link is broken (an altered, reordered or forked envelope), a signature
fails or a record is no envelope; 3 only gaps (positions missing: removed, expired by retention, or on topics not
read); 2 the broker or a topic is not there.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from contracts.envelope import Envelope, EnvelopeError
from contracts.topics import ALL_TOPICS, RATING_FIGURES, SECURITY_EVENTS
from exchange.chain import ChainAudit, audit_chains
from exchange.errors import SignatureInvalid
from exchange.signing import KeyRing
from onething.tail import until_end

__all__ = ["CHAINED_TOPICS", "AuditResult", "audit_chain_command", "read_and_audit"]

CHAINED_TOPICS = tuple(t.name for t in ALL_TOPICS if t not in (RATING_FIGURES, SECURITY_EVENTS))


@dataclass
class AuditResult:
    chains: ChainAudit
    records: int = 0
    refused: list[str] = field(default_factory=list)  # records that are no envelope or whose signature fails

    @property
    def status(self) -> int:
        if self.refused or any(f.kind != "gap" for f in self.chains.findings):
            return 1
        return 3 if self.chains.findings else 0


class TopicMissing(LookupError):
    pass


async def read_and_audit(bootstrap: str, topics: list[str], keyring: KeyRing) -> AuditResult:
    """Read ``topics`` to their end and audit the chains on them. Raises :class:`TopicMissing`, ``KafkaError``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    await asyncio.sleep(0)  # let aiokafka's no-group task begin (see onething.tail)
    placed: list[tuple[dict[str, Any], str | None]] = []
    refused: list[str] = []
    count = 0
    try:
        await consumer.topics()
        tps = []
        for name in topics:
            partitions = consumer.partitions_for_topic(name)
            if not partitions:
                raise TopicMissing(name)
            tps += [TopicPartition(name, p) for p in sorted(partitions)]
        consumer.assign(tps)
        firsts, ends = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, firsts[tp])
        async for record in until_end(consumer, tps, ends):
            count += 1
            where = f"{record.topic}[{record.partition}]@{record.offset}"
            try:
                _, wire = Envelope.from_bytes(record.value or b"")
                keyring.verify_envelope(wire)
            except (EnvelopeError, SignatureInvalid) as exc:
                refused.append(f"{where}: {type(exc).__name__}: {exc}")
                continue
            placed.append((wire, where))
    finally:
        await consumer.stop()
    return AuditResult(audit_chains(placed), count, refused)


def _print(result: AuditResult, topics: list[str]) -> None:
    chains = result.chains
    print(f"审计 audited {result.records} records on {len(topics)} topics: {len(chains.heads)} producers")
    for source in sorted(chains.heads):
        broken = chains.first_broken(source)
        gaps = [f for f in chains.findings if f.source == source and f.kind == "gap"]
        state = "完整 intact"
        if broken is not None:
            state = f"断链 BROKEN: first broken link: {broken.describe(located=True)}"
        elif gaps:
            state = f"缺口 gaps: {len(gaps)} (first: {gaps[0].describe(located=True)})"
        print(f"  {source:<28} {chains.counts[source]:>6} envelopes  seq ..{chains.heads[source].seq:<6} {state}")
    for line in result.refused[:20]:
        print(f"  拒收 refused {line}")
    if len(result.refused) > 20:
        print(f"  … and {len(result.refused) - 20} more refused records")


def audit_chain_command(bootstrap: str, topics: list[str], keyring: KeyRing) -> int:
    chosen = topics or list(CHAINED_TOPICS)
    try:
        result = asyncio.run(read_and_audit(bootstrap, chosen, keyring))
    except TopicMissing as exc:
        print(f"没有该主题 no such topic: {exc.args[0]}", file=sys.stderr)
        return 2
    except KafkaError as exc:
        print(f"无法连接消息总线 cannot reach the broker at {bootstrap} ({exc}); is a system running there? "
              "Start one with `onething up`, or name its data dir with --data-dir DIR", file=sys.stderr)
        return 2
    _print(result, chosen)
    return result.status
