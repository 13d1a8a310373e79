"""Intake's case events as they go out (领域事件 → 契约消息), the one place they become contract payloads:

* an acceptance is the dossier (``CaseAccepted``, with the applicant, form and materials: the restricted topic only
  dispatch reads) and the case-stream facts without personal data (``CaseRegistered``);
* a correction is the values supplied (``CaseCorrected``, the dossier topic) and the fact (``CorrectionFiled``);
* a delivery is the result (``CaseDelivered``) and the one notice to the applicant on the channel they applied
  through (``CaseNotified``);
* a draft's authorised lookup is one request to the registries (``LookupRequested``, keyed by the subject).
"""

from __future__ import annotations

from contracts.intake.v1 import (
    CaseAccepted,
    CaseCorrected,
    CaseDelivered,
    CaseNotified,
    CaseRegistered,
    Channel,
    CorrectionFiled,
    DeliveredItem,
    DeliveryMethod,
)
from contracts.sharing.v1 import LookupRequested
from exchange.db.service_work import Message
from intake.domain.draft import Draft, DraftEvent, LookupAsked
from intake.domain.model import Accepted, Case, CaseEvent, Corrected, Delivered, Noted

__all__ = ["case_messages", "draft_messages"]


def case_messages(case: Case, event: CaseEvent) -> list[Message]:
    match event:
        case Accepted():
            a = case.acceptance
            assert a is not None, "an accepted case carries its acceptance"
            accepted = CaseAccepted(
                case_id=case.case_id, bundle_code=case.bundle_code, bundle_name_zh=event.bundle_name_zh,
                bundle_name_en=event.bundle_name_en, catalogue_version=case.catalogue_version,
                lead_department=event.lead_department, applicant=a.applicant, channel=Channel(case.channel),
                delivery_method=DeliveryMethod(case.delivery_method), items=event.items, form=case.form,
                accepted_at=a.accepted_at, accepted_on=a.accepted_on, window_id=a.window_id, staff_id=a.staff_id,
                proxy=a.proxy, fast_track=a.fast_track.granted, commitments=event.commitments,
                limit_days=case.limit_days, due_on=case.due_on,
            )
            return [
                Message(accepted),  # the dossier, for dispatch alone
                Message(CaseRegistered.of(accepted, applicant_ref=event.applicant_ref, rater_key=event.rater_key)),
            ]
        case Corrected(round=round_, item_codes=item_codes, form=form, materials=materials):
            return [
                Message(CaseCorrected(case_id=case.case_id, item_codes=item_codes, round=round_, form=form,
                                      materials=materials)),  # the values: dossier topic, dispatch
                Message(CorrectionFiled(case_id=case.case_id, item_codes=item_codes, round=round_)),  # the fact
            ]
        case Delivered(at=at):
            assert case.notice_zh is not None and case.notice_en is not None  # written with the delivery
            return [
                Message(CaseDelivered(
                    case_id=case.case_id, method=DeliveryMethod(case.delivery_method),
                    items=tuple(DeliveredItem(item_code=i.item_code, department=i.department, outcome=i.status.value,
                                              document_no=i.document_no, licence_id=i.licence_id)
                                for i in case.state.items.values()),
                    delivered_at=at,
                )),
                Message(CaseNotified(case_id=case.case_id, channel=Channel(case.channel), text_zh=case.notice_zh,
                                     text_en=case.notice_en)),
            ]
        case Noted():
            return []  # the case's own timeline (the repository writes it), not a message


def draft_messages(draft: Draft, event: DraftEvent) -> list[Message]:
    match event:
        case LookupAsked(request_id=request_id, purpose_zh=purpose_zh, at=at):
            return [Message(LookupRequested(
                request_id=request_id, draft_id=draft.draft_id, subject_kind=draft.subject_kind,
                subject_id=draft.subject_id, authorisation_id=draft.authorisation["id"], purpose_zh=purpose_zh,
                requested_at=at,
            ))]
