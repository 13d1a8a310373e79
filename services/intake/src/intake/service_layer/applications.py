"""Accepting an application (受理): one case for a one-thing, checked against every intake rule at once.

All problems found at the window are returned together (一次性告知), never one at a time.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from onething_catalogue.model import ApplicantKind, Bundle, Catalogue
from sqlalchemy.exc import IntegrityError

from contracts.days import china_date
from contracts.intake.v1 import (
    Applicant,
    CaseItem,
    Channel,
    DeliveryMethod,
    MaterialProvision,
    Proxy,
)
from contracts.sharing.v1 import Registry
from contracts.workdays import WorkingCalendar
from credentials.verify import Verification
from exchange.db.service_work import Opener
from exchange.messages import Text
from intake.domain.assistance import fast_track, proxy_terms
from intake.domain.case import CaseState, ItemState, case_due
from intake.domain.deadline import bundle_deadline
from intake.domain.draft import Draft
from intake.domain.errors import ApplicationInvalid, FieldProblem, IdempotencyKeyReused, NotDelegated
from intake.domain.form import check_form, normalise_form
from intake.domain.identity import identity_problem
from intake.domain.materials import MaterialsChecked, Submitted, check_materials, one_set_of_materials, submit_codes
from intake.domain.messages import MESSAGES
from intake.domain.model import Acceptance, Accepted, Case, KeyedCase
from intake.domain.pseudonyms import Pseudonyms
from intake.domain.reuse import HeldLicence, reusable_licences
from intake.domain.selection import Selection, select_items
from intake.service_layer.delegations import authorised_by
from intake.service_layer.drafts import prefilled_values
from intake.service_layer.unit_of_work import IntakeUnitOfWork

__all__ = [
    "ApplicantIn",
    "Application",
    "ProxyRequest",
    "accept_application",
    "resolve_selection",
]

_CASE_NAMESPACE = uuid.UUID("6f1c2a8e-3b0d-4c9e-9a57-0e1d5b7c9f11")
_WINDOW_CHANNELS = (Channel.WINDOW, Channel.KIOSK)


@dataclass(frozen=True)
class ProxyRequest:
    name: str
    id_number: str
    role: str
    circumstances: list[str]


@dataclass(frozen=True)
class ApplicantIn:
    """Who applies, as submitted; the kind of identifier follows the one-thing (R-17)."""

    name: str
    id_number: str
    phone: str | None = None


@dataclass(frozen=True)
class Application:
    """What the window, portal, app, kiosk or hotline submitted, already shape-checked at the edge."""

    bundle_code: str
    items: list[str] | None
    applicant: ApplicantIn
    form: dict[str, str]
    channel: Channel
    delivery_method: DeliveryMethod
    delivery_address: str | None
    idempotency_key: IdempotencyKey | None
    materials: dict[str, Submitted] = field(default_factory=dict)
    request_digest: str | None = None  # fingerprint of the body sent with ``idempotency_key``
    window_id: str | None = None
    staff_id: str | None = None
    proxy: ProxyRequest | None = None
    fast_track: bool = False
    draft_id: str | None = None
    prefill_confirmed: bool = False
    reuse_licences: bool = False  # the applicant's consent to reuse their e-licences (免提交)
    online_proxy: bool = False  # the caller is the proxy, applying online: the applicant's 委托授权 is needed
    delegation_id: str | None = None  # the authorisation found for it


@dataclass(frozen=True)
class IdempotencyKey:
    """An ``Idempotency-Key`` as a caller sent it. Kept scoped to the caller: the same key from another caller
    is another request, so no one gets someone else's case back by guessing a key."""

    caller: str  # the token's subject or the signing principal
    sent: str

    @property
    def stored(self) -> str:
        return hashlib.sha256(f"{self.caller}\n{self.sent}".encode()).hexdigest()


