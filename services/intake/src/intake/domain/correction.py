"""One consolidated correction (一次性告知补正, R-14) and no re-entry (R-13). Pure.

The correction notice of a round lists every deficiency found at the window and by every
department. The applicant answers it once: every listed field or material, and nothing else —
what the platform already holds is never asked again.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.dispatch.v1 import Deficiency
from contracts.intake.v1 import MaterialProvision
from intake.domain.errors import FieldProblem
from intake.domain.materials import Submitted
from intake.domain.messages import MESSAGES

__all__ = ["CorrectionNotice", "check_correction"]


@dataclass(frozen=True, slots=True)
class CorrectionNotice:
    round: int
    deficiencies: tuple[Deficiency, ...]

    def fields(self) -> set[str]:
        return {d.code for d in self.deficiencies if d.kind == "field"}

    def materials(self) -> set[str]:
        return {d.code for d in self.deficiencies if d.kind == "material"}

    def items(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.item_code for d in self.deficiencies))


def check_correction(notice: CorrectionNotice, form: dict[str, str], materials: dict[str, Submitted],
                     material_codes: dict[str, str]) -> list[FieldProblem]:
    """Problems with a correction. ``material_codes`` maps an item's material code to the code the
    applicant submits under (the one set of materials)."""
    problems: list[FieldProblem] = []
    wanted_materials = {material_codes.get(c, c) for c in notice.materials()}
    for name in sorted(notice.fields()):
        if not form.get(name, "").strip():
            problems.append(FieldProblem.said(f"form.{name}", "missing",
                                              MESSAGES.text("correction_field_missing", name=name)))
    for code in sorted(wanted_materials):
        given = materials.get(code)
        if given is None or given.provision is not MaterialProvision.UPLOAD or not (given.document or "").strip():
            problems.append(FieldProblem.said(f"materials.{code}", "missing",
                                              MESSAGES.text("correction_material_missing", code=code)))
    problems.extend(
        FieldProblem.said(f"form.{name}", "not_requested", MESSAGES.text("correction_field_not_requested", name=name))
        for name in form if name not in notice.fields()
    )
    problems.extend(
        FieldProblem.said(f"materials.{code}", "not_requested",
                          MESSAGES.text("correction_material_not_requested", code=code))
        for code in materials if code not in wanted_materials
    )
    return problems
