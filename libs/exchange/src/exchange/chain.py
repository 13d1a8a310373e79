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

__all__ = ["GENESIS", "ChainAudit", "ChainHead", "ChainReport", "Finding", "audit_chains", "link", "verify_chain"]


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


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong with a producer's chain; ``where`` says where the envelope was read (e.g.
    ``onething.case.stream[3]@112``), when known."""

    kind: str  # "unchained", "fork" (two envelopes at one seq), "gap" (seqs missing), "break" (prev does not match)
    source: str
    seq: int | None = None
    after: int | None = None  # gap, break: the seq before
    event_id: str | None = None
    where: str | None = None
    other_where: str | None = None  # fork: the other envelope; break: the one it should follow

    def describe(self, *, located: bool = False) -> str:
        at = f" ({self.where})" if located and self.where else ""
        other = f" ({self.other_where})" if located and self.other_where else ""
        if self.kind == "unchained":
            return f"{self.source}: envelope {self.event_id}{at} has no chain"
        if self.kind == "fork":
            return f"{self.source}: two different envelopes at seq {self.seq}{at}{other}"
        if self.kind == "gap":
            return f"{self.source}: gap before seq {self.seq}{at} (after {self.after})"
        return f"{self.source}: seq {self.seq}{at} does not follow seq {self.after}{other}"


@dataclass
class ChainAudit:
    """What :func:`audit_chains` found: each producer's head and envelope count, and every finding in the order
    found (per producer in seq order)."""

    heads: dict[str, ChainHead] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def first_broken(self, source: str) -> Finding | None:
        """The first link of ``source`` that is wrong (a fork or a break; gaps may be retention)."""
        return next((f for f in self.findings if f.source == source and f.kind in ("fork", "break", "unchained")),
                    None)


def audit_chains(envelopes: Iterable[tuple[dict[str, Any], str | None]]) -> ChainAudit:
    """Check signed envelopes (each with where it was read), in any order, for unbroken chains per source from
    seq 1. Re-publications of the same envelope (same seq and digest, at-least-once transport) are fine. After a
    gap the next link cannot be checked, so a gap is not also a break."""
    by_source: dict[str, dict[int, tuple[dict[str, Any], str | None]]] = {}
    audit = ChainAudit()
    for wire, where in envelopes:
        source = str(wire.get("source"))
        chain = wire.get("chain")
        if not isinstance(chain, dict):
            audit.findings.append(Finding("unchained", source, event_id=str(wire.get("id")), where=where))
            continue
        seen = by_source.setdefault(source, {})
        seq = int(chain["seq"])
        if seq in seen and envelope_digest(seen[seq][0]) != envelope_digest(wire):
            audit.findings.append(Finding("fork", source, seq=seq, where=where, other_where=seen[seq][1]))
        seen[seq] = (wire, where)
    for source, entries in by_source.items():
        head, head_where = GENESIS, None
        for seq in sorted(entries):
            wire, where = entries[seq]
            if seq != head.seq + 1:
                audit.findings.append(Finding("gap", source, seq=seq, after=head.seq, where=where))
            elif wire["chain"]["prev"] != head.digest:
                audit.findings.append(Finding("break", source, seq=seq, after=head.seq, where=where,
                                              other_where=head_where))
            head, head_where = ChainHead(seq, envelope_digest(wire)), where
        audit.heads[source] = head
        audit.counts[source] = len(entries)
    return audit


@dataclass
class ChainReport:
    """What :func:`verify_chain` found, per producer."""

    heads: dict[str, ChainHead] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(envelopes: Iterable[dict[str, Any]]) -> ChainReport:
    """Check signed envelopes, in any order, form unbroken chains per source starting at seq 1 (see
    :func:`audit_chains`, which also says where each envelope was read)."""
    audit = audit_chains((wire, None) for wire in envelopes)
    return ChainReport(audit.heads, [f.describe() for f in audit.findings])