def new_case_id(now: datetime, idempotency_key: str | None) -> str:
    """一事一号: one number per case; a retried request with the same key gets the same number."""
    suffix = uuid.uuid5(_CASE_NAMESPACE, idempotency_key) if idempotency_key else uuid.uuid4()
    return f"OT{now:%Y%m%d}{suffix.hex[:12].upper()}"


def resolve_selection(catalogue: Catalogue, bundle_code: str, items: list[str] | None) -> tuple[Bundle, Selection]:
    bundle = catalogue.bundle(bundle_code)
    if bundle is None:
        raise ApplicationInvalid([FieldProblem.said("bundle_code", "unknown_bundle",
                                                    MESSAGES.text("unknown_bundle", code=bundle_code))])
    selection = select_items(bundle, items)
    if selection.problems:
        raise ApplicationInvalid(list(selection.problems))
    return bundle, selection


def _channel_problems(app: Application) -> list[FieldProblem]:
    problems = []
    if app.channel in _WINDOW_CHANNELS and not app.window_id:
        problems.append(FieldProblem.said("window_id", "missing", MESSAGES.text("window_id_missing")))
    if app.channel is Channel.WINDOW and not app.staff_id:
        problems.append(FieldProblem.said("staff_id", "missing", MESSAGES.text("staff_id_missing")))
    if app.delivery_method is DeliveryMethod.MAIL and not (app.delivery_address or "").strip():
        problems.append(FieldProblem.said("delivery.address", "missing", MESSAGES.text("delivery_address_missing")))
    return problems


async def accept_application(work: Opener[IntakeUnitOfWork], catalogue: Catalogue, app: Application,
                             calendar: WorkingCalendar, *, pseudonyms: Pseudonyms,
                             verify_licence: Callable[[Any], Verification] | None = None) -> tuple[str, bool]:
    """Accept (受理) one application as one case; returns the case's number and whether it is new.

    The same rules apply whatever the channel (同一事项无差别受理、同标准办理, R-18). Due dates are counted on
    ``calendar``, supervision's. ``verify_licence`` checks the e-licences an applicant consents to reuse;
    without it no licence is reused. Transactions of its own (``work``): one reads what the application is checked
    against (the case its idempotency key made, the applicant's 委托授权, the draft), one creates the case, and one
    more reads the case a request with the same key created at the same moment.
    """
    async with work() as uow:
        if app.idempotency_key:
            existing = await uow.cases.by_idempotency_key(app.idempotency_key.stored)
            if existing is not None:
                return _retried(existing, app.idempotency_key.sent, app.request_digest), False
        if app.online_proxy:
            assert app.proxy is not None
            delegation_id = await authorised_by(uow, principal_id=app.applicant.id_number,
                                                proxy_id=app.proxy.id_number, bundle_code=app.bundle_code)
            if delegation_id is None:
                raise NotDelegated(app.bundle_code)
            app = replace(app, delegation_id=delegation_id)
        found_draft = await uow.drafts.get(app.draft_id) if app.draft_id else None
    bundle, selection = resolve_selection(catalogue, app.bundle_code, app.items)
    fields = catalogue.fields_for(bundle, selection.codes)
    submitted_form = dict(app.form)
    accepted_on = china_date(datetime.now(UTC))
    problems = _channel_problems(app)
    identity = identity_problem(bundle, app.applicant.id_number, accepted_on)
    if identity:
        problems.append(FieldProblem.said("applicant.id_number", *identity))
    prefilled: dict[str, str] = {}
    held: dict[str, HeldLicence] = {}
    if app.reuse_licences and not app.draft_id:
        problems.append(FieldProblem.said("reuse_licences", "no_draft", MESSAGES.text("reuse_needs_draft")))
    if app.draft_id:
        draft = _usable_draft(found_draft, app, bundle)
        prefilled = {name: v["value"] for name, v in prefilled_values(catalogue, bundle, selection.codes, draft).items()}
        if app.reuse_licences and verify_licence is not None:
            answer = draft.answers.get(Registry.LICENCE.value) or {}
            held = reusable_licences(list(answer.get("credentials", [])), holder_id=app.applicant.id_number,
                                        verify=verify_licence)
        if not app.prefill_confirmed:
            problems.append(FieldProblem.said("prefill_confirmed", "not_confirmed",
                                              MESSAGES.text("prefill_not_confirmed")))
        submitted_form = {**prefilled, **submitted_form}  # the applicant's own entries win, and are recorded
    form = normalise_form(fields, submitted_form)
    problems += check_form(fields, form, accepted_on)
    needs = one_set_of_materials(bundle, selection.codes)
    checked = check_materials(needs, app.materials, accepted_on=accepted_on, settings=catalogue.settings,
                              add_working_days=calendar.add_working_days, held=held)
    problems += checked.problems
    if problems:
        raise ApplicationInvalid(problems)
    changed = sorted(k for k, v in prefilled.items() if form.get(k) != normalise_form(fields, {k: v})[k])
    try:
        async with work() as uow:
            case_id = await _accept(uow, catalogue, bundle, selection, form, checked, submit_codes(needs), app,
                                    changed, calendar, pseudonyms)
        return case_id, True
    except IntegrityError:
        # The same key submitted twice at once: the other request created the case first. This one waited on the
        # unique key until that commit, so it answers with the finished case, never 409 "still in progress".
        if not app.idempotency_key:
            raise
        async with work() as uow:
            existing = await uow.cases.by_idempotency_key(app.idempotency_key.stored)
        if existing is None:
            raise
        return _retried(existing, app.idempotency_key.sent, app.request_digest), False


