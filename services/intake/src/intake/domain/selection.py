"""Sub-item selection (选择事项, R-10). Pure.

The applicant picks all or some items of a one-thing. Items the law requires together (须一并办理)
cannot be split, and an item's prerequisites (前置事项) are pulled in; each addition says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from onething_catalogue.model import Bundle

from exchange.messages import Text
from intake.domain.errors import FieldProblem
from intake.domain.messages import MESSAGES

__all__ = ["Addition", "Selection", "select_items"]


@dataclass(frozen=True, slots=True)
class Addition:
    """An item the applicant did not pick but must have, and why."""

    item_code: str
    because_of: str
    reason: str  # "prerequisite" | "together"
    message_zh: str
    message_en: str


@dataclass(frozen=True, slots=True)
class Selection:
    codes: tuple[str, ...]  # in catalogue order
    added: tuple[Addition, ...]
    problems: tuple[FieldProblem, ...]


def select_items(bundle: Bundle, wanted: list[str] | None) -> Selection:
    """The selected items in catalogue order, with prerequisites and together-groups pulled in."""
    if wanted is None:
        return Selection(tuple(i.code for i in bundle.items), (), ())
    if not wanted:
        return Selection((), (), (FieldProblem.said("items", "nothing_selected", MESSAGES.text("nothing_selected")),))
    known = {i.code for i in bundle.items}
    name = Text(bundle.name_zh, bundle.name_en)
    problems = tuple(
        FieldProblem.said(f"items.{n}", "unknown_item", MESSAGES.text("unknown_item", code=code, bundle=name))
        for n, code in enumerate(wanted)
        if code not in known
    )
    chosen: set[str] = {c for c in wanted if c in known}
    added: list[Addition] = []
    stack = sorted(chosen)
    while stack:
        code = stack.pop()
        item = bundle.item(code)
        pulls = [(r, "prerequisite") for r in item.requires] + [(g, "together") for g in bundle.group_of(code)]
        for other, reason in pulls:
            if other in chosen:
                continue
            chosen.add(other)
            stack.append(other)
            added.append(_addition(bundle, other, code, reason))
    ordered = tuple(i.code for i in bundle.items if i.code in chosen)
    return Selection(ordered, tuple(added), problems)


def _addition(bundle: Bundle, code: str, because_of: str, reason: str) -> Addition:
    item, cause = bundle.item(code), bundle.item(because_of)
    key = "added_prerequisite" if reason == "prerequisite" else "added_together"
    text = MESSAGES.text(key, item=Text(item.name_zh, item.name_en), cause=Text(cause.name_zh, cause.name_en))
    return Addition(code, because_of, reason, text.zh, text.en)
