"""The message catalogues (exchange.messages): both languages name the same placeholders, and every service's
catalogue builds (a placeholder missing from one language fails at import, here)."""

from __future__ import annotations

import importlib

import pytest

from exchange.messages import Messages, Text


def test_a_text_comes_in_both_languages_with_its_values() -> None:
    messages = Messages({"corrected": ("第 {round} 轮补正已收到", "Correction round {round} received")})
    assert messages.text("corrected", round=2) == Text("第 2 轮补正已收到", "Correction round 2 received")
    with pytest.raises(KeyError):
        messages.text("unknown")
    with pytest.raises(KeyError):
        messages.text("corrected")  # a value left out


def test_a_value_in_both_languages_gives_each_its_own_side() -> None:
    messages = Messages({"sent": ("已推送{department}办理", "sent to {department}")})
    assert messages.text("sent", department=Text("公安局", "the police")) == Text("已推送公安局办理", "sent to the police")


def test_a_placeholder_missing_from_one_language_is_refused_when_the_catalogue_is_built() -> None:
    with pytest.raises(ValueError, match="'corrected'"):
        Messages({"corrected": ("第 {round} 轮补正已收到", "Correction received")})


@pytest.mark.parametrize("service", ["intake", "dispatch", "licence", "supervision", "rating", "gateway"])
def test_every_service_keeps_its_texts_in_one_catalogue(service: str) -> None:
    module = importlib.import_module(f"{service}.domain.messages")
    assert isinstance(module.MESSAGES, Messages) and module.MESSAGES.keys()
