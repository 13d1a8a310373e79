"""A due date counted over a year whose holiday arrangement is not yet published (暂定): intake and supervision
count it alike, on the same calendar and the same jurisdiction's changes, and every view says it is provisional.

Intake on its HTTP edge and real PostgreSQL; its ``intake.case.accepted``, as staged in its outbox, handed to
supervision's case-stream handler on its own PostgreSQL database; both views then read as ``onething case``
prints them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from onething_catalogue.loader import load_catalogue

from contracts.days import china_today
from contracts.dispatch.v1 import TaskReleased
from contracts.envelope import Envelope
from contracts.intake.v1 import Applicant, CaseAccepted, CaseItem, Channel, DeliveryMethod
from contracts.registry import decode_payload
from contracts.workdays import PROVISIONAL_NOTE_EN, PROVISIONAL_ZH, WorkingCalendar, load_changes
from exchange.access.roles import Role
from exchange.db.database import Database
from exchange.testing.access import AuthorisedClient
from exchange.testing.calendars import published_until
from exchange.testing.case_stream import on_the_case_stream
from exchange.testing.outbox import outbox
from intake.adapters.catalogue_versions import SqlCatalogueVersions
from intake.config import IntakeSettings
from intake.domain.case import case_due
from intake.entrypoints.api import create_app as intake_app
from intake.entrypoints.consumers import handlers as intake_handlers
from intake.service_layer.case_stream import CaseStreamFolder
from intake.service_layer.catalogues import CatalogueStore
from onething.applicants import application_for
from onething.case import case_lines
from supervision.adapters.views import case_view
from supervision.config import SupervisionSettings
from supervision.entrypoints.api import create_app as supervision_app
from supervision.entrypoints.consumers import handlers
from supervision.service_layer.handlers import CaseStream
from supervision.service_layer.scan import ScanResult
from supervision.service_layer.today import Today


def test_intake_and_supervision_read_the_same_calendar_changes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    files = [tmp_path / "hunan.json", tmp_path / "changsha.json"]
    monkeypatch.setenv("ONETHING_CALENDAR_CHANGES", json.dumps([str(f) for f in files]))
    assert IntakeSettings().calendar_changes == SupervisionSettings().calendar_changes == files


async def _no_scan() -> ScanResult:
    raise AssertionError("not scanned here")


async def _supervise(database: Database, calendar: WorkingCalendar, envelope: Envelope) -> None:
    handler = handlers(CaseStream(calendar))[envelope.type]
    async with database.unit_of_work(cause=envelope) as uow:
        await handler(uow, envelope, decode_payload(envelope))


async def _fold(database: Database, store: CatalogueStore, calendar: WorkingCalendar, envelope: Envelope) -> None:
    handler = intake_handlers(CaseStreamFolder(store, calendar))[envelope.type]
    async with database.unit_of_work(cause=envelope) as uow:
        await handler(uow, envelope, decode_payload(envelope))


def _jurisdiction(tmp_path: Path, calendar: WorkingCalendar, accepted_on: date, limit: int) -> WorkingCalendar:
    """A jurisdiction's published change that moves the provisional due date: its day is a local day off."""
    changes = tmp_path / "local.json"
    changes.write_text(json.dumps({"name": "某市", "holidays": [calendar.add_working_days(accepted_on, limit).isoformat()]}),
                       encoding="utf-8")
    return load_changes(calendar, changes)


