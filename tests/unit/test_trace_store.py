"""Spans kept on the machine (exchange.trace_store) and ``onething trace``'s waterfall: what a process writes is read
back by case, across processes and file rotation, and drawn with each span under its parent."""

from __future__ import annotations

from pathlib import Path

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, set_span_in_context

from exchange.trace_store import CASE_ATTRIBUTE, LocalSpanFile, case_spans, read_spans
from exchange.tracing import RedactingExporter
from onething.trace import trace_command, waterfall


def _process(folder: Path, service: str, max_bytes: int = 1 << 20) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporter = LocalSpanFile(folder / f"{service}.jsonl", max_bytes=max_bytes)
    provider.add_span_processor(SimpleSpanProcessor(RedactingExporter(exporter)))
    return provider


def test_a_cases_spans_are_found_in_every_process_and_nothing_of_other_cases(tmp_path: Path) -> None:
    intake, dispatch = _process(tmp_path, "intake"), _process(tmp_path, "dispatch")
    tracer = intake.get_tracer("t")
    with (tracer.start_as_current_span("POST /cases", kind=SpanKind.SERVER) as root,
          tracer.start_as_current_span("onething.case.stream process") as consumed):
        consumed.set_attribute(CASE_ATTRIBUTE, "OT1")
    # dispatch continues the trace from the envelope's traceparent
    with dispatch.get_tracer("t").start_as_current_span("onething.case.stream process",
                                                        context=set_span_in_context(root)) as other:
        other.set_attribute(CASE_ATTRIBUTE, "OT1")
        other.set_attribute("note", "申请人 110101199003070011")  # masked on the way out, as every exported span
    with dispatch.get_tracer("t").start_as_current_span("onething.case.stream process") as unrelated:
        unrelated.set_attribute(CASE_ATTRIBUTE, "OT2")

    spans = case_spans(tmp_path, "OT1")
    assert [(s.service, s.name) for s in spans] == [
        ("intake", "POST /cases"), ("intake", "onething.case.stream process"),
        ("dispatch", "onething.case.stream process")]
    assert len({s.trace_id for s in spans}) == 1
    assert "110101199003070011" not in (tmp_path / "dispatch.jsonl").read_text(encoding="utf-8")

    lines = waterfall(spans)
    assert lines[1].endswith("| POST /cases") and lines[2].endswith("|   onething.case.stream process")
    assert lines[-1].startswith("3 spans, 1 trace(s), 2 processes (dispatch, intake)")


def test_a_full_file_rolls_over_and_both_are_read_and_a_torn_line_is_passed_over(tmp_path: Path) -> None:
    provider = _process(tmp_path, "supervision", max_bytes=600)
    for n in range(6):
        with provider.get_tracer("t").start_as_current_span(f"span {n}") as span:
            span.set_attribute(CASE_ATTRIBUTE, "OT9")
    assert (tmp_path / "supervision.jsonl.1").exists()
    with (tmp_path / "supervision.jsonl").open("a", encoding="utf-8") as out:
        out.write('{"trace_id": "cut by a cra')
    with provider.get_tracer("t").start_as_current_span("span 6"):  # written after the torn line, whole
        pass
    names = [s.name for s in read_spans(tmp_path)]
    assert names == sorted(names) and len(names) >= 2 and names[-1] == "span 6"


def test_the_command_says_where_it_looked_when_nothing_is_kept(tmp_path: Path) -> None:
    assert trace_command(tmp_path, "OT1", as_json=False) == 2
    (tmp_path / "traces").mkdir()
    assert trace_command(tmp_path, "OT1", as_json=False) == 1


def test_chinese_text_is_kept_as_written_and_an_integer_past_64_bits_is_kept_too(tmp_path: Path) -> None:
    provider = _process(tmp_path, "rating")
    with provider.get_tracer("t").start_as_current_span("好差评 process") as span:
        span.set_attribute(CASE_ATTRIBUTE, "OT3")
        span.set_attribute("onething.big", 1 << 70)  # orjson refuses it; the line is written all the same
    text = (tmp_path / "rating.jsonl").read_text(encoding="utf-8")
    assert "好差评 process" in text and "\\u" not in text
    [stored] = read_spans(tmp_path)
    assert stored.name == "好差评 process" and stored.attributes["onething.big"] == 1 << 70
