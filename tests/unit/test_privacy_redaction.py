"""Personal data is masked in what a service writes about its failures (个人信息脱敏): ID numbers, mobile and bank
card numbers, and the values a validation error quotes; case ids, event ids, offsets and times are left alone."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from exchange import privacy
from exchange.privacy import RedactingFormatter, install_log_redaction, redact

ID = "43010419900101123X"


@pytest.mark.parametrize(("text", "masked"), [
    (f"applicant {ID} refused", "applicant 430104********123X refused"),
    ("11010519491231002x", "110105********002x"),
    ("call 13800138000 now", "call 138****8000 now"),
    ("account 6222021234567890123", "account ***************0123"),
    ("card 6222 0212", "card 6222 0212"),
])
def test_personal_numbers_are_masked(text: str, masked: str) -> None:
    assert redact(text) == masked


def _every_pattern(text: str) -> str:
    """:func:`redact` without its first look (whether any pattern can match at all)."""
    text = privacy._INPUT_VALUE.sub("input_value=<hidden>", text)
    text = privacy._ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(0)[-4:]}", text)
    text = privacy._PHONE.sub(r"\1****\2", text)
    return privacy._BANK_CARD.sub(lambda m: "*" * (len(m.group(0)) - 4) + m.group(1), text)


_PIECES = st.sampled_from(["1", "3", "8", "0", "9", "X", "x", "-", ".", ":", " ", "a", "１", "input_value=", "'",
                           ID, "13800138000", "6222021234567890123", "张"])


@given(st.lists(_PIECES, max_size=40).map("".join))
def test_the_first_look_never_lets_a_number_through(text: str) -> None:
    assert redact(text) == _every_pattern(text)


@pytest.mark.parametrize("kept", [
    "case OT2026120422E49A58F625 item P-01-03",
    "event 6f1c2b0e-8d5a-4c1e-9a57-3f2d4b6c8e90 at onething.case.stream[3]@1234567890123",
    "2026-12-05T00:27:06.937742+00:00 took 1733360826937 ms",
    "seq 33659 digest 8d3a23fecfdb14b8d2c5053a8e0a45875e08492f94207162ff65aa10bba9f344",
])
def test_what_is_not_personal_is_left_alone(kept: str) -> None:
    assert redact(kept) == kept


def test_a_validation_errors_quoted_values_are_left_out() -> None:
    class Applicant(BaseModel):
        name: int
        id_number: int

    with pytest.raises(ValidationError) as caught:
        Applicant.model_validate({"name": "张三", "id_number": ID})
    text = redact(str(caught.value))
    assert "张三" not in text and ID not in text and "input_value=<hidden>" in text and "name" in text


def test_every_log_record_and_traceback_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    log = logging.getLogger("tests.privacy")
    with caplog.at_level(logging.INFO):
        log.warning("handler failed for %s (phone %s)", ID, "13800138000")
        try:
            raise ValueError(f"bad applicant {ID}")
        except ValueError:
            log.exception("dead-lettered")
    assert caplog.records[0].getMessage() == "handler failed for 430104********123X (phone 138****8000)"
    formatted = RedactingFormatter("%(message)s").format(caplog.records[1])
    assert "ValueError: bad applicant 430104********123X" in formatted and ID not in formatted


def test_spans_leave_the_process_with_personal_numbers_masked() -> None:
    """个人信息不出链路追踪: FastAPI's own spans carry the raw path (``/holders/<ID number>/licences``) and a recorded
    exception its message; what the exporter is handed has them masked, the rest as it was."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Status, StatusCode

    from exchange.tracing import RedactingExporter

    exported = InMemorySpanExporter()
    provider = TracerProvider()  # its own provider, not the process's: nothing global is touched
    provider.add_span_processor(SimpleSpanProcessor(RedactingExporter(exported)))
    holder = "431002199012153528"
    with provider.get_tracer("test").start_as_current_span(f"GET /holders/{holder}/licences") as span:
        span.set_attribute("url.path", f"/holders/{holder}/licences")
        span.set_attribute("http.response.status_code", 200)
        span.set_attribute("onething.phones", ["13800138000", "x"])
        span.record_exception(ValueError(f"no licences for {holder}"))
        span.set_status(Status(StatusCode.ERROR, f"holder {holder}"))
    [sent] = exported.get_finished_spans()
    text = repr((sent.name, dict(sent.attributes or {}), [(e.name, dict(e.attributes or {})) for e in sent.events],
                 sent.status.description))
    assert holder not in text and "13800138000" not in text, text
    assert sent.attributes is not None and sent.attributes["url.path"] == "/holders/431002********3528/licences"
    assert sent.attributes["http.response.status_code"] == 200 and sent.status.status_code is StatusCode.ERROR
    assert sent.context.trace_id == span.get_span_context().trace_id
