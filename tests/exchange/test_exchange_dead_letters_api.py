"""The operator's dead-letter API (死信运维接口) as :func:`exchange.runtime.serve` mounts it, over a real consumer
runner, the real broker and PostgreSQL: list and filter, show, re-drive one and many, the counters on
``/healthz``, and who may ask; and ``onething dlq`` against it, served over HTTP as ``onething up`` would."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text

from contracts.rating.v1 import RatingSubmitted
from exchange.broker import free_port
from exchange.dead_letters import DeadLetterQuery, DeadLetterStore, Redriver
from exchange.dead_letters_api import RECORD_PARTS, mount_dead_letters, without_record
from exchange.errors import Rejected, Transient
from exchange.health import health_router
from exchange.http_identity import async_signing_hook
from exchange.kafka.consumer import ConsumerRunner
from exchange.signing import ensure_keys
from onething.catalogue import display_width
from onething.cli import main
from onething.system import STATE_FILE

pytestmark = pytest.mark.integration

RATING = RatingSubmitted.event_type


class Gate:
    """Refuses until opened (the cause fixed), then records one effect per application; fails transiently during
    an ``outage``."""

    def __init__(self) -> None:
        self.open = False
        self.outage = False

    async def __call__(self, uow, envelope, payload) -> None:
        if self.outage:
            raise Transient("database unavailable (数据库不可用)")
        if not self.open:
            raise Rejected("reference missing (参照数据缺失)")
        await uow.session.execute(text("INSERT INTO effect (event_id, case_id) VALUES (:e, :c)"),
                                  {"e": str(envelope.id), "c": envelope.subject})


@pytest.fixture
async def service(bus, keyring, keys_dir, plumbing_db, envelopes) -> AsyncIterator[dict]:
    """A service with one consumer that dead-lettered three records of case-a and one of case-b."""
    ensure_keys(keys_dir, ["ops.alice"], holder="tests")  # an operator matched by a pattern
    topic, group = bus.topic(), bus.group()
    await bus.create(topic)
    wires = [envelopes.wire(c) for c in ("case-a", "case-a", "case-a", "case-b")]
    for wire in wires:
        await bus.send(topic.name, wire["subject"], envelopes.encode(wire), [("event-type", RATING.encode())])
    gate = Gate()
    runner = ConsumerRunner(group=group, topics=[topic], settings=bus.settings(), keyring=keyring,
                            producer=bus.producer, database=plumbing_db, handlers={RATING: gate})
    store = DeadLetterStore(plumbing_db)

    async def four() -> bool:
        return (await store.find(DeadLetterQuery(), limit=1))[1] == 4

    app = FastAPI()
    mount_dead_letters(app, Redriver(store, [runner]), keyring, operators=["operator", "ops.*"])
    app.include_router(health_router("tests", {}, {"dead_letters": store.counts}))
    opened: list[httpx.AsyncClient] = []

    def client(principal: str | None = "operator") -> httpx.AsyncClient:
        hooks = [] if principal is None else [async_signing_hook(keyring.signer(principal), "死信运维")]
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service.test",
                                 event_hooks={"request": hooks})
        opened.append(http)
        return http

    async with bus.running(runner):
        await bus.wait_until(four, what="four dead letters")
        yield {"client": client, "gate": gate, "topic": topic, "group": group, "wires": wires, "db": plumbing_db,
               "app": app, "runner": runner}
    for http in opened:
        await http.aclose()


async def test_list_filter_and_show(service) -> None:
    http: httpx.AsyncClient = service["client"]()
    listed = (await http.get("/dead-letters")).json()
    assert listed["total"] == 4 and [i["case_id"] for i in listed["items"]] == ["case-b", "case-a", "case-a", "case-a"]
    first = listed["items"][-1]
    assert first["state"] == "pending" and first["error_type"] == "Rejected" and first["failure_class"] == "rejected"
    assert first["dead_letter_topic"] == f"{service['topic'].name}.dlq.{service['group']}"
    assert (await http.get("/dead-letters", params={"case_id": "case-a"})).json()["total"] == 3
    assert (await http.get("/dead-letters", params={"error_type": "Malformed"})).json()["total"] == 0
    assert (await http.get("/dead-letters", params={"topic": service["topic"].name, "group": service["group"],
                                                    "state": "pending"})).json()["total"] == 4
    since = first["failed_at"]
    assert (await http.get("/dead-letters", params={"since": since})).json()["total"] == 4
    assert (await http.get("/dead-letters", params={"until": since})).json()["total"] == 0
    page = (await http.get("/dead-letters", params={"limit": 1, "offset": 1})).json()
    assert page["total"] == 4 and len(page["items"]) == 1

    shown = (await http.get(f"/dead-letters/{first['id']}")).json()
    assert shown["envelope"]["id"] == service["wires"][0]["id"]
    assert shown["envelope"]["data"]["case_id"] == "case-a"
    assert "参照数据缺失" in shown["error_message"]
    assert shown["headers"] == [{"name": "event-type", "value": RATING}]
    assert shown["redriven_as"] is None

    assert (await http.get("/dead-letters/999999")).status_code == 404
    assert (await http.get("/dead-letters/99999999999999999999999")).status_code == 422
    assert (await http.get("/dead-letters", params={"since": "2026-12-04T10:00:00"})).status_code == 422  # no offset
    assert (await http.get("/dead-letters", params={"state": "lost"})).status_code == 422
    assert (await http.get("/dead-letters", params={"case_id": "case\x00a"})).status_code == 422
    assert (await http.post("/dead-letters/redrive", json={"topic": "t\x00"})).status_code == 422


async def test_redrive_one_then_many_and_the_counters(service) -> None:
    http: httpx.AsyncClient = service["client"]("ops.alice")
    dlq = f"{service['topic'].name}.dlq.{service['group']}"
    assert (await http.get("/healthz")).json()["dead_letters"] == {dlq: {"total": 4, "pending": 4}}
    items = (await http.get("/dead-letters", params={"case_id": "case-a"})).json()["items"]
    oldest = items[-1]["id"]

    again = (await http.post(f"/dead-letters/{oldest}/redrive")).json()  # the cause is not fixed yet
    assert again["outcome"] == "failed_again" and again["new_dead_letter_id"]
    refused = await http.post(f"/dead-letters/{oldest}/redrive")
    assert refused.status_code == 409 and str(again["new_dead_letter_id"]) in refused.json()["detail"]["message_zh"]
    assert (await http.get(f"/dead-letters/{oldest}")).json()["redriven_as"] == again["new_dead_letter_id"]

    service["gate"].open = True
    done = (await http.post(f"/dead-letters/{again['new_dead_letter_id']}/redrive")).json()
    assert done == {"id": again["new_dead_letter_id"], "outcome": "redriven", "new_dead_letter_id": None}
    many = (await http.post("/dead-letters/redrive", json={"case_id": "case-a"})).json()
    assert many["count"] == 2 and {r["outcome"] for r in many["results"]} == {"redriven"}
    assert (await http.post("/dead-letters/redrive", json={"case_id": "case-a"})).json()["count"] == 0
    assert (await http.post("/dead-letters/999999/redrive")).status_code == 404

    async with service["db"].engine.connect() as conn:
        effects = (await conn.execute(text("SELECT case_id, count(*) FROM effect GROUP BY case_id"))).all()
    assert dict(effects) == {"case-a": 3}  # each once; case-b untouched
    assert (await http.get("/healthz")).json()["dead_letters"] == {dlq: {"total": 5, "pending": 1}}


async def test_a_redrive_meeting_an_outage_records_nothing_and_one_while_the_loop_stops_runs(service) -> None:
    http: httpx.AsyncClient = service["client"]()
    oldest = (await http.get("/dead-letters")).json()["items"][-1]["id"]
    service["gate"].outage = True  # the handler's database is down: raised to the operator, not waited out
    answer = await http.post(f"/dead-letters/{oldest}/redrive")
    assert answer.status_code == 503 and "稍后再试" in answer.json()["detail"]["message_zh"]
    assert (await http.post("/dead-letters/redrive", json={})).status_code == 503
    assert (await http.get(f"/dead-letters/{oldest}")).json()["state"] == "pending"
    assert (await http.get("/dead-letters", params={"state": "pending"})).json()["total"] == 4  # nothing new

    service["gate"].outage, service["gate"].open = False, True
    service["runner"].stop()  # the consumption loop stops; an operator's re-drive is not part of it
    assert (await http.post(f"/dead-letters/{oldest}/redrive")).json()["outcome"] == "redriven"


@pytest.mark.parametrize(("principal", "status"), [(None, 401), ("tests", 403), ("dept.health", 403)])
async def test_only_operators_may_work_dead_letters(service, principal: str | None, status: int) -> None:
    client: Callable[[str | None], httpx.AsyncClient] = service["client"]
    http = client(principal)
    for answer in (await http.get("/dead-letters"), await http.get("/dead-letters/1"),
                   await http.post("/dead-letters/1/redrive"), await http.post("/dead-letters/redrive", json={})):
        assert answer.status_code == status, answer.text
    assert (await http.get("/healthz")).status_code == 200  # the counters are not personal data


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # pytest keeps its own signal handlers


@pytest.fixture
async def running(service, keys_dir: Path, tmp_path: Path, bus) -> AsyncIterator[Path]:
    """The service on a free port, named ``dispatch`` in the data dir's ``system.json``; the data dir."""
    port = free_port()
    server = _Server(uvicorn.Config(service["app"], host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    (tmp_path / "keys").symlink_to(keys_dir)
    (tmp_path / STATE_FILE).write_text(json.dumps({
        "kafka_bootstrap": bus.bootstrap, "pid": os.getpid(),
        "processes": {"dispatch": {"url": f"http://127.0.0.1:{port}", "pid": os.getpid()}},
    }))
    yield tmp_path
    server.should_exit = True
    await task


async def onething(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``onething ARGV`` in a worker thread (it is synchronous; the service answers on this loop)."""

    def run() -> int:
        with pytest.raises(SystemExit) as exit_:
            main(list(argv))
        return int(exit_.value.code or 0)

    code = await asyncio.to_thread(run)
    out, err = capsys.readouterr()
    return code, out, err


async def test_the_cli_lists_shows_and_redrives(service, running: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(running)]
    code, out, err = await onething(capsys, "dlq", "list", *data)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "死信 dead letters: 4"
    assert lines[1].startswith("编号 id") and "原因 reason" in lines[1]
    assert len(lines) == 6 and all("待重投 pending" in line for line in lines[2:])
    reason = lines[1].index("原因 reason")  # the columns line up, Chinese taking two columns each
    assert all(display_width(line[:line.index("reference missing")]) == display_width(lines[1][:reason]) for line in lines[2:])

    code, out, err = await onething(capsys, "dlq", "list", "--case", "case-a", "--json", *data)
    listed = json.loads(out)
    assert code == 0 and listed["total"] == 3 and {i["service"] for i in listed["items"]} == {"dispatch"}
    oldest = listed["items"][-1]["id"]

    code, out, err = await onething(capsys, "dlq", "show", str(oldest), *data)  # a bare id is found
    assert code == 0, err
    assert f"死信 dead letter dispatch/{oldest}  待重投 pending" in out
    assert "Rejected (rejected)" in out and "参照数据缺失" in out and service["wires"][0]["id"] in out

    code, out, err = await onething(capsys, "dlq", "redrive", f"dispatch/{oldest}", *data)
    assert code == 1  # not fixed yet: it failed again
    assert re.fullmatch(rf"dispatch/{oldest}  再次失败 failed_again → 新死信 new dead letter dispatch/\d+\n", out)
    newer = int(out.split("dispatch/")[-1])

    service["gate"].open = True  # the cause is fixed
    code, out, err = await onething(capsys, "dlq", "redrive", "--all", "--case", "case-a", *data)
    assert code == 0, err
    assert out.splitlines() == [f"dispatch/{i}  重投成功 redriven" for i in sorted(
        [i["id"] for i in listed["items"] if i["id"] != oldest] + [newer])] + ["重投 re-driven: 3"]
    code, out, err = await onething(capsys, "dlq", "redrive", str(newer), *data)
    assert (code, out) == (0, f"dispatch/{newer}  早已生效 already_applied\n")
    code, out, err = await onething(capsys, "dlq", "list", "--state", "pending", "--json", *data)
    assert [i["case_id"] for i in json.loads(out)["items"]] == ["case-b"]


async def test_the_cli_says_what_went_wrong(service, running: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(running)]
    code, _, err = await onething(capsys, "dlq", "show", "dispatch/999999", *data)
    assert code == 1 and "没有死信 999999 / no dead letter 999999" in err
    code, _, err = await onething(capsys, "dlq", "show", "999999", *data)
    assert code == 1 and "没有死信 no dead letter 999999" in err
    code, _, err = await onething(capsys, "dlq", "redrive", *data)
    assert code == 2 and "--all" in err
    code, _, err = await onething(capsys, "dlq", "redrive", "3", "--case", "case-a", *data)
    assert code == 2 and "--all" in err
    code, _, err = await onething(capsys, "dlq", "list", "--as", "tests", *data)
    assert code == 1 and "无权处理死信" in err
    code, _, err = await onething(capsys, "dlq", "list", "--service", "simulators", *data)
    assert code == 2 and "simulators" in err
    code, _, err = await onething(capsys, "dlq", "list", "--as", "nobody", *data)
    assert code == 2 and "无法签名 cannot sign" in err


def test_a_browser_token_reads_an_entry_without_its_record_and_personal_numbers_masked() -> None:
    """The ops room's operator token lists and re-drives; the record a dead letter keeps (a dossier of a restricted
    topic, say) stays with the signed consoles."""
    resident = "110101199003070011"
    shown = {"id": 7, "topic": "intake.case.dossier", "error_type": "Malformed", "state": "pending",
             "error_message": f"bad applicant {resident}", "headers": [{"name": "event-type", "value": "x"}],
             "value_text": f'{{"id_number": "{resident}"}}', "value_base64": None,
             "envelope": {"data": {"id_number": resident}}}
    kept = without_record(shown)
    assert set(RECORD_PARTS).isdisjoint(kept) and kept["record_withheld"] is True
    assert resident not in json.dumps(kept, ensure_ascii=False)
    assert kept["id"] == 7 and kept["error_type"] == "Malformed" and kept["state"] == "pending"