@pytest.mark.integration
async def test_intake_and_supervision_show_the_same_provisional_due_date(
        migrated_database: Callable[[str], Awaitable[Database]], tmp_path: Path, api_client: AuthorisedClient) -> None:
    intake_db, supervision_db = await migrated_database("intake"), await migrated_database("supervision")
    today = china_today()
    # The year of acceptance is not yet published on this calendar, whenever the test runs; P-01 takes 10 days.
    law = published_until(today.year - 1)
    calendar = _jurisdiction(tmp_path, law, today, 10)
    store = CatalogueStore(SqlCatalogueVersions(intake_db), load_catalogue())
    await store.record_current()

    async with api_client(intake_app(intake_db, store, calendar=calendar), Role.CLERK, base_url="http://intake"
                          ) as intake:
        notice = (await intake.get("/catalogue/P-01/notice")).json()
        body = application_for(notice, random.Random(7), 0)  # n=0: at window W01
        accepted = await intake.post("/cases", json=body)
        assert accepted.status_code == 201, accepted.text
        case_id = accepted.json()["case_id"]
        [row] = await outbox(intake_db, "intake.case.registered")  # what supervision reads of the case
        await _supervise(supervision_db, calendar, Envelope.model_validate(row.envelope))
        # Dispatch releases the birth certificate (5 working days): supervision starts its clock, intake derives it.
        released = Envelope.wrap(TaskReleased(
            case_id=case_id, task_id=f"{case_id}/P-01-01", item_code="P-01-01", department="health", attempt=1,
            time_limit_days=5, released_at=datetime.now(UTC)), source="dispatch", subject=case_id)
        await _supervise(supervision_db, calendar, released)
        await _fold(intake_db, store, calendar, released)
        case = (await intake.get(f"/cases/{case_id}")).json()

    async with api_client(supervision_app(supervision_db, calendar, Today(), _no_scan, clock_control=False),
                          Role.SUPERVISOR, base_url="http://supervision") as sup:
        view = (await sup.get(f"/cases/{case_id}/supervision")).json()
        clocks = (await sup.get(f"/cases/{case_id}/clocks")).json()
    assert [(c["item_code"], c["due_on_provisional"]) for c in clocks] == [("P-01-01", True)]


    # The same date, moved by the jurisdiction's change on both, and marked provisional on both.
    assert case["limit_days"] == view["case_clock"]["budget_days"] == 10
    assert case["due_on"] == view["case_clock"]["due_on"] == view["projection"]["due_on"]
    assert case["due_on"] == calendar.add_working_days(today, 10).isoformat() != law.add_working_days(today, 10).isoformat()
    assert case["due_on"] == notice["deadline"]["due_on_if_accepted_today"]
    assert case["due_on_provisional"] and view["case_clock"]["due_on_provisional"]
    assert view["projection"]["due_on_provisional"] and view["projection"]["completion_provisional"]
    assert notice["deadline"]["due_on_provisional"]
    assert case["calendar_note_en"] == view["calendar_note_en"] == PROVISIONAL_NOTE_EN
    assert case["calendar_note_zh"].startswith(PROVISIONAL_ZH)
    [item] = [i for i in case["items"] if i["item_code"] == "P-01-01"]
    [clock] = view["clocks"]
    assert item["due_on"] == clock["due_on"] == law.add_working_days(today, 5).isoformat()
    assert item["due_on_provisional"] and clock["due_on_provisional"]
    lines = case_lines({"case": case, "supervision": view})
    assert any(line.strip().startswith("P-01-01") and f"期限 {clock['due_on']}（{PROVISIONAL_ZH}）" in line
               for line in lines)
    assert f"承诺办结 {case['due_on']}（{PROVISIONAL_ZH}）" in lines[0]
    assert any(f"期限 {case['due_on']}（{PROVISIONAL_ZH}）" in line for line in lines if "case clock" in line)
    assert lines[-1].endswith(f"（{PROVISIONAL_NOTE_EN}）")
    assert not case["due_on_supervised"]  # supervision's case clock has not reached intake yet: the estimate

    # 电子监察 owns the case clock: once its start and an approved extension reach intake, intake shows its date.
    async with api_client(supervision_app(supervision_db, calendar, Today(), _no_scan, clock_control=False),
                          Role.SUPERVISOR, base_url="http://supervision") as sup:
        extended = await sup.post(f"/clocks/{view['case_clock']['clock_id']}/extensions",
                                  json={"days": 3, "reason_zh": "需现场核查"})
        assert extended.status_code == 201, extended.text
        view = (await sup.get(f"/cases/{case_id}/supervision")).json()
    case_clock = [r for r in await outbox(supervision_db, "supervision.clock.started")
                  if r.envelope["data"]["kind"] == "case"]
    for row in [*case_clock, *await outbox(supervision_db, "supervision.clock.adjusted")]:
        await _fold(intake_db, store, calendar, Envelope.model_validate(row.envelope))
    async with api_client(intake_app(intake_db, store, calendar=calendar), Role.CLERK, base_url="http://intake"
                          ) as intake:
        case = (await intake.get(f"/cases/{case_id}")).json()
    assert case["due_on_supervised"]
    assert case["due_on"] == view["case_clock"]["due_on"] == calendar.add_working_days(today, 13).isoformat()
    assert any("延长 3 个工作日" in t["text_zh"] for t in case["timeline"])


@pytest.mark.integration
async def test_a_case_crossing_into_an_unpublished_year_is_due_alike_on_both_sides(
        migrated_database: Callable[[str], Awaitable[Database]]) -> None:
    """Accepted on Friday 4 December 2026 with 20 working days, on the calendar as published in 2026: 19 are left in
    December and 1 January 2027 is New Year's Day by law, so both say Monday 4 January 2027, provisionally."""
    supervision_db = await migrated_database("supervision")
    calendar = published_until(2026)
    accepted_on = date(2026, 12, 4)
    payload = CaseAccepted(
        case_id="C-2027", bundle_code="E-01", bundle_name_zh="企业开办", bundle_name_en="Opening a business",
        catalogue_version="test", lead_department="market",
        applicant=Applicant(name="某公司", id_number="91110000100000000A", id_type="uscc"),
        channel=Channel.PORTAL, delivery_method=DeliveryMethod.WINDOW,
        items=(CaseItem(item_code="E-01-01", name_zh="设立登记", name_en="Registration", department="market",
                        time_limit_days=20),),
        form={}, accepted_at=datetime(2026, 12, 4, 2, 0, tzinfo=UTC), accepted_on=accepted_on, limit_days=20,
    )
    await _supervise(supervision_db, calendar, Envelope.wrap(on_the_case_stream(payload), source="intake",
                                                             subject=payload.case_id))

    intake_due = case_due(calendar, accepted_on, 20, paused_days=0)
    view: dict[str, Any] | None = await case_view(supervision_db, "C-2027", accepted_on, calendar)
    assert view is not None
    assert intake_due.on == view["case_clock"]["due_on"] == date(2027, 1, 4)
    assert intake_due.provisional and view["case_clock"]["due_on_provisional"]
    # Counted Monday to Friday with no holiday, as before, it was Friday 1 January.
    assert WorkingCalendar(published_years=frozenset(range(2000, 2100))).add_working_days(accepted_on, 20) == \
        date(2027, 1, 1)
