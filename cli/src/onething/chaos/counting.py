"""Counting what a chaos run did (清点): from the events observed on the case stream to lost and duplicated.

Pure: no I/O. An *effect* is something the applicant or an official sees once per case and identity: the
delivery and the delivery notice of a case, an e-licence, a supervision card or order, a rectification
order. Republishing the same event (same event id, as an at-least-once relay may) is not a duplicate; the
same effect under two different event ids is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EFFECTS", "Observed", "Tally", "effect_of", "tally"]

# event type -> (effect name, the data field that names one effect)
EFFECTS: Mapping[str, tuple[str, str]] = {
    "intake.case.delivered": ("delivery", "case_id"),
    "intake.case.notified": ("notice", "case_id"),
    "licence.case.licence_issued": ("licence", "licence_id"),  # one per case and item (licence_id_for)
    "supervision.card.issued": ("card", "card_id"),  # one per clock and colour (card_id_for)
    "supervision.order.issued": ("order", "order_id"),  # one per card
    "rating.rectification.opened": ("rectification", "rectification_id"),  # one per bad rating
}


@dataclass(frozen=True, slots=True)
class Observed:
    """One signature-checked event read from the case stream."""

    event_id: str
    type: str
    subject: str  # the case id
    data: Mapping[str, Any]


def effect_of(event: Observed) -> tuple[str, str] | None:
    """``(effect, identity)`` for an effect event, else None."""
    found = EFFECTS.get(event.type)
    if found is None:
        return None
    name, key = found
    return name, str(event.data.get(key) or event.subject)


@dataclass(frozen=True)
class Tally:
    submitted: int
    delivered: int
    lost: tuple[str, ...]  # submitted cases never delivered
    duplicated: Mapping[tuple[str, str], int] = field(default_factory=dict)  # effect -> distinct event ids

    @property
    def duplicated_effects(self) -> int:
        """Extra occurrences: an effect seen under three event ids counts two."""
        return sum(n - 1 for n in self.duplicated.values())

    @property
    def ok(self) -> bool:
        return self.submitted > 0 and not self.lost and not self.duplicated

    def line(self, scenario: str) -> str:
        return (f"chaos {scenario}: submitted {self.submitted}, delivered {self.delivered}, "
                f"lost {len(self.lost)}, duplicated effects {self.duplicated_effects}")


def tally(submitted: Sequence[str], events: Iterable[Observed]) -> Tally:
    """Lost and duplicated effects of the ``submitted`` cases, judged on ``events`` (the stream may hold
    other runs' cases too: only effects of these cases count)."""
    ours = set(submitted)
    ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for event in events:
        if event.subject not in ours:
            continue
        effect = effect_of(event)
        if effect is not None:
            ids[effect].add(event.event_id)
    delivered = {case for case in ours if ("delivery", case) in ids}
    return Tally(
        submitted=len(ours),
        delivered=len(delivered),
        lost=tuple(c for c in dict.fromkeys(submitted) if c not in delivered),
        duplicated={effect: len(seen) for effect, seen in sorted(ids.items()) if len(seen) > 1},
    )