def _retried(existing: KeyedCase, key: str, digest: str | None) -> str:
    """The case a retry gets back; the same key with another body is refused (draft-ietf-httpapi-idempotency-
    key-header: 422). A case from before revision 0003 has no digest to compare with and is handed back."""
    if existing.request_digest is not None and existing.request_digest != digest:
        raise IdempotencyKeyReused(key)
    return existing.case_id


def _usable_draft(draft: Draft | None, app: Application, bundle: Bundle) -> Draft:
    if draft is None or draft.subject_id != app.applicant.id_number or draft.bundle_code != bundle.code:
        raise ApplicationInvalid([FieldProblem.said("draft_id", "unknown_draft", MESSAGES.text("draft_unknown"))])
    if draft.case_id is not None:  # the authorisation was for one application (本次申请)
        raise ApplicationInvalid([FieldProblem.said("draft_id", "draft_used",
                                                    MESSAGES.text("draft_used_for_case", case_id=draft.case_id))])
    return draft


async def _accept(uow: IntakeUnitOfWork, catalogue: Catalogue, bundle: Bundle, selection: Selection,
                  form: dict[str, str], checked: MaterialsChecked, submit_code: dict[str, str], app: Application,
                  changed_prefill: list[str], calendar: WorkingCalendar, pseudonyms: Pseudonyms) -> str:
    now = datetime.now(UTC)
    accepted_on = china_date(now)
    items = [bundle.item(code) for code in selection.codes]
    deadline = bundle_deadline(items, catalogue.settings.sequential_compression)
    due_on = case_due(calendar, accepted_on, deadline.limit_days, paused_days=0).on
    promised = deadline.promised_days
    proxy = None
    if app.proxy is not None:
        terms = proxy_terms(app.proxy.circumstances)
        proxy = Proxy(name=app.proxy.name, id_number=app.proxy.id_number, role=app.proxy.role, free=terms.free,
                      free_reason=terms.reason_zh)
    applicant = Applicant(
        name=app.applicant.name, id_number=app.applicant.id_number, phone=app.applicant.phone,
        id_type="uscc" if bundle.applicant_kind is ApplicantKind.ORGANISATION else "resident_id")
    idempotency_key = app.idempotency_key.stored if app.idempotency_key else None
    listed = await uow.blacklist.get(app.applicant.id_number)
    track = fast_track(app.fast_track, Text(listed.reason_zh, listed.reason_en) if listed else None)
    case_id = new_case_id(now, idempotency_key)
    state = CaseState(case_id, {
        i.code: ItemState(i.code, i.name_zh, i.name_en, i.department, i.yields_licence,
                          statutory_days=i.time_limit_days, promised_days=promised[i.code]) for i in items
    })
    case = Case.accept(
        case_id, bundle.code, catalogue.version, app.channel, app.delivery_method, state, form,
        materials=[r.model_dump(mode="json") | {"item_code": code, "submit_code": submit_code.get(r.code, r.code)}
                   for code, refs in checked.refs.items() for r in refs],
        limit_days=deadline.limit_days, due_on=due_on,
        acceptance=Acceptance(applicant, now, accepted_on, app.delivery_address, app.window_id, app.staff_id,
                              proxy, track, idempotency_key, app.request_digest, app.draft_id),
        accepted=Accepted(
            bundle.name_zh, bundle.name_en, bundle.lead,
            tuple(CaseItem(item_code=i.code, name_zh=i.name_zh, name_en=i.name_en, department=i.department,
                           time_limit_days=i.time_limit_days, promised_limit_days=promised[i.code],
                           requires=tuple(r for r in i.requires if r in selection.codes),
                           yields_licence=i.yields_licence, licence_type=i.licence_type,
                           materials=checked.refs.get(i.code, ()), form_fields=i.fields) for i in items),
            checked.commitments, pseudonyms.applicant(applicant.id_number), pseudonyms.rater_key))
    uow.cases.add(case)
    if app.draft_id:
        claimed = await uow.drafts.get_for_update(app.draft_id)
        if claimed is None or not claimed.claim(case_id):
            raise ApplicationInvalid([FieldProblem.said("draft_id", "draft_used", MESSAGES.text("draft_used"))])
        if changed_prefill:
            case.note("prefill_changed", MESSAGES.text("prefill_changed", fields=Text(
                "、".join(changed_prefill), ", ".join(changed_prefill))))
    _accepted_timeline(case, bundle, selection, deadline.limit_days, checked, proxy, track.reason_zh,
                       track.reason_en)
    if app.delegation_id is not None:
        case.note("delegation", MESSAGES.text("delegated", delegation_id=app.delegation_id))
    reused = {str(r.licence_number): r.name_zh for refs in checked.refs.values() for r in refs
              if r.provision is MaterialProvision.LICENCE}
    if reused:
        listed_zh = "；".join(f"「{name}」由电子证照 {number} 证明" for number, name in reused.items())
        case.note("licence_reused", Text(
            f"申请人同意复用电子证照，以下材料免提交（已核验签名、签发机关、有效期与状态）：{listed_zh}",
            f"With the applicant's consent, verified e-licences replace {len(reused)} material(s): "
            + ", ".join(reused.values())))
    return case_id


def _accepted_timeline(case: Case, bundle: Bundle, selection: Selection, limit_days: int, checked: MaterialsChecked,
                       proxy: Proxy | None, track_zh: str | None, track_en: str | None) -> None:
    count = len(selection.codes)
    case.note("accepted", MESSAGES.text("accepted", bundle=Text(bundle.name_zh, bundle.name_en), count=count,
                                        days=limit_days, due=case.due_on))
    for added in selection.added:
        case.note("item_added", Text(added.message_zh, added.message_en), item_code=added.item_code)
    for commitment in checked.commitments:  # in zh-CN the commitment's own text
        case.note(f"commitment.{commitment.kind}", Text(commitment.text_zh, MESSAGES.text(
            "commitment_recorded", code=commitment.material_code, due=commitment.due_on).en))
    if proxy is not None:  # in zh-CN the reason the proxy is free or not, in English whether it is
        fee = MESSAGES.text("proxy_fee_free" if proxy.free else "proxy_fee_agreed")
        case.note("proxy", MESSAGES.text("proxy_handled", name=proxy.name, role=proxy.role,
                                         terms=Text(str(proxy.free_reason), fee.en)))
    if track_zh and track_en:
        case.note("fast_track_refused", Text(track_zh, track_en))

