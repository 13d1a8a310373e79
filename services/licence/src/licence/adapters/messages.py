"""Licence events as they go out (领域事件 → 契约消息), the one place they become contract payloads.

* issued: the credential to the holder's archive (``licence.licence.issued`` on the licence events topic, keyed by
  holder: 一人一档), and that it was issued to the case stream (``licence.case.licence_issued``, no credential);
  each under its own deterministic id;
* a status change: one envelope on the case stream (by case) and in the holder's archive (by holder).
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from contracts.licence.v1 import CaseLicenceIssued, LicenceIssued
from contracts.licence.v2 import LicenceStatusChanged
from contracts.topics import CASE_STREAM, LICENCE_EVENTS, TopicSpec
from exchange.db.service_work import Message
from licence.domain.model import Issued, Licence, LicenceEvent, StatusChanged

__all__ = ["issued_event_id", "licence_messages"]


def issued_event_id(licence_id: str, topic: TopicSpec) -> UUID:
    """Deterministic and distinct per topic: the case stream and the holder archive each get one event."""
    return uuid5(NAMESPACE_URL, f"onething:licence-issued:{licence_id}:{topic.name}")


def licence_messages(licence: Licence, event: LicenceEvent) -> list[Message]:
    match event:
        case Issued(credential=credential, issuer_id=issuer_id):
            issued = LicenceIssued(
                licence_id=licence.licence_id, case_id=licence.case_id, item_code=licence.item_code,
                licence_type=licence.licence_type, number=licence.number, holder_id=licence.holder_id,
                holder_name=licence.holder_name, issuer_department=licence.issuer_department,
                issued_at=licence.issued_at, valid_from=licence.valid_from, valid_until=licence.valid_until,
                record_digest=licence.record_digest, record_signature=credential["proof"]["proofValue"],
                signer=licence.signer, issuer_id=issuer_id, status_index=licence.status_index, credential=credential,
            )
            return [
                Message(issued, topics=[LICENCE_EVENTS],
                        event_id=issued_event_id(licence.licence_id, LICENCE_EVENTS)),
                Message(CaseLicenceIssued.of(issued), topics=[CASE_STREAM],
                        event_id=issued_event_id(licence.licence_id, CASE_STREAM)),
            ]
        case StatusChanged(action=action, state=state, reason_zh=reason_zh, actor=actor, changed_at=changed_at):
            return [Message(LicenceStatusChanged(
                licence_id=licence.licence_id, case_id=licence.case_id, item_code=licence.item_code,
                licence_type=licence.licence_type, issuer_department=licence.issuer_department, action=action,
                state=state, reason_zh=reason_zh, actor=actor, changed_at=changed_at,
            ), topics=[CASE_STREAM, LICENCE_EVENTS], key_by_topic={LICENCE_EVENTS.name: licence.holder_id})]
