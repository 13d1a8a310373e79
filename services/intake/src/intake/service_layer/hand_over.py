"""出件 at the window: the clerk records that the delivered results were handed over, once, to the applicant or
their proxy (帮办代办人). Intake delivers a case once (一次送达); for results collected at the window this is the
moment they leave it, on the case's timeline."""

from __future__ import annotations

from typing import Literal

from exchange.messages import Text
from intake.domain.errors import ApplicationInvalid, CaseNotFound, FieldProblem
from intake.domain.messages import MESSAGES
from intake.domain.model import HANDED_OVER
from intake.service_layer.unit_of_work import IntakeUnitOfWork

__all__ = ["Collector", "hand_over"]

Collector = Literal["applicant", "proxy"]


async def hand_over(uow: IntakeUnitOfWork, case_id: str, collector: Collector, proxy_name: str | None,
                    window_id: str | None, staff_id: str | None) -> bool:
    """Record the hand-over; False when it was recorded already (a repeat, e.g. a second click: no second entry).
    ``proxy_name``: the case's proxy, if it has one (the proxy may collect only then)."""
    case = await uow.cases.get_for_update(case_id)  # locked: two clerks' hand-overs of one case run one by one
    if case is None:
        raise CaseNotFound(case_id)
    if collector == "proxy" and not proxy_name:
        raise ApplicationInvalid([FieldProblem.said("collector", "no_proxy", MESSAGES.text("no_proxy_to_collect"))])
    if await uow.cases.noted(case_id, HANDED_OVER):
        return False
    who = (MESSAGES.text("collector_proxy", name=Text(proxy_name or "", proxy_name or "")) if collector == "proxy"
           else MESSAGES.text("collector_applicant"))
    case.hand_over(who, window_id, staff_id)
    return True
