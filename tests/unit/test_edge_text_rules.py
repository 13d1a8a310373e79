"""The text and number rules every edge applies (contracts.text): which characters each kind of text refuses."""

from __future__ import annotations

import json

import pytest

from contracts.text import INT64_MAX, INT64_MIN, json_problems, loads_checked, text_problem


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x85",
                                  "\x9f", "\ud800", "\udfff", "\ufdd0", "\ufdef", "\ufffe", "\uffff",
                                  "\U0001fffe", "\U0010ffff"])
def test_refused_everywhere(char: str) -> None:
    for multiline in (True, False):
        problem = text_problem(f"王{char}芳", "body.applicant.name", multiline=multiline)
        assert problem is not None and problem.path == "body.applicant.name"
        assert f"U+{ord(char):04X}" in problem.message_zh and f"U+{ord(char):04X}" in problem.message_en


@pytest.mark.parametrize("char", ["\t", "\n", "\r"])
def test_line_breaks_and_tabs_are_free_text_but_not_names(char: str) -> None:
    assert text_problem(f"第一行{char}第二行", "body.reason_zh", multiline=True) is None
    assert text_problem(f"OT1{char}", "path.case_id") is not None


def test_ordinary_text_passes() -> None:
    for value in ("王芳", "北京市东城区某街道1号 100010", "Zoë O'Brien", "𠀋𡈽", "\u00a0\u3000", "\ufffd", "😀"):
        assert text_problem(value, "x") is None


def test_a_json_document_is_walked_keys_values_and_numbers_with_their_places() -> None:
    document = json.loads('{"applicant": {"name": "a\\u0000"}, "items": ["ok", "b\\u0085"], "k\\u0001": 1,'
                          f' "big": {INT64_MAX + 1}, "small": {INT64_MIN - 1}, "edge": {INT64_MAX}, "nan": NaN,'
                          ' "inf": -Infinity, "flag": true, "ratio": 0.5}')
    found = [(p.path, p.type) for p in json_problems(document, "body")]
    assert found == [
        ("body.applicant.name", "control_character"), ("body.items.1", "control_character"),
        ("body.k\\u0001", "control_character"), ("body.big", "number_out_of_range"),
        ("body.small", "number_out_of_range"), ("body.nan", "number_out_of_range"),
        ("body.inf", "number_out_of_range"),
    ]


# Each document holds exactly one refused value, written the ways a sender might: escaped, raw, as a number.
_ONE_REFUSED = [
    '{"name": "a\\u0000"}', '{"name": "a\\u0085"}', '{"name": "a\u0085"}', '{"name": "\ufdd0"}',
    '{"name": "\\ud800"}', '{"name": "\U0001fffe"}', '{"name": "\U0010ffff"}', '{"name": "\x7f"}',
    '{"name": "\ufffe"}', '{"k\\n": 1}', '{"k\\t": 1}', f'{{"n": {INT64_MAX + 1}}}', f'{{"n": {INT64_MIN - 1}}}',
    '{"n": 1e400}', '{"n": -1E+309}', '{"n": NaN}', '{"n": Infinity}', '{"n": -Infinity}',
    '{"n": ' + "9" * 400 + ".0}", '{"list": [1, 2, 99999999999999999999]}',
]


@pytest.mark.parametrize("text", _ONE_REFUSED)
def test_parsing_with_the_check_finds_every_refused_value(text: str) -> None:
    """``loads_checked`` may skip the walk only when neither the text nor a number can hold a refusal."""
    value, problem = loads_checked(text.encode("utf-8", "surrogatepass"), "envelope")
    assert value == json.loads(text) or text.count("NaN")  # NaN != NaN
    assert problem is not None and problem.path.startswith("envelope.")


def test_a_plain_text_is_parsed_as_json_loads_does_and_holds_no_problem() -> None:
    text = ('{"name": "王芳", "address": "北京市东城区某街道1号", "n": 9223372036854775807, "f": 1.5e300,'
            ' "prev": "9e123f4e567a", "id": "110101199003070011", "nested": [{"k": "v"}, 0.25, -3, true, null],'
            ' "ascii": "~", "fullwidth": "，（）", "dot": "阿卜杜·热合曼", "emoji": "😀"}')
    assert loads_checked(text.encode(), "envelope") == (json.loads(text), None)


def test_a_plain_envelope_is_parsed_without_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path itself: no trigger byte and short numbers, so the decoded value is never walked."""
    import contracts.text

    def walked(*_: object) -> None:
        raise AssertionError("walked a text that cannot hold a refused value")

    monkeypatch.setattr(contracts.text, "json_problems", walked)
    text = ('{"id": "6f1c2a3e-1b2c-4d5e-8f90-123456789abc", "type": "dispatch.task.released", "version": 1,'
            ' "data": {"name_zh": "营业执照", "deadline": "2026-12-18", "share": 0.25, "seq": -1234},'
            ' "chain": {"prev": "9e123f4e567a"}, "signature": {"value": "AbCdE123fG+/xyz"}}')
    assert loads_checked(text.encode(), "envelope") == (json.loads(text), None)
