"""Rating use cases: learn which cases were delivered; accept the one rating of a delivered case."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, uuid5

from contracts.envelope import Envelope, EventPayload
from contracts.intake.v1 import CaseDelivered
from contracts.rating.v1 import RatingSubmitted
from exchange.db.unit_of_work import UnitOfWork
from rating.adapters.tables import RatingDeliveredCase, RatingRow
from rating.domain.errors import AlreadyRated, NotDelivered
from rating.domain.rules import RatingInput, rating_id_for

__all__ = ["case_delivered", "submit_rating"]

logger = logging.getLogger(__name__)


async def case_delivered(uow: UnitOfWork, envelope: Envelope, payload: EventPayload) -> None:
    """一次送达: the case may be rated from now on."""
    assert isinstance(payload, CaseDelivered)
    if await uow.session.get(RatingDeliveredCase, payload.case_id) is not None:
        logger.info("case %s already known as delivered", payload.case_id)
        return
    uow.session.add(RatingDeliveredCase(case_id=payload.case_id, delivered_at=payload.delivered_at))


async def submit_rating(uow: UnitOfWork, rating: RatingInput) -> RatingRow:
    """办完即评, 一事一评: store the rating of a delivered case and announce it.

    Raises :class:`NotDelivered` or :class:`AlreadyRated`. Two racing submissions both pass the
    check; the second then fails on the primary key at commit (the caller answers it as 409).
    """
    if await uow.session.get(RatingDeliveredCase, rating.case_id) is None:
        raise NotDelivered(rating.case_id)
    rating_id = rating_id_for(rating.case_id)
    if await uow.session.get(RatingRow, rating_id) is not None:
        raise AlreadyRated(rating.case_id)
    row = RatingRow(
        rating_id=rating_id, case_id=rating.case_id, level=rating.level.value, tags=list(rating.tags),
        comment=rating.comment, submitted_at=datetime.now(UTC),
    )
    uow.session.add(row)
    uow.emit(
        RatingSubmitted(
            rating_id=rating_id, case_id=row.case_id, level=rating.level, tags=tuple(row.tags),
            submitted_at=row.submitted_at,
        ),
        subject=row.case_id,
        event_id=uuid5(NAMESPACE_URL, f"onething:rating-submitted:{rating_id}"),
    )
    return row
