"""One set of materials (一套材料): each material asked once, shared ones never asked. Pure.

* R-11: a material several selected items need is listed and submitted once.
* R-03 / R-26: a material obtainable by sharing is fetched by the platform; submitting it is refused.
* R-15 容缺受理: a material on the published 容缺 list may be missing at acceptance, against a
  recorded commitment to supply it by a deadline.
* R-16 告知承诺: where the catalogue allows, a written commitment replaces the proof; it is recorded
  with a verify-by date (the verification itself, and cards for overdue supplements, belong to
  supervision).
* R-27 免提交: a material the applicant does not submit, proven by a verified e-licence they consented
  to reuse (``held``, from ``domain.reuse``), is satisfied by that licence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from onething_catalogue.model import Bundle, MaterialSource, Settings

from contracts.intake.v1 import Commitment, MaterialProvision, MaterialRef
from exchange.messages import Text
from intake.domain.errors import FieldProblem
from intake.domain.messages import MESSAGES
from intake.domain.reuse import HeldLicence

__all__ = [
    "MaterialNeed",
    "MaterialsChecked",
    "Submitted",
    "check_materials",
    "one_set_of_materials",
    "submit_codes",
]


@dataclass(frozen=True, slots=True)
class MaterialNeed:
    """One line of the one set of materials, with every selected item that needs it."""

    code: str  # the first occurrence's code: what the applicant submits under
    name_zh: str
    name_en: str
    legal_basis: str
    provided_by: MaterialSource
    shared_from: str | None
    tolerable: bool
    commitment_allowed: bool
    codes_by_item: dict[str, str] = field(default_factory=dict)  # item code → that item's material code
    licence_type: str | None = None  # an e-licence that proves it (免提交)

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(self.codes_by_item)


@dataclass(frozen=True, slots=True)
class Submitted:
    provision: MaterialProvision
    document: str | None = None


@dataclass(frozen=True, slots=True)
class MaterialsChecked:
    refs: dict[str, tuple[MaterialRef, ...]]  # item code → what its department receives
    commitments: tuple[Commitment, ...]
    problems: tuple[FieldProblem, ...]


def one_set_of_materials(bundle: Bundle, codes: tuple[str, ...] | list[str]) -> list[MaterialNeed]:
    """The selected items' materials, merged by name: what one item needs once, another does not ask again."""
    needs: dict[str, MaterialNeed] = {}
    for item in bundle.items:
        if item.code not in codes:
            continue
        for m in item.materials:
            seen = needs.get(m.name_zh)
            if seen is None:
                needs[m.name_zh] = MaterialNeed(
                    m.code, m.name_zh, m.name_en, m.legal_basis, m.provided_by, m.shared_from, m.tolerable,
                    m.commitment_allowed, {item.code: m.code}, m.licence_type,
                )
            else:  # the strictest terms win: tolerated or replaceable only if every item allows it
                needs[m.name_zh] = MaterialNeed(
                    seen.code, seen.name_zh, seen.name_en, seen.legal_basis, seen.provided_by, seen.shared_from,
                    seen.tolerable and m.tolerable, seen.commitment_allowed and m.commitment_allowed,
                    {**seen.codes_by_item, item.code: m.code}, seen.licence_type or m.licence_type,
                )
    return list(needs.values())


def submit_codes(needs: list[MaterialNeed]) -> dict[str, str]:
    """Each item's material code → the code the applicant submits it under (the one set's line)."""
    return {code: need.code for need in needs for code in need.codes_by_item.values()}


def check_materials(
    needs: list[MaterialNeed], submitted: dict[str, Submitted], *, accepted_on: date, settings: Settings,
    add_working_days: Callable[[date, int], date], held: Mapping[str, HeldLicence] | None = None,
) -> MaterialsChecked:
    problems: list[FieldProblem] = []
    commitments: list[Commitment] = []
    refs: dict[str, list[MaterialRef]] = {}
    by_code = {n.code: n for n in needs}
    problems.extend(
        FieldProblem.said(f"materials.{code}", "unknown_material", MESSAGES.text("unknown_material", code=code))
        for code in submitted
        if code not in by_code
    )
    for need in needs:
        path = f"materials.{need.code}"
        given = submitted.get(need.code)
        if need.provided_by is MaterialSource.SHARING:
            if given is not None:
                problems.append(FieldProblem.said(path, "not_required", _text("material_shared", need)))
            _add_refs(refs, need, MaterialProvision.SHARING, None)
            continue
        licence = (held or {}).get(need.licence_type) if need.licence_type and given is None else None
        if licence is not None:
            _add_refs(refs, need, MaterialProvision.LICENCE, f"licence:{licence.licence_id}", licence)
            continue
        problem = _applicant_problem(need, given)
        if problem:
            problems.append(FieldProblem.said(path, *problem))
            continue
        assert given is not None
        if given.provision is MaterialProvision.DEFERRED:
            due = add_working_days(accepted_on, settings.tolerance_supplement_days)
            commitments.append(Commitment(
                material_code=need.code, kind="tolerance", due_on=due,
                text_zh=MESSAGES.text("commitment_tolerance", due=due.isoformat(), name=need.name_zh).zh))
        elif given.provision is MaterialProvision.COMMITMENT:
            due = add_working_days(accepted_on, settings.commitment_verification_days)
            commitments.append(Commitment(
                material_code=need.code, kind="notification", due_on=due,
                text_zh=MESSAGES.text("commitment_notification", due=due.isoformat(), name=need.name_zh).zh))
        _add_refs(refs, need, given.provision, given.document)
    return MaterialsChecked({k: tuple(v) for k, v in refs.items()}, tuple(commitments), tuple(problems))


def _text(key: str, need: MaterialNeed, **values: str | Text) -> Text:
    """The text ``key`` about ``need``, each language with the material's name in that language."""
    return MESSAGES.text(key, name=Text(need.name_zh, need.name_en), **values)


def _applicant_problem(need: MaterialNeed, given: Submitted | None) -> tuple[str, Text] | None:
    if given is None:
        hints = [MESSAGES.text(key) for key, applies in
                 (("hint_tolerable", need.tolerable), ("hint_commitment", need.commitment_allowed)) if applies]
        return "material_missing", _text("material_missing", need, hints=Text("".join(h.zh for h in hints),
                                                                                 "".join(h.en for h in hints)))
    match given.provision:
        case MaterialProvision.UPLOAD if not (given.document or "").strip():
            return "document_missing", _text("document_missing", need)
        case MaterialProvision.DEFERRED if not need.tolerable:
            return "not_tolerable", _text("not_tolerable", need)
        case MaterialProvision.COMMITMENT if not need.commitment_allowed:
            return "commitment_not_allowed", _text("commitment_not_allowed", need)
        case MaterialProvision.SHARING | MaterialProvision.LICENCE:
            return "provision_invalid", _text("provision_invalid", need)
    return None


def _add_refs(refs: dict[str, list[MaterialRef]], need: MaterialNeed, provision: MaterialProvision,
              document: str | None, licence: HeldLicence | None = None) -> None:
    for item_code, code in need.codes_by_item.items():
        refs.setdefault(item_code, []).append(
            MaterialRef(code=code, name_zh=need.name_zh, provision=provision, document=document,
                        shared_from=need.shared_from,
                        licence_id=licence.licence_id if licence else None,
                        licence_number=licence.number if licence else None,
                        credential=dict(licence.credential) if licence else None))
