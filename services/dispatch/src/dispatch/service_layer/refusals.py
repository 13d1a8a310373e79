"""拒收通知: when dispatch refuses a department's answer, the department hears of it on the topic it reads.

The consumer runner has already dead-lettered the answer for the platform's operators; this tells the
department too, on its own request topic, as ``dispatch.answer.refused``: which event, why (a fixed
vocabulary and fixed text, so no personal data travels), and where the answer was read. Only answers
read from ``exchange.dept.results`` whose ``source`` names a known department are notified: a record
that names nobody can be answered to nobody. The ``source`` is taken as claimed even when the signature
fails, so a department also learns of answers forged in its name or signed with the wrong key.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from aiokafka import ConsumerRecord

from contracts.departments import department, principal_department
from contracts.dispatch.v1 import AnswerRefused, RefusalReason
from contracts.envelope import Envelope
from contracts.topics import DEPARTMENT_RESULTS, department_requests
from dispatch.domain.errors import ForeignResult, UnknownTask
from exchange.db.database import Database
from exchange.errors import DomainRefusal, Malformed, Rejected, SignatureInvalid
from exchange.kafka.consumer import RefusalHook

__all__ = ["NOTICES", "refusal_notifier", "refusal_reason"]

logger = logging.getLogger(__name__)

NOTICES = "dispatch.refusal-notices"  # inbox name: one notice per refused record, however often it is redelivered

_REASONS: tuple[tuple[type[Rejected | DomainRefusal], RefusalReason], ...] = (
    (SignatureInvalid, RefusalReason.SIGNATURE_INVALID),
    (Malformed, RefusalReason.MALFORMED),
    (ForeignResult, RefusalReason.FOREIGN_TASK),
    (UnknownTask, RefusalReason.UNKNOWN_TASK),
)


def refusal_reason(error: Rejected | DomainRefusal) -> RefusalReason:
    """Why an answer was refused, for the notice: by the refusal, or by the code the contract gave a malformed one
    (a v1 result asking for corrections, R-14: ``correction_outside_review``)."""
    if isinstance(error, Malformed) and error.code is not None:
        try:
            return RefusalReason(error.code)
        except ValueError:
            pass
    return next((reason for kind, reason in _REASONS if isinstance(error, kind)), RefusalReason.OTHER)


def _claimed(value: bytes | None) -> dict[str, Any]:
    """The answer as sent, as far as it is a JSON object (nothing in it is trusted)."""
    try:
        parsed = json.loads(value or b"")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _name(value: object) -> str | None:
    """A short string from the answer (a case id, an event type); anything else is not repeated back."""
    return value if isinstance(value, str) and 0 < len(value) <= 128 else None


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None


def _sender(wire: dict[str, Any]) -> str | None:
    """The department code the answer claims to come from, if it is one the platform knows."""
    code = principal_department(str(wire.get("source", "")))
    try:
        return department(code).code if code else None
    except KeyError:
        return None


def refusal_notifier(database: Database) -> RefusalHook:
    """The consumer runner's ``on_refused`` hook for dispatch: a notice through the outbox, once per record."""

    async def notify(record: ConsumerRecord[bytes, bytes], error: Rejected | DomainRefusal) -> None:
        if record.topic != DEPARTMENT_RESULTS.name:
            return
        wire = _claimed(record.value)
        code = _sender(wire)
        if code is None:
            logger.warning("refused %s[%d]@%d names no known department; dead letter only",
                           record.topic, record.partition, record.offset)
            return
        # Named by the record's place and content: a redelivery gives the same notice, an answer sent again gets its
        # own, and so does a record at the same place after the broker lost its data (offsets start again at 0).
        digest = hashlib.sha256(record.value or b"").hexdigest()
        notice_id = uuid5(
            NAMESPACE_URL, f"onething:refused:{record.topic}:{record.partition}:{record.offset}:{digest}"
        )
        case_id = _name(wire.get("subject"))
        try:
            cause: Envelope | None = Envelope.model_validate(wire)  # the case's flow, when the answer names it
        except ValueError:
            cause = None
        notice = AnswerRefused.saying(
            refusal_reason(error), department=code, refused_event_id=_uuid(wire.get("id")),
            refused_event_type=_name(wire.get("type")), case_id=case_id,
            topic=record.topic, partition=record.partition, offset=record.offset, refused_at=datetime.now(UTC))
        async with database.unit_of_work(cause=cause) as uow:
            if await uow.claim(NOTICES, notice_id):
                uow.emit(notice, subject=case_id or str(notice_id), topics=[department_requests(code)],
                         event_id=notice_id)

    return notify
