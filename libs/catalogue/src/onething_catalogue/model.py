"""Catalogue model (一件事目录): one-things, their items, materials and form fields.

The catalogue is data, not code: a manifest (version, shared form fields, the data-sharing catalogue)
and one file per one-thing. ``Catalogue.check`` enforces the catalogue rules when it is loaded:

* R-01 every one-thing lists items, a lead unit and co-operating units; every item its legal basis,
  acceptance conditions, materials, time limit, fee and result;
* R-02 no catch-all material (「其他材料」「有关材料」, in any wording: ``catch_all.py``) and no catch-all
  condition;
* R-03 no material without legal basis, and a material obtainable by sharing is never asked of the
  applicant;
* dependencies between items form no cycle, and items the law requires together are in the bundle.

Figures the seeds do not give are listed in ``assumed`` so a service centre can see and change them.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from contracts.departments import DEPARTMENTS, department
from contracts.sharing.v1 import Registry, registry_principal
from onething_catalogue.catch_all import is_catch_all_condition, is_catch_all_material

__all__ = [
    "ApplicantKind",
    "Bundle",
    "Catalogue",
    "CatalogueError",
    "FieldType",
    "FormField",
    "Item",
    "Level",
    "LifeCycle",
    "Material",
    "MaterialSource",
    "Prefill",
    "PrefillSource",
    "SharedMaterial",
]

_DEPARTMENT_CODES = {d.code for d in DEPARTMENTS}
# Registries that answer sharing requests besides the departments (人口库、法人库、电子证照库).
REGISTRIES = tuple(registry_principal(r) for r in Registry)


class CatalogueError(ValueError):
    """The catalogue breaks a rule; the message names the file, one-thing and item."""


class FieldType(StrEnum):
    TEXT = "text"
    DATE = "date"
    ENUM = "enum"
    NUMBER = "number"
    PHONE = "phone"
    RESIDENT_ID = "resident_id"  # 公民身份号码 GB 11643
    USCC = "uscc"  # 统一社会信用代码 GB 32100


class LifeCycle(StrEnum):
    PERSON = "person"  # 个人全生命周期
    ENTERPRISE = "enterprise"  # 企业全生命周期
    PROJECT = "project"  # 项目全周期（从签约到投入使用）


class ApplicantKind(StrEnum):
    PERSON = "person"  # 自然人，以公民身份号码标识
    ORGANISATION = "organisation"  # 法人和其他组织，以统一社会信用代码标识


class Level(StrEnum):
    """事项层级 the level of government that handles the item."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"


class PrefillSource(StrEnum):
    """Shared data a form field may be pre-filled from (R-11), after the applicant's authorisation (R-12)."""

    POPULATION = "population"  # 人口基础信息库
    ENTERPRISE = "enterprise"  # 法人基础信息库
    LICENCE = "licence"  # 电子证照库


class MaterialSource(StrEnum):
    APPLICANT = "applicant"  # 申请人提交
    SHARING = "sharing"  # 部门间共享获取，不向申请人索要


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Prefill(_Frozen):
    source: PrefillSource
    attribute: str = Field(min_length=1)  # the record attribute (or licence type) the value comes from


class FormField(_Frozen):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    type: FieldType = FieldType.TEXT
    required: bool = True
    options: tuple[str, ...] = ()
    prefill: Prefill | None = None


class SharedMaterial(_Frozen):
    """An entry of the data-sharing catalogue (共享目录): a material a department already holds."""

    name_zh: str
    shared_from: str  # department code or registry


class Material(_Frozen):
    """申请材料: one material of an item, with the law that asks for it."""

    code: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    legal_basis: str = ""  # 设定依据: required; empty fails the check with a clear message
    provided_by: MaterialSource = MaterialSource.APPLICANT
    shared_from: str | None = None  # who shares it when provided_by == sharing
    licence_type: str | None = None  # an e-licence that proves it (免提交, issue 5)
    tolerable: bool = False  # on the published 容缺 list
    commitment_allowed: bool = False  # a written commitment may replace it (告知承诺, R-16)


