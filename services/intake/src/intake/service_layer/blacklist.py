"""失信黑名单 (R-22): a supervisor lists an applicant found to have given false materials or information; the first
listing stands for life (终身), and an acceptance consults it (no fast track, 绿色通道)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from exchange.db.service_work import Opener
from intake.domain.blacklist import Listing
from intake.service_layer.unit_of_work import IntakeUnitOfWork

__all__ = ["list_applicant"]


async def list_applicant(work: Opener[IntakeUnitOfWork], id_number: str, reason_zh: str, reason_en: str,
                         case_id: str | None, *, listed_by: str) -> Listing:
    """The applicant's listing: this one, or the first if they were listed already. A listing made at the same moment
    by another supervisor fails this transaction on the primary key when its listing is written (as it ends); a
    second one then reads the first."""
    try:
        async with work() as uow:
            if (found := await uow.blacklist.get(id_number)) is not None:
                return found
            listing = Listing(id_number, reason_zh, reason_en, case_id, listed_by, datetime.now(UTC))
            uow.blacklist.add(listing)
        return listing
    except IntegrityError:  # listed at the same moment by another supervisor: the first listing stands
        async with work() as uow:
            found = await uow.blacklist.get(id_number)
        assert found is not None
        return found
