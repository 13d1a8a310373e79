"""Operators can see into the running system (可观测性): ``/metrics`` with real values after a case, JSON log lines
with the trace, the case and the service, an access log, and API docs that need no internet.

One system (every process on PostgreSQL, a broker of its own, logs in the default format) runs one case; the tests
then read what it left.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from exchange.access.roles import Role
from exchange.trace_store import TRACES_FOLDER, case_spans
from onething.demo import run_demo
from onething.processes import PROCESSES
from onething.system import System, SystemConfig, drop_databases
from onething.trace import waterfall

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

FAST = {"ONETHING_KAFKA_SESSION_TIMEOUT_MS": "2000", "ONETHING_KAFKA_HEARTBEAT_INTERVAL_MS": "300"}
HEX32, HEX16 = re.compile(r"^[0-9a-f]{32}$"), re.compile(r"^[0-9a-f]{16}$")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]"
                       r"(?![0-9A-Za-z])")
Samples = dict[str, list[tuple[dict[str, str], float]]]


@pytest.fixture(scope="module")
def one_case(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, str]]:
    prefix = f"ot_obs_{uuid.uuid4().hex[:8]}_"
    system = System(SystemConfig(data_dir=tmp_path_factory.mktemp("observed"), kafka_bootstrap=None,
                                 database_url=postgres_url, database_prefix=prefix, free_ports=True, env=FAST))
    try:
        system.start()
        result = asyncio.run(run_demo(system.url("intake"), system.bootstrap, 1, seed=11, timeout_s=120, quiet=True,
                                      tokens=system.tokens))
        assert result.ok, f"deliveries={dict(result.deliveries)}"
        yield system, result.cases[0]
    finally:
        system.stop()
        asyncio.run(drop_databases(postgres_url, system.database_names()))


def scrape(system: System, name: str) -> Samples:
    answer = httpx.get(f"{system.url(name)}/metrics", timeout=10)  # no credentials: open like /healthz
    assert answer.status_code == 200, (name, answer.text[:300])
    assert answer.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        samples.setdefault(family.name, [])
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def total(samples: Samples, name: str, **labels: str) -> float:
    return sum(value for found, value in samples.get(name, []) if labels.items() <= found.items())


def test_metrics_of_every_process_carry_real_values_after_a_case(one_case: tuple[System, str]) -> None:
    system, _ = one_case
    scraped = {spec.name: scrape(system, spec.name) for spec in PROCESSES}
    for name, samples in scraped.items():
        for family in ("onething_http_requests", "onething_http_request_duration_seconds", "onething_consumer_events",
                       "onething_consumer_handler_duration_seconds", "onething_dead_letters",
                       "onething_outbox_pending_rows", "onething_consumer_lag_records", "process_start_time_seconds"):
            assert family in samples, f"{name} has no {family}"
        assert total(samples, "onething_http_requests_total", route="/readyz", status="200") > 0, name

    intake = scraped["intake"]
    assert total(intake, "onething_http_requests_total", method="POST", route="/cases", status="201") >= 1
    assert total(intake, "onething_http_request_duration_seconds_count", method="POST", route="/cases") >= 1
    assert not any("OT" in labels.get("route", "") for labels, _ in intake["onething_http_requests_total"]), \
        "routes are templates, never a path with a case id"
    for name in ("intake", "dispatch", "licence", "supervision", "rating", "simulators"):
        applied = total(scraped[name], "onething_consumer_events_total", outcome="applied")
        assert applied > 0, f"{name} applied nothing"
        assert total(scraped[name], "onething_consumer_handler_duration_seconds_count") >= applied, name
    assert total(scraped["dispatch"], "onething_consumer_events_total", group="dispatch",
                 event_type="intake.case.accepted", outcome="applied") == 1
    for name in ("intake", "dispatch", "licence", "supervision", "rating"):
        assert [value for _, value in scraped[name]["onething_outbox_pending_rows"]] != [], name  # sampled at scrape
        lags = scraped[name]["onething_consumer_lag_records"]
        assert lags and all(value >= 0 for _, value in lags), (name, lags)


def log_lines(system: System, name: str) -> list[dict[str, object]]:
    text = (system.data_dir / "logs" / f"{name}.log").read_text(errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, f"{name} logged nothing"
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"{name}: a log line that is not JSON: {line[:300]}")
    return parsed


def test_log_lines_are_json_with_service_trace_and_case(one_case: tuple[System, str]) -> None:
    system, case_id = one_case
    staff = system.tokens.staff(Role.OPERATOR)
    assert httpx.get(f"{system.url('intake')}/cases/{case_id}", auth=staff, timeout=10).status_code in (200, 403)
    for spec in PROCESSES:
        lines = log_lines(system, spec.name)
        for line in lines:
            assert {"time", "level", "service", "logger", "message"} <= line.keys(), line
            assert line["service"] == spec.name, line
    # The consumer side (the runner binds the case of the record it handles) is tests/exchange/test_exchange_observability.py:
    # at INFO no handler here writes a line per record.
    def reads_of_the_case() -> list[dict[str, object]]:
        return [line for line in log_lines(system, "intake") if line["logger"] == "onething.access"
                and line["route"] == "/cases/{case_id}" and line.get("case_id") == case_id]

    deadline = time.monotonic() + 10
    while not reads_of_the_case() and time.monotonic() < deadline:
        time.sleep(0.1)  # the access line is written once the response has gone out, so it can trail the answer
    assert reads_of_the_case(), "reading the case is logged with its case id (the route's {case_id})"
    access = [line for line in log_lines(system, "intake") if line["logger"] == "onething.access"]
    posted = [line for line in access if line["method"] == "POST" and line["route"] == "/cases"]
    assert posted and posted[0]["status"] == 201 and isinstance(posted[0]["duration_ms"], float), access[:3]
    assert HEX32.match(str(posted[0]["trace_id"])) and HEX16.match(str(posted[0]["span_id"]))
    assert not [line for line in access if line["route"] in ("/healthz", "/readyz", "/metrics")], \
        "probes and scrapes stay out of the access log at INFO"


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_load_only_local_assets(one_case: tuple[System, str], page: str) -> None:
    system, _ = one_case
    expected = {"js": "text/javascript", "css": "text/css", "png": "image/png"}
    with httpx.Client(timeout=10) as client:
        for spec in PROCESSES:
            base = system.url(spec.name)
            answer = client.get(f"{base}{page}")
            assert answer.status_code == 200, (spec.name, page)
            assert not re.search(r"https?://", answer.text), f"{spec.name}{page} names a remote URL"
            parser = _Assets()
            parser.feed(answer.text)
            assert any(url.endswith(".js") for url in parser.urls), parser.urls
            for url in parser.urls:
                assert url.startswith("/"), url
                asset = client.get(f"{base}{url}")
                assert asset.status_code == 200, url
                kind = expected[Path(url).suffix.lstrip(".")]
                assert asset.headers["content-type"].startswith(kind), (url, asset.headers["content-type"])
                assert len(asset.content) > 1000, url
            assert client.get(f"{base}/openapi.json").status_code == 200


def test_the_cases_trace_is_kept_locally_and_drawn_across_the_services(one_case: tuple[System, str]) -> None:
    """No OTLP endpoint here: each process keeps its spans under <data-dir>/traces, and `onething trace` draws the
    case's trace from them (the batch processor writes every few seconds: wait for the last processes and their last
    spans; on a machine busy with other tests a process's last batch may come after its first)."""
    system, case_id = one_case
    folder = system.config.data_dir / TRACES_FOLDER
    wanted = {"intake", "dispatch", "supervision", "rating", "licence", "simulators"}
    deadline = time.monotonic() + 90  # generous: seen short of the licence's spans after 30 s in a 17-minute make test
    while True:
        spans = case_spans(folder, case_id)
        services = {span.service for span in spans}
        if (wanted <= services and len(spans) >= 50) or time.monotonic() > deadline:
            break
        time.sleep(1)
    kept = sorted((p.name, p.stat().st_size) for p in folder.glob("*")) if folder.exists() else "no folder"
    assert wanted <= services, (services, case_id, kept)
    first = spans[0]  # the application's trace: from POST /cases to the delivery (later calls start their own)
    assert first.name.startswith("POST /cases") and first.service == "intake"
    # Most of the case runs in that one trace; a step redone by a periodic job (a department request sent again
    # when its receipt was slow, on a busy machine) runs in the job's own trace, which names the case too.
    assert {"intake", "dispatch", "supervision"} <= {span.service for span in spans if span.trace_id == first.trace_id}
    assert all(span.parent_id for span in spans if span.trace_id == first.trace_id and span is not first), \
        "a span of the application's trace that lost its parent"
    assert len(spans) >= 50
    kept = "".join(path.read_text(encoding="utf-8") for path in folder.glob("*.jsonl*"))
    assert not ID_NUMBER.search(kept), "a resident ID number in the kept spans"  # masked on the way out
    drawn = waterfall(spans)
    assert len(drawn) == len(spans) + 2 and drawn[-1].startswith(f"{len(spans)} spans, ")