class Item(_Frozen):
    """One department item (事项) inside a one-thing."""

    code: str
    name_zh: str
    name_en: str
    department: str
    level: Level = Level.CITY
    legal_basis: str  # 设定依据
    conditions_zh: tuple[str, ...] = ()  # 受理条件
    conditions_en: tuple[str, ...] = ()
    materials: tuple[Material, ...] = ()  # 申请材料
    fields: tuple[str, ...] = ()  # 表单字段 (names in the bundle's or the shared dictionary)
    time_limit_days: int = Field(ge=0)  # 法定办结时限（工作日）; 0 = 即办
    fee_yuan: float = Field(default=0, ge=0)  # 收费标准
    fee_zh: str = "不收费"
    fee_en: str = "free of charge"
    result_zh: str  # 办理结果
    result_en: str
    yields_licence: bool = False
    licence_type: str | None = None
    requires: tuple[str, ...] = ()  # 前置事项
    online: bool = True  # 网上可办
    offline_reason_zh: str | None = None  # why not online, published
    assumed: tuple[str, ...] = ()  # attributes whose figures the seeds do not give


class Bundle(_Frozen):
    """A one-thing (一件事): items of several departments handled as one case."""

    code: str = Field(pattern=r"^[PEJ]-[0-9]{2}[a-z]?$")
    name_zh: str
    name_en: str
    life_cycle: LifeCycle
    applicant_kind: ApplicantKind
    lead: str  # 牵头单位
    co: tuple[str, ...] = ()  # 配合单位
    sources: tuple[str, ...] = ()
    note_zh: str = ""
    note_en: str = ""
    together: tuple[tuple[str, ...], ...] = ()  # items the law requires to be handled together
    form_fields: tuple[FormField, ...] = ()  # fields of this one-thing only; shared ones live in the manifest
    items: tuple[Item, ...]
    assumed: tuple[str, ...] = ()

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def group_of(self, code: str) -> tuple[str, ...]:
        """The items that must go with ``code`` directly (itself included); overlapping groups chain
        through selection, which pulls in the groups of every item it adds."""
        return tuple(dict.fromkeys(c for g in self.together if code in g for c in g)) or (code,)


class Settings(_Frozen):
    """Figures a service centre sets for its whole catalogue."""

    tolerance_supplement_days: int = Field(default=5, ge=1)  # 容缺材料补齐期限（工作日）
    commitment_verification_days: int = Field(default=20, ge=1)  # 告知承诺核查期限（工作日）
    sequential_compression: float = Field(default=0.3, gt=0, le=1)  # 串联 ≤ 30% of Σ limits
    assumed: tuple[str, ...] = ()


class Manifest(_Frozen):
    version: str = Field(min_length=1)
    note_zh: str = ""
    note_en: str = ""
    settings: Settings = Settings()
    fields: tuple[FormField, ...] = ()  # shared form-field dictionary: a field is defined once
    sharing: tuple[SharedMaterial, ...] = ()  # 共享目录


