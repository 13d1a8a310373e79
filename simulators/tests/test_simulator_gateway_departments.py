"""The simulators leave the departments the HTTP gateway serves (ONETHING_GATEWAY_DEPARTMENTS) alone."""

from __future__ import annotations

import pytest

from simulators.config import SimulatorSettings


def test_departments_served_by_the_gateway_are_not_simulated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONETHING_GATEWAY_DEPARTMENTS", "police, tax=https://tax.example/onething")
    settings = SimulatorSettings()
    assert settings.gateway_departments == {"police": None, "tax": "https://tax.example/onething"}
    assert "police" not in settings.simulated_departments and "tax" not in settings.simulated_departments
    assert "health" in settings.simulated_departments


def test_a_json_map_works_too_and_an_unknown_code_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONETHING_GATEWAY_DEPARTMENTS", '{"police": null}')
    assert SimulatorSettings().gateway_departments == {"police": None}
    monkeypatch.setenv("ONETHING_GATEWAY_DEPARTMENTS", "polise")
    with pytest.raises(ValueError, match="polise"):
        SimulatorSettings()
