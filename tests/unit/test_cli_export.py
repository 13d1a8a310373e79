"""``onething export`` on the real broker: every record of a topic becomes one row, its payload's personal numbers
masked and its signature judged; JSON lines and Parquet read back the same; topics with personal data are refused."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from aiokafka import AIOKafkaProducer

from contracts.envelope import Envelope
from contracts.intake.v1 import CaseNotified, Channel
from contracts.topics import TopicSpec
from exchange.kafka.admin import ensure_topics
from exchange.signing import KeyRing
from onething.export import COLUMNS, export_command, topic_rows, write_rows

pytestmark = pytest.mark.integration


async def _topic_with_three_records(bootstrap: str, keyring: KeyRing) -> str:
    name = f"test.export.{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [TopicSpec(name=name, key="case_id", description_zh="测试主题",
                                              description_en="test topic", event_types=(), partitions=2)], 2)
    signer = keyring.signer("tests")
    wires = [signer.sign_envelope(Envelope.wrap(
        CaseNotified(case_id=f"OT{n}", channel=Channel.WINDOW, text_zh=f"请联系 13812345678（身份证 110101199003070011）{n}",
                     text_en="ready"), source="tests", subject=f"OT{n}").to_wire()) for n in range(2)]
    wires[1]["data"]["channel"] = "portal"  # changed after signing
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n, wire in enumerate(wires):
            await producer.send_and_wait(name, json.dumps(wire, ensure_ascii=False).encode(), partition=n % 2)
        await producer.send_and_wait(name, b"not an envelope", partition=0)
    finally:
        await producer.stop()
    return name


async def test_every_record_is_a_row_masked_and_judged_and_both_formats_read_back(
    kafka_bootstrap: str, keyring: KeyRing, tmp_path: Path
) -> None:
    topic = await _topic_with_three_records(kafka_bootstrap, keyring)
    rows = await topic_rows(kafka_bootstrap, topic, keyring)
    assert sorted(r["verdict"] for r in rows) == ["SIGNATURE-BAD", "signed-ok", "undecodable"]
    for row in rows:
        assert tuple(row) == COLUMNS
    good = next(r for r in rows if r["verdict"] == "signed-ok")
    assert good["type"] == "intake.case.notified" and good["case_id"] == "OT0" and good["source"] == "tests"
    text = good["data"]["text_zh"]
    assert "13812345678" not in text and "110101199003070011" not in text and "0011" in text

    write_rows(rows, tmp_path / "events.jsonl", "jsonl")
    lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines == rows
    write_rows(rows, tmp_path / "events.parquet", "parquet")
    table = pq.read_table(tmp_path / "events.parquet")
    assert table.column_names == list(COLUMNS) and table.num_rows == 3
    stored = {r["offset"] * 10 + r["partition"]: r for r in table.to_pylist()}
    assert all(json.loads(s["data"]) == r["data"] for r in rows if r["data"] is not None
               for s in [stored[r["offset"] * 10 + r["partition"]]])
    assert "110101199003070011" not in (tmp_path / "events.parquet").read_bytes().decode("latin-1")


@pytest.mark.parametrize("topic", ["onething.case.dossier", "exchange.dept.tax.requests",
                                   "onething.case.dossier.dlq.dispatch", "a.topic.nobody.registered"])
def test_topics_that_carry_personal_data_or_are_unknown_are_not_exported(topic: str, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert export_command("127.0.0.1:1", topic, tmp_path / "out.jsonl", "jsonl", None) == 2
    assert "受限主题不导出" in capsys.readouterr().err and not (tmp_path / "out.jsonl").exists()