class Catalogue(_Frozen):
    version: str
    note_zh: str = ""
    note_en: str = ""
    settings: Settings = Settings()
    fields: tuple[FormField, ...] = ()
    sharing: tuple[SharedMaterial, ...] = ()
    bundles: tuple[Bundle, ...]
    _files: dict[str, str] = PrivateAttr(default_factory=dict)  # bundle code → file it came from

    @classmethod
    def assemble(cls, manifest: Manifest, bundles: list[tuple[str, Bundle]]) -> Catalogue:
        catalogue = cls(
            version=manifest.version, note_zh=manifest.note_zh, note_en=manifest.note_en,
            settings=manifest.settings, fields=manifest.fields, sharing=manifest.sharing,
            bundles=tuple(b for _, b in bundles),
        )
        catalogue._files = {b.code: source for source, b in bundles}
        return catalogue

    def bundle(self, code: str) -> Bundle | None:
        return next((b for b in self.bundles if b.code == code), None)

    def summary(self) -> dict[str, Any]:
        """The list of one-things as the API and ``onething catalogue`` show it."""
        return {
            "version": self.version,
            "one_things": len(self.bundles),
            "items": sum(len(b.items) for b in self.bundles),
            "bundles": [
                {"code": b.code, "name_zh": b.name_zh, "name_en": b.name_en, "life_cycle": b.life_cycle.value,
                 "applicant_kind": b.applicant_kind.value, "items": len(b.items),
                 "item_codes": [i.code for i in b.items], "lead": b.lead, "lead_name_zh": department(b.lead).name_zh,
                 "lead_name_en": department(b.lead).name_en, "co": list(b.co),
                 "departments": [{"code": d.code, "name_zh": d.name_zh, "name_en": d.name_en}
                                 for d in map(department, _involved(b))]}
                for b in self.bundles
            ],
        }

    def field_spec(self, bundle: Bundle, name: str) -> FormField | None:
        for spec in (*bundle.form_fields, *self.fields):
            if spec.name == name:
                return spec
        return None

    def fields_for(self, bundle: Bundle, item_codes: Collection[str]) -> list[FormField]:
        """The one form (一表申请): the union of the selected items' fields, each asked once."""
        seen: dict[str, FormField] = {}
        for item in bundle.items:
            if item.code in item_codes:
                for name in item.fields:
                    spec = self.field_spec(bundle, name)
                    if spec is not None and name not in seen:
                        seen[name] = spec
        return list(seen.values())

    def source_of(self, code: str, default: str) -> str:
        return self._files.get(code, default)

    def check(self, source: str) -> None:
        """Every catalogue rule; the first breach raises with file, one-thing and item named."""
        _no_repeats(source, "一件事编号 one-thing code", [b.code for b in self.bundles])
        _no_repeats(source, "共享字段 shared form field", [f.name for f in self.fields])
        shared_by_name = {s.name_zh: s.shared_from for s in self.sharing}
        for entry in self.sharing:
            _known_provider(source, entry.shared_from, f"共享目录「{entry.name_zh}」")
        for bundle in self.bundles:
            _check_bundle(self, bundle, self.source_of(bundle.code, source), shared_by_name)


def _check_bundle(catalogue: Catalogue, bundle: Bundle, file: str, shared_by_name: dict[str, str]) -> None:
    where = f"{file}: {bundle.code} {bundle.name_zh}"
    _no_repeats(where, "事项编号 item code", [i.code for i in bundle.items])
    _no_repeats(where, "表单字段 form field", [f.name for f in bundle.form_fields])
    for spec in bundle.form_fields:
        if spec.type is FieldType.ENUM and not spec.options:
            raise CatalogueError(f"{where}: 选项字段 {spec.name} 没有选项 / enum field {spec.name} has no options")
    provided: dict[str, MaterialSource] = {}
    for m in (m for i in bundle.items for m in i.materials):
        if provided.setdefault(m.name_zh, m.provided_by) is not m.provided_by:
            raise CatalogueError(f"{where}: 材料「{m.name_zh}」在不同事项中提交方式不一致 / material is shared in one "
                                 "item and asked in another (R-03)")
    shared_fields = {f.name for f in catalogue.fields}
    for spec in bundle.form_fields:
        if spec.name in shared_fields:
            raise CatalogueError(
                f"{where}: 字段 {spec.name} 已在共享字段中定义，不得重复定义（一表申请）"
                f" / field {spec.name} is already in the shared dictionary; define it once"
            )
    if not bundle.items:
        raise CatalogueError(f"{where}: 一件事没有事项 / a one-thing needs items (R-01)")
    if not bundle.co:
        raise CatalogueError(f"{where}: 未列明配合单位 / co-operating units are missing (R-01)")
    for dept in (bundle.lead, *bundle.co):
        if dept not in _DEPARTMENT_CODES:
            raise CatalogueError(f"{where}: 未知部门 unknown department {dept!r}")
    involved = {bundle.lead, *bundle.co}
    codes = {i.code for i in bundle.items}
    for group in bundle.together:
        for code in group:
            if code not in codes:
                raise CatalogueError(f"{where}: 须一并办理的事项 {code} 不在本一件事中 / together-group item {code!r} "
                                     "is not in the bundle (R-10)")
    material_codes: list[str] = []
    for item in bundle.items:
        _check_item(catalogue, bundle, item, f"{where} / {item.code} {item.name_zh}", codes, involved, shared_by_name)
        material_codes.extend(m.code for m in item.materials)
    _no_repeats(where, "材料编号 material code", material_codes)
    _check_acyclic(bundle, where)


