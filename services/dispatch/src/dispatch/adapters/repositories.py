"""Dispatch's repositories (仓储): cases and department requests, loaded from their tables as aggregates and written
back. The only SQL of dispatch's write side; rows never leave this module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from contracts.department.v1 import RequestKind
from contracts.dispatch.v1 import Deficiency
from contracts.intake.v1 import Applicant, MaterialRef
from dispatch.adapters.tables import DispatchCase, DispatchRequest, DispatchTask
from dispatch.domain.deadlines import RequestState
from dispatch.domain.model import Case, Task
from dispatch.domain.requests import DepartmentRequest
from dispatch.domain.review import Phase, ReviewStatus
from dispatch.domain.sequencing import TaskStatus
from exchange.db.identity import Loaded
from exchange.db.unit_of_work import UnitOfWork

__all__ = ["SqlCases", "SqlRequests"]


@dataclass
class _CaseRows:
    row: DispatchCase
    tasks: dict[str, DispatchTask]  # by item code


class SqlCases:
    """Cases with their tasks, one transaction's worth."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._loaded: Loaded[Case, _CaseRows] = Loaded()

    async def exists(self, case_id: str) -> bool:
        return await self._uow.session.get(DispatchCase, case_id) is not None

    async def get_for_update(self, case_id: str) -> Case | None:
        """The case, locked until the transaction ends: answers and corrections of one case arrive on different
        topics, possibly at once."""
        if (case := self._loaded.get(case_id)) is not None:
            return case
        row = await self._uow.get_for_update(DispatchCase, case_id)
        if row is None:
            return None
        task_rows = (await self._uow.session.exec(
            select(DispatchTask).where(col(DispatchTask.case_id) == case_id))).all()
        tasks = {t.item_code: t for t in task_rows}
        return self._loaded.keep(case_id, _case(row, tasks), _CaseRows(row, tasks))

    def add(self, case: Case) -> None:
        row = DispatchCase(case_id=case.case_id, bundle_code=case.bundle_code, applicant={}, form={},
                           accepted_at=case.accepted_at)
        self._loaded.keep(case.case_id, case, _CaseRows(row, {}))

    @property
    def seen(self) -> list[Case]:
        return self._loaded.aggregates

    def save(self) -> None:
        """Write every case this transaction loaded or added back to its rows (unchanged columns stay as they are)."""
        session = self._uow.session
        for case, rows in self._loaded:
            _write_case(case, rows.row)
            session.add(rows.row)
            for code, task in case.tasks.items():
                row = rows.tasks.get(code)
                if row is None:
                    row = rows.tasks[code] = DispatchTask(
                        task_id=task.task_id, case_id=case.case_id, item_code=code, item_name_zh=task.item_name_zh,
                        department=task.department, requires=list(task.requires), time_limit_days=task.time_limit_days,
                        status=task.status)
                _write_task(task, row)
                session.add(row)


def _case(row: DispatchCase, tasks: dict[str, DispatchTask]) -> Case:
    return Case(
        case_id=row.case_id, bundle_code=row.bundle_code, applicant=Applicant.model_validate(row.applicant),
        form=dict(row.form), accepted_at=row.accepted_at, fast_track=row.fast_track,
        tasks={code: _task(t) for code, t in tasks.items()}, phase=Phase(row.phase), review_round=row.review_round,
    )


def _task(row: DispatchTask) -> Task:
    return Task(
        task_id=row.task_id, item_code=row.item_code, item_name_zh=row.item_name_zh, department=row.department,
        requires=tuple(row.requires), time_limit_days=row.time_limit_days, promised_limit_days=row.promised_limit_days,
        form_fields=tuple(row.form_fields) if row.form_fields is not None else None,
        yields_licence=row.yields_licence, licence_type=row.licence_type,
        materials=tuple(MaterialRef.model_validate(m) for m in row.materials),
        status=TaskStatus(row.status), attempt=row.attempt, request_id=row.request_id, document_no=row.document_no,
        reason_zh=row.reason_zh, released_at=row.released_at, concluded_at=row.concluded_at,
        review_status=ReviewStatus(row.review_status), review_request_id=row.review_request_id,
        deficiencies=tuple(Deficiency.model_validate(d) for d in row.deficiencies),
    )


def _write_case(case: Case, row: DispatchCase) -> None:
    row.applicant = case.applicant.model_dump(mode="json")
    row.form = dict(case.form)
    row.phase = case.phase.value
    row.review_round = case.review_round
    row.fast_track = case.fast_track


def _write_task(task: Task, row: DispatchTask) -> None:
    row.promised_limit_days = task.promised_limit_days
    row.form_fields = list(task.form_fields) if task.form_fields is not None else None
    row.yields_licence, row.licence_type = task.yields_licence, task.licence_type
    row.materials = [m.model_dump(mode="json") for m in task.materials]
    row.status, row.attempt, row.request_id = task.status.value, task.attempt, task.request_id
    row.document_no, row.reason_zh = task.document_no, task.reason_zh
    row.released_at, row.concluded_at = task.released_at, task.concluded_at
    row.review_status, row.review_request_id = task.review_status.value, task.review_request_id
    row.deficiencies = [d.model_dump(mode="json") for d in task.deficiencies]


class SqlRequests:
    """Department requests and their answer deadlines, one transaction's worth."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._requests: Loaded[DepartmentRequest, DispatchRequest] = Loaded()

    async def get_for_update(self, request_id: str) -> DepartmentRequest | None:
        """The request, locked: the deadline job, a receipt and an operator's re-drive take turns on it."""
        return await self._requests.get_or_load(
            request_id, lambda: self._uow.get_for_update(DispatchRequest, request_id), _request)

    async def open_sent_before(self, before: datetime) -> list[str]:
        """Ids of the requests still waiting for a receipt whose last send was at or before ``before``."""
        return list((await self._uow.session.exec(select(DispatchRequest.request_id).where(
            col(DispatchRequest.state) == RequestState.OPEN, col(DispatchRequest.last_sent_at) <= before))).all())

    def add(self, request: DepartmentRequest) -> None:
        row = DispatchRequest(request_id=request.request_id, case_id=request.case_id, task_id=request.task_id,
                              item_code=request.item_code, department=request.department, kind=request.kind.value,
                              state=request.state.value, first_sent_at=request.first_sent_at,
                              last_sent_at=request.last_sent_at)
        self._requests.keep(request.request_id, request, row)

    @property
    def seen(self) -> list[DepartmentRequest]:
        return self._requests.aggregates

    def save(self) -> None:
        for request, row in self._requests:
            _write_request(request, row)
            self._uow.session.add(row)


def _request(row: DispatchRequest) -> DepartmentRequest:
    return DepartmentRequest(
        request_id=row.request_id, case_id=row.case_id, task_id=row.task_id, item_code=row.item_code,
        department=row.department, kind=RequestKind(row.kind), first_sent_at=row.first_sent_at,
        last_sent_at=row.last_sent_at, state=RequestState(row.state), sends=row.sends, total_sends=row.total_sends,
        received_at=row.received_at, answered_at=row.answered_at, parked_at=row.parked_at, parkings=row.parkings,
    )


def _write_request(request: DepartmentRequest, row: DispatchRequest) -> None:
    row.state, row.sends, row.total_sends = request.state.value, request.sends, request.total_sends
    row.last_sent_at = request.last_sent_at
    row.received_at, row.answered_at, row.parked_at = request.received_at, request.answered_at, request.parked_at
    row.parkings = request.parkings
