"""Publishing rights (发布权限): every event type has exactly one rule, its rightful publisher may publish it and
every other principal is refused, with a reason that names who may."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.departments import DEPARTMENTS, department_principal
from contracts.examples import EXAMPLES
from contracts.publishing import PLATFORM_SERVICES, PUBLISHERS, PublisherKind, refusal
from contracts.registry import PAYLOADS
from contracts.sharing.v1 import BASE_REGISTRIES, Registry, registry_principal

EVENT_TYPES = sorted({p.event_type for p in PAYLOADS})
# Everyone who holds a key: each service, each department, each registry, the tests and an operator.
PRINCIPALS = sorted({*PLATFORM_SERVICES, "simulators", "tests", "operator",
                     *(department_principal(d.code) for d in DEPARTMENTS),
                     *(registry_principal(r) for r in BASE_REGISTRIES)})


def rightful(event_type: str) -> set[str]:
    data = EXAMPLES[event_type]
    return {p for p in PRINCIPALS if refusal(p, event_type, data) is None}


def test_every_registered_event_type_has_one_rule_and_every_rule_a_type() -> None:
    assert sorted(PUBLISHERS) == EVENT_TYPES


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_only_the_rightful_publisher_may_publish(event_type: str) -> None:
    allowed = rightful(event_type)
    rule = PUBLISHERS[event_type]
    if event_type == "exchange.security.refused":
        assert allowed == set(PLATFORM_SERVICES)
    elif rule.kind is PublisherKind.SERVICE:
        assert allowed == {event_type.split(".")[0] if not event_type.startswith("sharing.") else "intake"}
    elif rule.kind is PublisherKind.DEPARTMENT:
        assert allowed == {department_principal(EXAMPLES[event_type]["department"])}
    else:
        assert allowed == {registry_principal(Registry(EXAMPLES[event_type]["registry"]))}
    for wrong in sorted(set(PRINCIPALS) - allowed):
        reason = refusal(wrong, event_type, EXAMPLES[event_type])
        assert reason is not None and repr(wrong) in reason and "only" in reason


def test_a_department_answers_only_for_itself() -> None:
    answer = {**EXAMPLES["department.result.returned"], "department": "police"}
    assert refusal("dept.police", "department.result.returned", answer) is None
    assert refusal("dept.civil", "department.result.returned", answer) == (
        "'dept.civil' may not publish department.result.returned: only dept.police may")
    assert refusal("dept.police", "department.result.returned", {**answer, "department": ""}) is not None
    assert refusal("dept.police", "department.result.returned", {k: v for k, v in answer.items()
                                                                  if k != "department"}) is not None


def test_the_e_licence_archive_answers_as_licence_and_each_registry_for_itself() -> None:
    answer = EXAMPLES["sharing.lookup.answered"]
    assert refusal("licence", "sharing.lookup.answered", {**answer, "registry": "licence"}) is None
    assert refusal("registry.population", "sharing.lookup.answered", {**answer, "registry": "population"}) is None
    assert refusal("registry.population", "sharing.lookup.answered", {**answer, "registry": "enterprise"}) is not None
    assert refusal("registry.population", "sharing.lookup.answered", {**answer, "registry": "nowhere"}) is not None


def test_an_unknown_event_type_may_be_published_by_no_one() -> None:
    assert refusal("intake", "intake.case.teleported", {}) is not None


def test_the_security_document_lists_every_rule_as_the_code_has_it() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    for event_type, rule in PUBLISHERS.items():
        assert f"| `{event_type}` | {rule.describe()} |" in doc, event_type
