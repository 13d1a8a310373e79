"""Dispatch's repositories (仓储): cases and department requests, loaded from their tables as aggregates and written
back. The only SQL of dispatch's write side; rows never leave this module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from contracts.department.v1 import RequestKind
from contracts.department.v2 import DecisionAtReview
from contracts.dispatch.v1 import Deficiency
from contracts.intake.v1 import Applicant, MaterialRef
from dispatch.adapters.tables import DispatchCase, DispatchRequest, DispatchTask
from dispatch.domain.deadlines import RequestState
from dispatch.domain.model import Case, Task
from dispatch.domain.requests import DepartmentRequest
from dispatch.domain.review import Phase, ReviewStatus
from dispatch.domain.sequencing import TaskStatus
from exchange.db.identity import Aggregates
from exchange.db.rows import TableRows
from exchange.db.unit_of_work import UnitOfWork

__all__ = ["SqlCases", "SqlRequests"]

# A task's materials and review findings, each list checked and written in one call (not one model at a time): a
# case's seven task rows are read and written back at every record of the case.
_MATERIALS: TypeAdapter[tuple[MaterialRef, ...]] = TypeAdapter(tuple[MaterialRef, ...])
_DEFICIENCIES: TypeAdapter[tuple[Deficiency, ...]] = TypeAdapter(tuple[Deficiency, ...])


class SqlCases:
    """Cases with their tasks, one transaction's worth (SQLAlchemy Core through ``exchange.db.rows``)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._cases = TableRows(uow, DispatchCase)
        self._tasks = TableRows(uow, DispatchTask)
        self._loaded: dict[str, Case] = {}

    async def exists(self, case_id: str) -> bool:
        return case_id in self._loaded or await self._cases.exists(case_id)

    async def get_for_update(self, case_id: str) -> Case | None:
        """The case, locked until the transaction ends: answers and corrections of one case arrive on different
        topics, possibly at once."""
        if (case := self._loaded.get(case_id)) is not None:
            return case
        row = await self._cases.get(case_id, for_update=True)
        if row is None:
            return None
        tasks = await self._tasks.where(case_id=case_id)
        case = self._loaded[case_id] = _case(row, tasks)
        return case

    def add(self, case: Case) -> None:
        self._loaded[case.case_id] = case

    @property
    def seen(self) -> list[Case]:
        return list(self._loaded.values())

    async def save(self) -> None:
        """Write every case this transaction loaded or added back to its rows (only the columns that changed)."""
        for case in self._loaded.values():
            await self._cases.save(_case_values(case))
            await self._tasks.save_all(_task_values(case.case_id, task) for task in case.tasks.values())


def _case(row: dict[str, Any], tasks: list[dict[str, Any]]) -> Case:
    return Case(
        case_id=row["case_id"], bundle_code=row["bundle_code"], applicant=Applicant.model_validate(row["applicant"]),
        form=dict(row["form"]), accepted_at=row["accepted_at"], fast_track=row["fast_track"],
        tasks={t["item_code"]: _task(t) for t in tasks}, phase=Phase(row["phase"]), review_round=row["review_round"],
    )


def _task(row: dict[str, Any]) -> Task:
    return Task(
        task_id=row["task_id"], item_code=row["item_code"], item_name_zh=row["item_name_zh"],
        department=row["department"], requires=tuple(row["requires"]), time_limit_days=row["time_limit_days"],
        promised_limit_days=row["promised_limit_days"],
        form_fields=tuple(row["form_fields"]) if row["form_fields"] is not None else None,
        yields_licence=row["yields_licence"], licence_type=row["licence_type"],
        materials=_MATERIALS.validate_python(row["materials"]),
        status=TaskStatus(row["status"]), attempt=row["attempt"], request_id=row["request_id"],
        document_no=row["document_no"], reason_zh=row["reason_zh"], released_at=row["released_at"],
        concluded_at=row["concluded_at"], review_status=ReviewStatus(row["review_status"]),
        review_request_id=row["review_request_id"],
        deficiencies=_DEFICIENCIES.validate_python(row["deficiencies"]),
        review_decide=row["review_decide"],
        decision_at_review=(None if row["decision_at_review"] is None
                            else DecisionAtReview.model_validate(row["decision_at_review"])),
    )


