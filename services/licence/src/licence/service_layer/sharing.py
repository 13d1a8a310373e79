"""The licence service as the e-licence archive (电子证照库) of data sharing: which licences a holder has.

Answers every data-sharing lookup (共享查询) with the holder's licences, licence type → licence number,
through the outbox, so the answer is signed and chained by the licence service's own key.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from contracts.envelope import Envelope, EventPayload
from contracts.sharing.v1 import LookupAnswered, LookupRequested, Registry, answer_event_id
from contracts.topics import SHARING_ANSWERS
from exchange.db.unit_of_work import UnitOfWork
from licence.adapters.tables import LicenceRow

__all__ = ["lookup_requested"]


async def lookup_requested(uow: UnitOfWork, envelope: Envelope, payload: EventPayload) -> None:
    """证照共享: the subject's licences (the newest of each type), or ``found = False`` when it has none."""
    assert isinstance(payload, LookupRequested)
    rows = (
        await uow.session.exec(
            select(LicenceRow)
            .where(col(LicenceRow.holder_id) == payload.subject_id)
            .order_by(col(LicenceRow.issued_at), col(LicenceRow.licence_id))
        )
    ).all()
    licences = {row.licence_type: row.number for row in rows}  # later rows win: the newest per type
    answer = LookupAnswered(
        request_id=payload.request_id, draft_id=payload.draft_id, registry=Registry.LICENCE,
        subject_id=payload.subject_id, found=bool(licences), licences=licences, answered_at=datetime.now(UTC),
    )
    uow.emit(answer, subject=payload.draft_id, topics=[SHARING_ANSWERS], key=payload.draft_id,
             event_id=answer_event_id(payload.request_id, Registry.LICENCE))
