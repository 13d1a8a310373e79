"""Record keys come from the topic registry (TopicSpec.key names payload fields), so what must stay in order shares
a partition without any producer spelling the key out."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.examples import example
from contracts.licence.v2 import LicenceStatusChanged
from contracts.registry import PAYLOADS
from contracts.supervision.v1 import FiguresPublished
from contracts.topics import ALL_TOPICS, LICENCE_EVENTS, SUPERVISION_FIGURES, TopicSpec

_NOT_FIELDS = {"none", "original key"}  # the broker epoch (one partition) and dead letters (the failed record's key)


@pytest.mark.parametrize("spec", [t for t in ALL_TOPICS if t.event_types and t.key not in _NOT_FIELDS],
                         ids=lambda t: t.name)
def test_every_topic_key_names_fields_of_what_it_carries(spec: TopicSpec) -> None:
    carried = [p for p in PAYLOADS if p.event_type in spec.event_types]
    assert any(all(name in p.model_fields for name in spec.key.split(":")) for p in carried), (
        f"{spec.name}: key {spec.key!r} is not made of payload fields")


def test_a_composite_key_joins_its_fields_and_a_missing_field_falls_back_to_the_subject() -> None:
    figures = FiguresPublished.model_validate({**example(FiguresPublished).model_dump(), "by": "department",
                                               "key": "health", "day": date(2026, 12, 4)})
    assert SUPERVISION_FIGURES.record_key(figures, "subject") == "department:health"
    assert LICENCE_EVENTS.record_key(example(LicenceStatusChanged), "the holder") == "the holder"
