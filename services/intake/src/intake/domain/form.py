"""One form (一表申请, R-11): every field the selected items need, asked once, well-formed. Pure."""

from __future__ import annotations

import re
from datetime import date

from onething_catalogue.model import FieldType, FormField

from contracts.identifiers import resident_id_problem, uscc_problem
from intake.domain.errors import FieldProblem

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


def _field_problem(spec: FormField, value: str, today: date) -> tuple[str, str, str] | None:
    match spec.type:
        case FieldType.DATE:
            if not _ISO_DATE.fullmatch(value):  # fromisoformat also takes 20240101 and 2024-W01-1
                return "date_invalid", f"{spec.label_zh}应为 YYYY-MM-DD 格式的日期", f"{spec.label_en} must be a date YYYY-MM-DD"
            try:
                day = date.fromisoformat(value)
            except ValueError:
                return "date_invalid", f"{spec.label_zh}应为 YYYY-MM-DD 格式的日期", f"{spec.label_en} must be a date YYYY-MM-DD"
            if day > today:
                return "date_in_future", f"{spec.label_zh}不能晚于今天", f"{spec.label_en} cannot be in the future"
        case FieldType.ENUM if value not in spec.options:
            allowed = "、".join(spec.options)
            return "not_an_option", f"{spec.label_zh}只能是：{allowed}", f"{spec.label_en} must be one of: {allowed}"
        case FieldType.NUMBER if not _NUMBER.fullmatch(value):
            return "not_a_number", f"{spec.label_zh}应为数字", f"{spec.label_en} must be a number"
        case FieldType.PHONE if not _PHONE.fullmatch(value):
            return "phone_invalid", f"{spec.label_zh}应为手机号码或区号加固定电话", f"{spec.label_en} must be a phone number"
        case FieldType.RESIDENT_ID:
            problem = resident_id_problem(value, today=today)
            if problem:
                return "resident_id_invalid", f"{spec.label_zh}：{problem[0]}", f"{spec.label_en}: {problem[1]}"
        case FieldType.USCC:
            problem = uscc_problem(value)
            if problem:
                return "uscc_invalid", f"{spec.label_zh}：{problem[0]}", f"{spec.label_en}: {problem[1]}"
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
                problems.append(FieldProblem(path, "missing", f"请填写{spec.label_zh}", f"{spec.label_en} is required"))
            continue
        found = _field_problem(spec, value, today)
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
