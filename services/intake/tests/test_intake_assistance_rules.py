"""R-21 free help-and-proxy (帮办代办) and R-22 the blacklist gate on the fast track (绿色通道)."""

from __future__ import annotations

import pytest

from exchange.messages import Text
from intake.domain.assistance import FREE_CIRCUMSTANCES, FastTrack, fast_track, proxy_terms

# elderly, weak, sick, disabled, pregnant, poor household; item not in the centre; upper/lower level.
R21_CIRCUMSTANCES = {
    "elderly": "老年人",
    "weak": "体弱",
    "sick": "患病",
    "disabled": "残疾人",
    "pregnant": "孕妇",
    "poor": "困难家庭",
    "not_in_centre": "事项未进驻政务服务中心",
    "multi_level": "涉及上下级审批",
}


def test_r21_the_free_circumstances_are_exactly_the_seeds() -> None:
    assert {code: text.zh for code, text in FREE_CIRCUMSTANCES.items()} == R21_CIRCUMSTANCES


@pytest.mark.parametrize(("circumstance", "label_zh"), sorted(R21_CIRCUMSTANCES.items()))
def test_r21_each_circumstance_makes_the_proxy_free(circumstance: str, label_zh: str) -> None:
    terms = proxy_terms([circumstance])
    assert terms.free
    assert label_zh in terms.reason_zh
    assert FREE_CIRCUMSTANCES[circumstance].en in terms.reason_en


def test_r21_several_circumstances_are_all_named() -> None:
    terms = proxy_terms(["elderly", "disabled"])
    assert terms.free
    assert "老年人" in terms.reason_zh
    assert "残疾人" in terms.reason_zh


@pytest.mark.parametrize("circumstances", [[], ["student"], ["busy", "far_away"]])
def test_r21_other_circumstances_are_not_free(circumstances: list[str]) -> None:
    terms = proxy_terms(circumstances)
    assert not terms.free
    assert "不属于免费帮办代办情形" in terms.reason_zh


def test_r21_an_unknown_circumstance_does_not_hide_a_free_one() -> None:
    assert proxy_terms(["student", "pregnant"]).free


def test_r22_blacklisted_applicant_gets_no_fast_track_and_is_told_why() -> None:
    track = fast_track(True, Text("提供虚假材料", "false materials"))
    assert not track.granted
    assert track.reason_zh is not None
    assert track.reason_en is not None
    assert "提供虚假材料" in track.reason_zh
    assert "终身不再享受绿色通道" in track.reason_zh
    assert "false materials" in track.reason_en


def test_r22_fast_track_not_requested_gives_no_note() -> None:
    assert fast_track(False, None) == FastTrack(False, None, None)
    assert fast_track(False, Text("提供虚假信息", "false information")) == FastTrack(False, None, None)


def test_r22_clean_applicant_is_granted_the_fast_track() -> None:
    assert fast_track(True, None) == FastTrack(True, None, None)
