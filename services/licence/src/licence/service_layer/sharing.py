"""The licence service as the e-licence archive (电子证照库) of data sharing: which licences a holder has.

Answers every data-sharing lookup (共享查询) with the holder's licences that are valid now: active (neither
revoked nor suspended) and inside their validity period; the newest of each type. The answer carries
licence type → number for pre-fill and the signed credentials for reuse as evidence (免提交, R-27), and
goes out through the outbox, signed and chained by the licence service's own key.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from contracts.days import china_date
from contracts.envelope import Envelope
from contracts.sharing.v1 import LookupAnswered, LookupRequested, Registry, answer_event_id
from contracts.topics import SHARING_ANSWERS
from exchange.db.service_work import Message
from licence.service_layer.unit_of_work import LicenceUnitOfWork

__all__ = ["lookup_requested"]


async def lookup_requested(uow: LicenceUnitOfWork, envelope: Envelope, payload: LookupRequested) -> None:
    """证照共享: the subject's valid licences, or ``found = False`` when it has none."""
    now = datetime.now(UTC)
    today = china_date(now)
    held = await uow.licences.active_held_by(payload.subject_id)
    newest = {licence.licence_type: licence for licence in held if licence.valid_on(today)}
    answer = LookupAnswered(
        request_id=payload.request_id, draft_id=payload.draft_id, registry=Registry.LICENCE,
        subject_id=payload.subject_id, found=bool(newest),
        licences={kind: licence.number for kind, licence in newest.items()},
        credentials=[json.loads(licence.credential) for licence in newest.values()], answered_at=now,
    )
    uow.send(Message(answer, topics=[SHARING_ANSWERS],
                     event_id=answer_event_id(payload.request_id, Registry.LICENCE)), subject=payload.draft_id)
