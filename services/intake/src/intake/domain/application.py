"""Checking an application against its one-thing (一件事) before acceptance. Pure rules.

* Sub-item selection (R-10): the applicant may pick some items; prerequisites are pulled in.
* One form (R-11): every field the selected items need is present and well-formed, asked once.
"""

from __future__ import annotations

import re
from datetime import date

from contracts.days import china_today
from intake.catalogue.model import Bundle, FieldType, FormField
from intake.domain.errors import FieldProblem
from intake.domain.identity import resident_id_problem

__all__ = ["check_form", "normalise_form", "select_items"]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def normalise_form(fields: list[FormField], form: dict[str, str]) -> dict[str, str]:
    """Trimmed values; ID numbers upper-cased (a trailing x is the check character X)."""
    kinds = {f.name: f.type for f in fields}
    return {k: v.strip().upper() if kinds.get(k) is FieldType.RESIDENT_ID else v.strip() for k, v in form.items()}


def select_items(bundle: Bundle, wanted: list[str] | None) -> tuple[list[str], list[FieldProblem]]:
    """The selected item codes in catalogue order, with prerequisites pulled in."""
    if not wanted:
        return [i.code for i in bundle.items], []
    known = {i.code for i in bundle.items}
    problems = [
        FieldProblem(f"items.{n}", "unknown_item", f"事项 {code} 不属于「{bundle.name_zh}」",
                     f"item {code} is not part of '{bundle.name_en}'")
        for n, code in enumerate(wanted)
        if code not in known
    ]
    chosen: set[str] = set()
    stack = [c for c in wanted if c in known]
    while stack:
        code = stack.pop()
        if code not in chosen:
            chosen.add(code)
            stack.extend(bundle.item(code).requires)
    return [i.code for i in bundle.items if i.code in chosen], problems


def _field_problem(spec: FormField, value: str) -> tuple[str, str, str] | None:
    if spec.type is FieldType.DATE:
        try:
            if not _ISO_DATE.match(value):  # fromisoformat also takes 20240101 and 2024-W01-1
                raise ValueError(value)
            if date.fromisoformat(value) > china_today():
                return "date_in_future", f"{spec.label_zh}不能晚于今天", f"{spec.label_en} cannot be in the future"
        except ValueError:
            return "date_invalid", f"{spec.label_zh}应为 YYYY-MM-DD 格式的日期", f"{spec.label_en} must be a date YYYY-MM-DD"
    elif spec.type is FieldType.ENUM and value not in spec.options:
        allowed = "、".join(spec.options)
        return "not_an_option", f"{spec.label_zh}只能是：{allowed}", f"{spec.label_en} must be one of: {allowed}"
    elif spec.type is FieldType.RESIDENT_ID:
        problem = resident_id_problem(value)
        if problem:
            return "resident_id_invalid", f"{spec.label_zh}：{problem[0]}", f"{spec.label_en}: {problem[1]}"
    return None


def check_form(fields: list[FormField], form: dict[str, str]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    for spec in fields:
        value = form.get(spec.name, "").strip()
        path = f"form.{spec.name}"
        if not value:
            if spec.required:
                problems.append(FieldProblem(path, "missing", f"请填写{spec.label_zh}", f"{spec.label_en} is required"))
            continue
        found = _field_problem(spec, value)
        if found:
            problems.append(FieldProblem(path, *found))
    known = {f.name for f in fields}
    problems.extend(
        FieldProblem(f"form.{name}", "unexpected_field", f"所选事项不需要字段 {name}",
                     f"field {name} is not used by the selected items")
        for name in form
        if name not in known
    )
    return problems
