"""Rating input rules: five levels, ≤10 tags of ≤32 characters, a comment of ≤500 characters."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from contracts.rating.v1 import RatingLevel
from rating.domain.rules import MAX_COMMENT_CHARS, MAX_TAG_CHARS, MAX_TAGS, RatingInput, rating_id_for


def rate(**fields: Any) -> RatingInput:
    return RatingInput.model_validate({"case_id": "C-1", "level": "satisfied", **fields})


def test_the_limits() -> None:
    assert (MAX_TAGS, MAX_TAG_CHARS, MAX_COMMENT_CHARS) == (10, 32, 500)


def test_a_plain_rating() -> None:
    rating = rate()
    assert rating.level is RatingLevel.SATISFIED
    assert rating.tags == [] and rating.comment is None


@pytest.mark.parametrize("level", [level.value for level in RatingLevel])
def test_every_national_level_is_accepted(level: str) -> None:
    assert rate(level=level).level.value == level


def test_tags_and_comment_at_their_limits_are_accepted() -> None:
    tags = [f"{n}" * MAX_TAG_CHARS for n in range(MAX_TAGS)]
    rating = rate(tags=tags, comment="好" * MAX_COMMENT_CHARS)  # characters, not bytes
    assert rating.tags == tags and len(rating.comment or "") == MAX_COMMENT_CHARS
    assert rate(tags=["办事快" * 10 + "好!"]).tags == ["办事快" * 10 + "好!"]


def test_blanks_are_trimmed_repeats_dropped_blank_comment_is_none() -> None:
    rating = rate(tags=[" 快 ", "快", "热情"], comment="   ")
    assert rating.tags == ["快", "热情"]
    assert rating.comment is None
    assert rate(comment="  很好  ").comment == "很好"


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        pytest.param({"level": "great"}, "level", id="unknown-level"),
        pytest.param({"level": None}, "level", id="no-level"),
        pytest.param({"tags": ["t"] * (MAX_TAGS + 1)}, "tags", id="too-many-tags"),
        pytest.param({"tags": ["x" * (MAX_TAG_CHARS + 1)]}, "tags", id="tag-too-long"),
        pytest.param({"tags": ["ok", "  "]}, "tags", id="blank-tag"),
        pytest.param({"tags": "fast"}, "tags", id="tags-not-a-list"),
        pytest.param({"comment": "x" * (MAX_COMMENT_CHARS + 1)}, "comment", id="comment-too-long"),
        pytest.param({"case_id": " "}, "case_id", id="blank-case"),
        pytest.param({"stars": 5}, "stars", id="unknown-field"),
    ],
)
def test_invalid_ratings_are_refused_naming_the_field(fields: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as info:
        rate(**fields)
    assert {str(err["loc"][0]) for err in info.value.errors()} == {where}


def test_one_rating_id_per_case() -> None:
    assert rating_id_for("C-1") == rating_id_for("C-1") != rating_id_for("C-2")
