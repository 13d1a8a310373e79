"""Publishing rights (发布权限): which principal may publish each event type.

A valid signature proves who published an envelope (its ``source``); this table says whether that
principal may publish that fact at all. Without it, any key holder could mint any event: a department's key
could conclude another department's task, or a registry could issue a licence. Every consumer (the consumer
runner and the stream processors of ``exchange``) checks each record against it after the signature and before
any handler runs; a record that breaks it is dead-lettered with the reason ``security`` and reported on
:data:`contracts.topics.SECURITY_EVENTS`.

Three kinds of publisher:

* a platform service, by name (``intake``, ``dispatch``, ``licence``, ``supervision``, ``rating``);
* the department the payload names (``department`` field): ``dept.<code>`` may answer only for itself;
* the registry the payload names (``registry`` field): a base registry (``registry.<name>``), or ``licence`` for
  the e-licence archive (:func:`contracts.sharing.v1.registry_principal`).

Pure and I/O-free; the AsyncAPI document shows the publisher of every message (``x-publisher``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from contracts.departments import department_principal
from contracts.sharing.v1 import Registry, registry_principal

__all__ = ["PLATFORM_SERVICES", "PUBLISHERS", "Publisher", "PublisherKind", "publisher_of", "refusal"]


class PublisherKind(StrEnum):
    SERVICE = "service"  # 平台服务
    DEPARTMENT = "department"  # 载荷所指的部门
    REGISTRY = "registry"  # 载荷所指的基础库或电子证照库


# The platform's own services: any of them reports what its consumers refused (exchange.security.refused).
PLATFORM_SERVICES = ("intake", "dispatch", "licence", "supervision", "rating", "gateway")


@dataclass(frozen=True, slots=True)
class Publisher:
    kind: PublisherKind
    services: tuple[str, ...] = ()  # SERVICE: the principals that may publish

    def describe(self) -> str:
        """For people and the AsyncAPI document."""
        if self.kind is PublisherKind.SERVICE:
            return " or ".join(self.services)
        if self.kind is PublisherKind.DEPARTMENT:
            return "dept.<data.department>: the department the payload names, and only it"
        return "the registry the payload names (data.registry): registry.<name>, or licence for the e-licence archive"

    def allowed(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        """The principals that may publish an envelope with this ``data``; none if the data names nobody."""
        if self.kind is PublisherKind.SERVICE:
            return self.services
        if self.kind is PublisherKind.DEPARTMENT:
            department = data.get("department")
            return (department_principal(department),) if isinstance(department, str) and department else ()
        try:
            return (registry_principal(Registry(str(data.get("registry")))),)
        except ValueError:
            return ()


def _service(name: str, *event_types: str) -> dict[str, Publisher]:
    return dict.fromkeys(event_types, Publisher(PublisherKind.SERVICE, (name,)))


PUBLISHERS: dict[str, Publisher] = {
    **_service("intake", "intake.case.accepted", "intake.case.corrected", "intake.case.registered",
               "intake.case.correction_filed", "intake.case.delivered",
               "intake.case.notified", "sharing.lookup.requested"),
    **_service("dispatch", "dispatch.task.released", "dispatch.request.sent", "dispatch.request.undeliverable",
               "dispatch.task.concluded", "dispatch.review.requested", "dispatch.review.concluded",
               "dispatch.finding.beyond_list", "dispatch.answer.refused", "dispatch.licence.requested"),
    **dict.fromkeys(("department.request.received", "department.result.returned", "department.review.returned"),
                    Publisher(PublisherKind.DEPARTMENT)),
    "sharing.lookup.answered": Publisher(PublisherKind.REGISTRY),
    **_service("gateway", "gateway.callback.parked"),
    **_service("licence", "licence.licence.issued", "licence.case.licence_issued", "licence.licence.status_changed"),
    **_service("supervision", "supervision.clock.started", "supervision.clock.adjusted", "supervision.clock.stopped",
               "supervision.card.issued", "supervision.order.issued", "supervision.repeat.flagged",
               "supervision.figures.published"),
    "exchange.security.refused": Publisher(PublisherKind.SERVICE, PLATFORM_SERVICES),
    **_service("rating", "rating.invitation.sent", "rating.rating.submitted", "rating.rectification.opened",
               "rating.rectification.reported", "rating.rectification.called_back", "rating.rectification.closed",
               "rating.appeal.filed", "rating.appeal.decided", "rating.figures.updated"),
}


def publisher_of(event_type: str) -> Publisher | None:
    return PUBLISHERS.get(event_type)


def refusal(source: str, event_type: str, data: Mapping[str, Any]) -> str | None:
    """Why ``source`` may not publish this event, or None when it may. Plain text without personal data (it
    goes into dead-letter headers and the security event)."""
    publisher = PUBLISHERS.get(event_type)
    if publisher is None:
        return f"no principal may publish {event_type!r}: it is not in the publishing rights table"
    allowed = publisher.allowed(data)
    if not allowed:
        return f"{event_type} names no {publisher.kind.value} that may publish it"
    if source not in allowed:
        return f"{source!r} may not publish {event_type}: only {' or '.join(allowed)} may"
    return None
