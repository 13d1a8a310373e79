"""Catalogue model: one-things (bundles), their items, form fields. Validated when loaded."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.departments import DEPARTMENTS

__all__ = ["Bundle", "Catalogue", "CatalogueError", "FieldType", "FormField", "Item"]

_DEPARTMENT_CODES = {d.code for d in DEPARTMENTS}


class CatalogueError(ValueError):
    """The catalogue breaks a rule; the message names the file, one-thing and item."""


class FieldType(StrEnum):
    TEXT = "text"
    DATE = "date"
    ENUM = "enum"
    RESIDENT_ID = "resident_id"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FormField(_Frozen):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_zh: str
    label_en: str
    type: FieldType = FieldType.TEXT
    required: bool = True
    options: tuple[str, ...] = ()


class Item(_Frozen):
    """One department item (事项) inside a one-thing."""

    code: str
    name_zh: str
    name_en: str
    department: str
    legal_basis: str  # 设定依据
    time_limit_days: int = Field(ge=0)  # 法定办结时限（工作日）
    assumed: tuple[str, ...] = ()  # figures not given by the seeds
    fee: str = "0"
    result_zh: str
    yields_licence: bool = False
    licence_type: str | None = None
    requires: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()


class Bundle(_Frozen):
    """A one-thing (一件事): items of several departments handled as one case."""

    code: str
    name_zh: str
    name_en: str
    life_cycle: str
    lead: str  # 牵头单位
    co: tuple[str, ...] = ()  # 配合单位
    sources: tuple[str, ...] = ()
    form_fields: tuple[FormField, ...]
    items: tuple[Item, ...]

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def fields_for(self, item_codes: set[str]) -> list[FormField]:
        """The one form (一表申请): the union of the selected items' fields, each asked once."""
        wanted = {f for item in self.items if item.code in item_codes for f in item.fields}
        return [f for f in self.form_fields if f.name in wanted]


class Catalogue(_Frozen):
    version: str
    note_zh: str = ""
    note_en: str = ""
    bundles: tuple[Bundle, ...]

    def bundle(self, code: str) -> Bundle | None:
        return next((b for b in self.bundles if b.code == code), None)

    def check(self, source: str) -> None:
        """Structural rules (R-01, dependencies without cycles, known departments)."""
        _no_repeats(source, "一件事编号 one-thing code", [b.code for b in self.bundles])
        for bundle in self.bundles:
            where = f"{source}: {bundle.code} {bundle.name_zh}"
            _no_repeats(where, "事项编号 item code", [i.code for i in bundle.items])
            _no_repeats(where, "表单字段 form field", [f.name for f in bundle.form_fields])
            if not bundle.items:
                raise CatalogueError(f"{where}: 一件事没有事项 / a one-thing needs items (R-01)")
            for dept in (bundle.lead, *bundle.co):
                if dept not in _DEPARTMENT_CODES:
                    raise CatalogueError(f"{where}: 未知部门 unknown department {dept!r}")
            codes = {i.code for i in bundle.items}
            field_names = {f.name for f in bundle.form_fields}
            for item in bundle.items:
                at = f"{where} / {item.code} {item.name_zh}"
                if item.department not in _DEPARTMENT_CODES:
                    raise CatalogueError(f"{at}: 未知部门 unknown department {item.department!r}")
                for req in item.requires:
                    if req not in codes:
                        raise CatalogueError(f"{at}: 前置事项不在本一件事中 prerequisite {req!r} is not in the bundle")
                for name in item.fields:
                    if name not in field_names:
                        raise CatalogueError(f"{at}: 未定义的表单字段 undefined form field {name!r}")
                if item.yields_licence and not item.licence_type:
                    raise CatalogueError(f"{at}: 产生证照的事项需写明证照类型 licence_type is required")
            _check_acyclic(bundle, where)


def _no_repeats(where: str, what: str, values: list[str]) -> None:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise CatalogueError(f"{where}: 重复的{what} repeated: {', '.join(repeated)}")


def _check_acyclic(bundle: Bundle, where: str) -> None:
    requires = {i.code: i.requires for i in bundle.items}
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(code: str, path: tuple[str, ...]) -> None:
        if state.get(code) == 2:
            return
        if state.get(code) == 1:
            cycle = " → ".join((*path[path.index(code):], code))
            raise CatalogueError(f"{where}: 事项依赖成环 dependency cycle {cycle}")
        state[code] = 1
        for req in requires[code]:
            visit(req, (*path, code))
        state[code] = 2

    for code in requires:
        visit(code, ())
