"""Data-sharing lookups (数据共享查询) against the base registries and the e-licence archive, version 1.

Intake asks only after the applicant's recorded authorisation (R-12); the request carries the
authorisation's id so every answer can be traced to it. Each registry answers for the subjects it
holds, signed with its own key (``registry.population``, ``registry.enterprise``, ``licence``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AwareDatetime, Field

from contracts.envelope import EventPayload

__all__ = [
    "BASE_REGISTRIES",
    "REGISTRY_NAMES",
    "LookupAnswered",
    "LookupRequested",
    "Registry",
    "SubjectKind",
    "answer_event_id",
    "principal_registry",
    "registry_principal",
    "serves",
]


class SubjectKind(StrEnum):
    PERSON = "person"  # 公民身份号码
    ORGANISATION = "organisation"  # 统一社会信用代码


class Registry(StrEnum):
    """Who answers (基础库与证照库)."""

    # Names as applicants read them: REGISTRY_NAMES.
    POPULATION = "population"
    ENTERPRISE = "enterprise"
    LICENCE = "licence"


BASE_REGISTRIES = (Registry.POPULATION, Registry.ENTERPRISE)

# What applicants and staff read: Chinese first, English beside.
REGISTRY_NAMES: dict[Registry, tuple[str, str]] = {
    Registry.POPULATION: ("人口基础信息库", "population base registry"),
    Registry.ENTERPRISE: ("法人基础信息库", "legal-person base registry"),
    Registry.LICENCE: ("电子证照库", "e-licence archive"),
}


def registry_principal(registry: Registry) -> str:
    """The key id a base registry signs its answers with; the e-licence archive signs as ``licence``."""
    return "licence" if registry is Registry.LICENCE else f"registry.{registry.value}"


def principal_registry(principal: str) -> Registry | None:
    """The registry a principal speaks for (the inverse of :func:`registry_principal`); None for any other."""
    return next((r for r in Registry if registry_principal(r) == principal), None)


def serves(registry: Registry, kind: SubjectKind) -> bool:
    """Population answers for persons, enterprise for organisations, the licence archive for both."""
    return registry is Registry.LICENCE or (registry is Registry.POPULATION) == (kind is SubjectKind.PERSON)


def answer_event_id(request_id: UUID, registry: Registry) -> UUID:
    """One answer per (lookup request, registry): a redelivered request is deduplicated downstream."""
    return uuid5(NAMESPACE_URL, f"onething:lookup:{request_id}:{registry.value}")


class LookupRequested(EventPayload):
    """Pre-fill lookup for one applicant, authorised by the applicant (授权调取)."""

    event_type: ClassVar[str] = "sharing.lookup.requested"

    request_id: UUID
    draft_id: str
    subject_kind: SubjectKind
    subject_id: str
    authorisation_id: str
    purpose_zh: str
    requested_at: AwareDatetime


class LookupAnswered(EventPayload):
    """One registry's answer: the subject's record (attribute → value), or ``found = False``.

    The e-licence archive answers with ``licences``: licence type → licence number, and ``credentials``:
    the signed credentials of those licences, each valid (active, in its validity period) when answered.
    """

    event_type: ClassVar[str] = "sharing.lookup.answered"

    request_id: UUID
    draft_id: str
    registry: Registry
    subject_id: str
    found: bool
    record: dict[str, str] = Field(default_factory=dict)
    licences: dict[str, str] = Field(default_factory=dict)
    credentials: list[dict[str, Any]] = Field(default_factory=list)
    answered_at: AwareDatetime
