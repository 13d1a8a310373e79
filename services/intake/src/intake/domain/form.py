"""One form (一表申请, R-11): every field the selected items need, asked once, well-formed. Pure."""

from __future__ import annotations

import re
from datetime import date

from onething_catalogue.model import FieldType, FormField

from contracts.identifiers import resident_id_problem, uscc_problem
from exchange.messages import Text
from intake.domain.errors import FieldProblem
from intake.domain.messages import MESSAGES

__all__ = ["check_form", "normalise_form"]

# ASCII digits only ([0-9], not \d): a full-width ２ is not the same value to a department's system.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")
_PHONE = re.compile(r"1[0-9]{10}|0[0-9]{2,3}-?[0-9]{7,8}")
_UPPER = (FieldType.RESIDENT_ID, FieldType.USCC)


def normalise_form(fields: list[FormField], form: dict[str, str]) -> dict[str, str]:
    """Trimmed values; identifiers upper-cased (a trailing x is the check character X)."""
    kinds = {f.name: f.type for f in fields}
    return {k: v.strip().upper() if kinds.get(k) in _UPPER else v.strip() for k, v in form.items()}


def _text(key: str, spec: FormField, **values: str | Text) -> Text:
    """The text ``key`` about ``spec``, each language with the field's label in that language."""
    return MESSAGES.text(key, label=Text(spec.label_zh, spec.label_en), **values)


def _field_problem(spec: FormField, value: str, today: date) -> tuple[str, Text] | None:
    match spec.type:
        case FieldType.DATE:
            if not _ISO_DATE.fullmatch(value):  # fromisoformat also takes 20240101 and 2024-W01-1
                return "date_invalid", _text("date_invalid", spec)
            try:
                day = date.fromisoformat(value)
            except ValueError:
                return "date_invalid", _text("date_invalid", spec)
            if day > today:
                return "date_in_future", _text("date_in_future", spec)
        case FieldType.ENUM if value not in spec.options:
            return "not_an_option", _text("not_an_option", spec, allowed="、".join(spec.options))
        case FieldType.NUMBER if not _NUMBER.fullmatch(value):
            return "not_a_number", _text("not_a_number", spec)
        case FieldType.PHONE if not _PHONE.fullmatch(value):
            return "phone_invalid", _text("phone_invalid", spec)
        case FieldType.RESIDENT_ID:
            problem = resident_id_problem(value, today=today)
            if problem:
                return "resident_id_invalid", _text("identifier_invalid", spec, problem=Text(*problem))
        case FieldType.USCC:
            problem = uscc_problem(value)
            if problem:
                return "uscc_invalid", _text("identifier_invalid", spec, problem=Text(*problem))
    return None


def check_form(fields: list[FormField], form: dict[str, str], today: date) -> list[FieldProblem]:
    """Every problem of the form at once; ``today`` is the day in China the form is checked on (no date, and no
    birth date inside an ID number, may lie after it)."""
    problems: list[FieldProblem] = []
    for spec in fields:
        value = form.get(spec.name, "").strip()
        path = f"form.{spec.name}"
        if not value:
            if spec.required:
                problems.append(FieldProblem.said(path, "missing", _text("field_missing", spec)))
            continue
        found = _field_problem(spec, value, today)
        if found:
            problems.append(FieldProblem.said(path, *found))
    known = {f.name for f in fields}
    problems.extend(
        FieldProblem.said(f"form.{name}", "unexpected_field", MESSAGES.text("unexpected_field", name=name))
        for name in form
        if name not in known
    )
    return problems