def _check_item(catalogue: Catalogue, bundle: Bundle, item: Item, at: str, codes: set[str], involved: set[str],
                shared_by_name: dict[str, str]) -> None:
    if item.department not in _DEPARTMENT_CODES:
        raise CatalogueError(f"{at}: 未知部门 unknown department {item.department!r}")
    if item.department not in involved:
        raise CatalogueError(f"{at}: 办理部门 {item.department} 不是牵头或配合单位 / the item's department is neither "
                             "the lead nor a co-operating unit (R-01)")
    for attribute, value in (("legal_basis 设定依据", item.legal_basis), ("result_zh 办理结果", item.result_zh),
                             ("fee_zh 收费标准", item.fee_zh)):
        if not value.strip():
            raise CatalogueError(f"{at}: 缺少{attribute} / {attribute.split()[0]} is missing (R-01)")
    if not item.conditions_zh:
        raise CatalogueError(f"{at}: 缺少受理条件 / acceptance conditions are missing (R-01)")
    if not item.materials:
        raise CatalogueError(f"{at}: 缺少申请材料清单 / the material list is missing (R-01)")
    for condition in item.conditions_zh:
        if is_catch_all_condition(condition):
            raise CatalogueError(f"{at}: 受理条件「{condition}」是兜底条款 / catch-all condition (R-02)")
    for material in item.materials:
        _check_material(material, f"{at} / 材料 {material.code}「{material.name_zh}」", shared_by_name)
    for req in item.requires:
        if req not in codes:
            raise CatalogueError(f"{at}: 前置事项不在本一件事中 prerequisite {req!r} is not in the bundle")
    for name in item.fields:
        if catalogue.field_spec(bundle, name) is None:
            raise CatalogueError(f"{at}: 未定义的表单字段 undefined form field {name!r}")
    if item.yields_licence and not item.licence_type:
        raise CatalogueError(f"{at}: 产生证照的事项需写明证照类型 licence_type is required")
    if not item.online and not (item.offline_reason_zh or "").strip():
        raise CatalogueError(f"{at}: 不能网办的事项须说明理由 / an item not online must state why (R-07)")


def _check_material(material: Material, at: str, shared_by_name: dict[str, str]) -> None:
    if is_catch_all_material(material.name_zh):
        raise CatalogueError(f"{at}: 兜底材料不得列入 / catch-all material is not allowed (R-02)")
    if not material.legal_basis.strip():
        raise CatalogueError(f"{at}: 材料无设定依据 / material has no legal basis (R-03)")
    shared_from = shared_by_name.get(material.name_zh)
    if material.provided_by is MaterialSource.APPLICANT and shared_from:
        raise CatalogueError(f"{at}: 可通过共享获取（{shared_from}），不得要求申请人提交 / obtainable by sharing from "
                             f"{shared_from}; must not be asked of the applicant (R-03)")
    if material.provided_by is MaterialSource.SHARING:
        if not material.shared_from:
            raise CatalogueError(f"{at}: 共享材料须写明提供单位 / shared_from is required for a shared material (R-03)")
        _known_provider(at, material.shared_from, "共享材料")
        if material.tolerable or material.commitment_allowed:
            raise CatalogueError(f"{at}: 共享材料无需容缺或承诺 / a shared material cannot be tolerated or "
                                 "replaced by commitment")


def _known_provider(at: str, provider: str, what: str) -> None:
    if provider not in _DEPARTMENT_CODES and provider not in REGISTRIES:
        raise CatalogueError(f"{at}: {what}的提供单位未知 unknown provider {provider!r} (R-03)")


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


def _involved(bundle: Bundle) -> list[str]:
    """Every department a one-thing involves, once: the lead, the co-units, then any other item's department
    (the finder's 部门 search looks for a department wherever it takes part)."""
    return list(dict.fromkeys([bundle.lead, *bundle.co, *(i.department for i in bundle.items)]))
