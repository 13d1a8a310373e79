"""Hash chains over a producer's signed envelopes: removals, reorderings and edits show."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts.envelope import Envelope, envelope_digest
from contracts.rating.v1 import RatingLevel, RatingSubmitted
from exchange.chain import GENESIS, ChainHead, link, verify_chain
from exchange.signing import KeyRing, ensure_keys


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    ensure_keys(tmp_path, ["tests", "rating"], holder="tests")
    return KeyRing(tmp_path)


def chain_of(ring: KeyRing, n: int, source: str = "tests", head: ChainHead = GENESIS) -> list[dict[str, Any]]:
    """``n`` envelopes linked and signed the way the outbox relay does it."""
    signer = ring.signer(source)
    out = []
    for i in range(n):
        payload = RatingSubmitted(
            rating_id=f"r{i}",
            case_id=f"case-{i % 3}",
            level=RatingLevel.SATISFIED,
            submitted_at=datetime.now(UTC),
        )
        wire = Envelope.wrap(payload, source=source, subject=f"case-{i % 3}").to_wire()
        signed = signer.sign_envelope(link(wire, head))
        head = head.advance(signed)
        out.append(signed)
    return out


def test_intact_chain_verifies_in_any_order(ring: KeyRing) -> None:
    chain = chain_of(ring, 6)
    for env in chain:
        ring.verify_envelope(env)  # the chain is inside what is signed
    assert [e["chain"]["seq"] for e in chain] == [1, 2, 3, 4, 5, 6]
    assert chain[0]["chain"]["prev"] == GENESIS.digest
    shuffled = chain[:]
    random.Random(7).shuffle(shuffled)
    report = verify_chain(shuffled)
    assert report.intact, report.problems
    assert report.heads["tests"] == ChainHead(6, envelope_digest(chain[-1]))


def test_two_producers_are_separate_chains(ring: KeyRing) -> None:
    mixed = [x for pair in zip(chain_of(ring, 3, "tests"), chain_of(ring, 3, "rating"), strict=True) for x in pair]
    report = verify_chain(mixed)
    assert report.intact, report.problems
    assert {s: h.seq for s, h in report.heads.items()} == {"tests": 3, "rating": 3}


def test_removed_envelope_is_a_gap(ring: KeyRing) -> None:
    chain = chain_of(ring, 5)
    report = verify_chain(chain[:2] + chain[3:])
    assert not report.intact
    assert report.problems == ["tests: gap before seq 4 (after 2)"]


def test_removed_first_envelope_is_a_gap(ring: KeyRing) -> None:
    report = verify_chain(chain_of(ring, 3)[1:])
    assert report.problems == ["tests: gap before seq 2 (after 0)"]


def test_reordered_prev_is_reported(ring: KeyRing) -> None:
    chain = chain_of(ring, 4)
    # Swap the positions of envelopes 2 and 3 (each re-signed by the real key, so only the chain tells).
    signer = ring.signer("tests")
    swapped = copy.deepcopy(chain)
    swapped[1]["chain"]["seq"], swapped[2]["chain"]["seq"] = 3, 2
    swapped[1] = signer.sign_envelope(swapped[1])
    swapped[2] = signer.sign_envelope(swapped[2])
    report = verify_chain(swapped)
    assert not report.intact
    assert "tests: seq 2 does not follow seq 1" in report.problems


def test_wrong_prev_is_reported(ring: KeyRing) -> None:
    chain = chain_of(ring, 3)
    forged = copy.deepcopy(chain[2])
    forged["chain"]["prev"] = envelope_digest(chain[0])  # points back past its predecessor
    forged = ring.signer("tests").sign_envelope(forged)
    report = verify_chain([chain[0], chain[1], forged])
    assert report.problems == ["tests: seq 3 does not follow seq 2"]


def test_altered_envelope_breaks_the_next_link(ring: KeyRing) -> None:
    chain = chain_of(ring, 4)
    altered = copy.deepcopy(chain)
    altered[1]["data"]["level"] = RatingLevel.VERY_DISSATISFIED.value
    altered[1] = ring.signer("tests").sign_envelope(altered[1])  # even re-signed by the owner
    report = verify_chain(altered)
    assert report.problems == ["tests: seq 3 does not follow seq 2"]


def test_altered_last_envelope_is_caught_by_its_signature_not_the_chain(ring: KeyRing) -> None:
    from exchange.errors import SignatureInvalid

    chain = chain_of(ring, 2)
    altered = copy.deepcopy(chain)
    altered[1]["data"]["level"] = RatingLevel.VERY_DISSATISFIED.value
    # Nothing follows it, so the chain cannot tell; the signature does.
    assert verify_chain(altered).intact
    with pytest.raises(SignatureInvalid):
        ring.verify_envelope(altered[1])


def test_two_different_envelopes_at_one_seq(ring: KeyRing) -> None:
    chain = chain_of(ring, 3)
    rival = chain_of(ring, 2)[1]  # another envelope also claiming seq 2
    assert rival["chain"]["seq"] == 2
    report = verify_chain([*chain, rival])
    assert "tests: two different envelopes at seq 2" in report.problems


def test_republished_identical_envelope_is_fine(ring: KeyRing) -> None:
    chain = chain_of(ring, 3)
    report = verify_chain([chain[0], chain[1], copy.deepcopy(chain[1]), chain[2], copy.deepcopy(chain[0])])
    assert report.intact, report.problems
    assert report.heads["tests"].seq == 3


def test_chain_continues_from_a_stored_head(ring: KeyRing) -> None:
    first = chain_of(ring, 2)
    head = ChainHead(2, envelope_digest(first[-1]))
    report = verify_chain(first + chain_of(ring, 2, head=head))
    assert report.intact, report.problems
    assert report.heads["tests"].seq == 4


def test_envelope_without_chain_is_reported(ring: KeyRing) -> None:
    loose = ring.signer("tests").sign_envelope(
        Envelope.wrap(
            RatingSubmitted(rating_id="r", case_id="c", level=RatingLevel.SATISFIED, submitted_at=datetime.now(UTC)),
            source="tests",
            subject="c",
        ).to_wire()
    )
    report = verify_chain([*chain_of(ring, 1), loose])
    assert len(report.problems) == 1 and "has no chain" in report.problems[0]
