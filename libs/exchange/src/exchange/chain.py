"""Hash chain over each producer's envelopes (哈希链存证).

Every envelope a producer publishes carries ``chain = {seq, prev}``: its position and the sha256 of
the producer's previous *signed* envelope. Together with the signatures this makes a producer's
history tamper-evident: a removed, altered or reordered envelope breaks the chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from contracts.envelope import envelope_digest

__all__ = ["GENESIS", "ChainHead", "ChainReport", "link", "verify_chain"]


@dataclass(frozen=True, slots=True)
class ChainHead:
    seq: int
    digest: str

    def advance(self, signed_wire: dict[str, Any]) -> ChainHead:
        return ChainHead(self.seq + 1, envelope_digest(signed_wire))


GENESIS = ChainHead(0, "0" * 64)


def link(wire: dict[str, Any], head: ChainHead) -> dict[str, Any]:
    """A copy of the (unsigned) envelope placed after ``head`` in its producer's chain."""
    linked = dict(wire)
    linked["chain"] = {"seq": head.seq + 1, "prev": head.digest}
    return linked


@dataclass
class ChainReport:
    """What :func:`verify_chain` found, per producer."""

    heads: dict[str, ChainHead] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(envelopes: Iterable[dict[str, Any]]) -> ChainReport:
    """Check signed envelopes, in any order, form unbroken chains per source starting at seq 1.

    Re-publications of the same envelope (same seq and digest, at-least-once transport) are fine.
    """
    by_source: dict[str, dict[int, dict[str, Any]]] = {}
    report = ChainReport()
    for wire in envelopes:
        chain = wire.get("chain")
        if not isinstance(chain, dict):
            report.problems.append(f"{wire.get('source')}: envelope {wire.get('id')} has no chain")
            continue
        seen = by_source.setdefault(str(wire.get("source")), {})
        seq = int(chain["seq"])
        if seq in seen and envelope_digest(seen[seq]) != envelope_digest(wire):
            report.problems.append(f"{wire.get('source')}: two different envelopes at seq {seq}")
        seen[seq] = wire
    for source, entries in by_source.items():
        head = GENESIS
        for seq in sorted(entries):
            wire = entries[seq]
            if seq != head.seq + 1:
                report.problems.append(f"{source}: gap before seq {seq} (after {head.seq})")
            elif wire["chain"]["prev"] != head.digest:
                report.problems.append(f"{source}: seq {seq} does not follow seq {head.seq}")
            head = ChainHead(seq, envelope_digest(wire))
        report.heads[source] = head
    return report