def _case_values(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id, "bundle_code": case.bundle_code, "accepted_at": case.accepted_at,
        "applicant": case.applicant.model_dump(mode="json"), "form": dict(case.form),
        "phase": case.phase.value, "review_round": case.review_round, "fast_track": case.fast_track,
    }


def _task_values(case_id: str, task: Task) -> dict[str, Any]:
    return {
        "task_id": task.task_id, "case_id": case_id, "item_code": task.item_code, "item_name_zh": task.item_name_zh,
        "department": task.department, "requires": list(task.requires), "time_limit_days": task.time_limit_days,
        "promised_limit_days": task.promised_limit_days,
        "form_fields": list(task.form_fields) if task.form_fields is not None else None,
        "yields_licence": task.yields_licence, "licence_type": task.licence_type,
        "materials": _MATERIALS.dump_python(task.materials, mode="json"),
        "status": task.status.value, "attempt": task.attempt, "request_id": task.request_id,
        "document_no": task.document_no, "reason_zh": task.reason_zh,
        "released_at": task.released_at, "concluded_at": task.concluded_at,
        "review_status": task.review_status.value, "review_request_id": task.review_request_id,
        "deficiencies": _DEFICIENCIES.dump_python(task.deficiencies, mode="json"),
        "review_decide": task.review_decide,
        "decision_at_review": (None if task.decision_at_review is None
                               else task.decision_at_review.model_dump(mode="json")),
    }


class SqlRequests:
    """Department requests and their answer deadlines, one transaction's worth."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._rows = TableRows(uow, DispatchRequest)
        self._loaded: Aggregates[DepartmentRequest] = Aggregates()

    async def get_for_update(self, request_id: str) -> DepartmentRequest | None:
        """The request, locked: the deadline job, a receipt and an operator's re-drive take turns on it."""
        return await self._loaded.get_or_load(request_id, lambda: self._rows.get(request_id, for_update=True),
                                              _request)

    async def open_sent_before(self, before: datetime) -> list[str]:
        """Ids of the requests still waiting for a receipt whose last send was at or before ``before``."""
        c = self._rows.column
        return await self._rows.values_of("request_id", c("last_sent_at") <= before, state=RequestState.OPEN.value)

    async def receipted_unanswered(self) -> list[str]:
        """Ids of the requests a department receipted and has not answered yet."""
        return await self._rows.values_of("request_id", state=RequestState.RECEIVED.value)

    def add(self, request: DepartmentRequest) -> None:
        self._loaded.add(request.request_id, request)

    @property
    def seen(self) -> list[DepartmentRequest]:
        return self._loaded.all

    async def save(self) -> None:
        await self._rows.save_all(_request_values(r) for r in self._loaded.all)


def _request(row: dict[str, Any]) -> DepartmentRequest:
    return DepartmentRequest(
        request_id=row["request_id"], case_id=row["case_id"], task_id=row["task_id"], item_code=row["item_code"],
        department=row["department"], kind=RequestKind(row["kind"]), first_sent_at=row["first_sent_at"],
        last_sent_at=row["last_sent_at"], state=RequestState(row["state"]), sends=row["sends"],
        total_sends=row["total_sends"], received_at=row["received_at"], answered_at=row["answered_at"],
        parked_at=row["parked_at"], parkings=row["parkings"],
    )


def _request_values(request: DepartmentRequest) -> dict[str, Any]:
    return {
        "request_id": request.request_id, "case_id": request.case_id, "task_id": request.task_id,
        "item_code": request.item_code, "department": request.department, "kind": request.kind.value,
        "state": request.state.value, "sends": request.sends, "total_sends": request.total_sends,
        "first_sent_at": request.first_sent_at, "last_sent_at": request.last_sent_at,
        "received_at": request.received_at, "answered_at": request.answered_at, "parked_at": request.parked_at,
        "parkings": request.parkings,
    }
