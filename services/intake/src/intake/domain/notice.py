"""One-time notice (一次性告知, R-09): everything the applicant needs for the selected items, once. Pure.

Materials, form, conditions, time limits, fees and process of the selection, as one JSON-ready
document; the printable zh-CN page is rendered from it at the HTTP edge.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from onething_catalogue.model import Bundle, Catalogue, MaterialSource

from contracts.departments import department
from contracts.licence_types import licence_type
from contracts.sharing.v1 import REGISTRY_NAMES, principal_registry
from contracts.workdays import PROVISIONAL_NOTE_EN, PROVISIONAL_NOTE_ZH, WorkingCalendar
from exchange.messages import Text, listed
from intake.domain.assistance import FREE_CIRCUMSTANCES
from intake.domain.deadline import bundle_deadline
from intake.domain.materials import one_set_of_materials
from intake.domain.messages import MESSAGES
from intake.domain.selection import Selection

__all__ = ["PROCESS", "one_time_notice"]

_STEPS = ("notice", "apply", "review", "dispatch", "handle", "deliver", "rate")
PROCESS: tuple[Text, ...] = tuple(MESSAGES.text(f"process_{step}") for step in _STEPS)


def one_time_notice(catalogue: Catalogue, bundle: Bundle, selection: Selection, today: date,
                    calendar: WorkingCalendar) -> dict[str, Any]:
    items = [bundle.item(c) for c in selection.codes]
    deadline = bundle_deadline(items, catalogue.settings.sequential_compression)
    due_if_today = calendar.add_working_days(today, deadline.limit_days)
    provisional = calendar.is_provisional(today, due_if_today)
    promised = deadline.promised_days
    fields = catalogue.fields_for(bundle, selection.codes)
    needs = one_set_of_materials(bundle, selection.codes)
    names = {i.code: i.name_zh for i in items}
    rule = MESSAGES.text("deadline_rule", percent=round(catalogue.settings.sequential_compression * 100))
    channels = MESSAGES.text("channels")
    proxy_free = MESSAGES.text("proxy_free_circumstances", circumstances=listed(FREE_CIRCUMSTANCES.values()))
    return {
        "bundle_code": bundle.code,
        "name_zh": bundle.name_zh,
        "name_en": bundle.name_en,
        "catalogue_version": catalogue.version,
        "lead": _unit(bundle.lead),
        "co": [_unit(c) for c in bundle.co],
        "applicant_kind": bundle.applicant_kind.value,
        "added": [{"item_code": a.item_code, "because_of": a.because_of, "reason": a.reason,
                   "message_zh": a.message_zh, "message_en": a.message_en} for a in selection.added],
        "items": [
            {"code": i.code, "name_zh": i.name_zh, "name_en": i.name_en, "department": _unit(i.department),
             "level": i.level.value, "legal_basis": i.legal_basis, "conditions_zh": list(i.conditions_zh),
             "conditions_en": list(i.conditions_en), "time_limit_days": i.time_limit_days,
             "promised_limit_days": promised[i.code],
             "fee_yuan": i.fee_yuan, "fee_zh": i.fee_zh, "fee_en": i.fee_en, "result_zh": i.result_zh,
             "result_en": i.result_en, "yields_licence": i.yields_licence, "requires": list(i.requires),
             "online": i.online, "offline_reason_zh": i.offline_reason_zh, "assumed": list(i.assumed)}
            for i in items
        ],
        "materials": [
            {"code": n.code, "name_zh": n.name_zh, "name_en": n.name_en, "legal_basis": n.legal_basis,
             "submit": n.provided_by is MaterialSource.APPLICANT, "shared_from": n.shared_from,
             "shared_by": _provider(n.shared_from) if n.shared_from else None,
             "licence": _licence(n.licence_type) if n.licence_type else None,
             "tolerable": n.tolerable, "commitment_allowed": n.commitment_allowed,
             "item_material_codes": list(n.codes_by_item.values()),
             "for_items": [{"code": c, "name_zh": names[c]} for c in n.items]}
            for n in needs
        ],
        "form": [
            {"name": f.name, "label_zh": f.label_zh, "label_en": f.label_en, "type": f.type.value,
             "required": f.required, "options": list(f.options),
             "prefill": f.prefill.source.value if f.prefill else None}
            for f in fields
        ],
        "deadline": {
            "limit_days": deadline.limit_days,
            "statutory_days": deadline.statutory_days,
            "due_on_if_accepted_today": due_if_today.isoformat(),
            "due_on_provisional": provisional,
            "provisional_note_zh": PROVISIONAL_NOTE_ZH if provisional else None,
            "provisional_note_en": PROVISIONAL_NOTE_EN if provisional else None,
            "rule_zh": rule.zh,
            "rule_en": rule.en,
            "chains": [{"items": list(c.items), "statutory_days": c.statutory_days, "limit_days": c.limit_days}
                       for c in deadline.chains],
        },
        "fees": {"total_yuan": sum(i.fee_yuan for i in items),
                 "lines": [{"item_code": i.code, "fee_zh": i.fee_zh, "fee_yuan": i.fee_yuan} for i in items]},
        "process": [{"step": n + 1, "zh": step.zh, "en": step.en} for n, step in enumerate(PROCESS)],
        "channels_zh": channels.zh,
        "channels_en": channels.en,
        "proxy_free_zh": proxy_free.zh,
        "proxy_free_en": proxy_free.en,
        "tolerance_supplement_days": catalogue.settings.tolerance_supplement_days,
        "commitment_verification_days": catalogue.settings.commitment_verification_days,
    }


def _unit(code: str) -> dict[str, str]:
    dept = department(code)
    return {"code": dept.code, "name_zh": dept.name_zh, "name_en": dept.name_en}


def _licence(code: str) -> dict[str, str]:
    """The e-licence that proves a material (R-27): with the applicant's consent it is not asked."""
    kind = licence_type(code)
    return {"code": kind.code, "name_zh": kind.name_zh, "name_en": kind.name_en}


def _provider(code: str) -> dict[str, str]:
    """Who shares a material, by name: a base registry or the e-licence archive (by its principal), or a department."""
    registry = principal_registry(code)
    if registry is None:
        return _unit(code)
    name_zh, name_en = REGISTRY_NAMES[registry]
    return {"code": code, "name_zh": name_zh, "name_en": name_en}
