"""Licence HTTP API: a licence, a holder's archive (一人一档/一企一档), and verification (证照验真)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlmodel import col, select

from exchange.db.database import Database
from exchange.signing import KeyRing
from licence.adapters.tables import LicenceRow
from licence.domain.records import verify_record


class LicenceSummary(BaseModel):
    licence_id: str
    case_id: str
    item_code: str
    licence_type: str
    number: str
    issuer_department: str
    issued_at: datetime
    valid_from: date
    valid_until: date | None


class LicencePublic(LicenceSummary):
    holder_id: str
    holder_name: str
    record: dict[str, Any]  # the signed record (证照数据)
    record_digest: str
    record_signature: str
    signer: str


class VerifyResult(BaseModel):
    licence_id: str
    valid: bool
    reason_zh: str
    reason_en: str


_NOT_FOUND = {"message_zh": "未找到该电子证照", "message_en": "licence not found"}


def create_app(database: Database, keyring: KeyRing) -> FastAPI:
    app = FastAPI(
        title="OneThing licence 电子证照服务",
        version="1.0.0",
        description="电子证照的签发、归档与验真 / Electronic licences: issuing, holder archives and verification",
    )

    async def _get(licence_id: str) -> LicenceRow:
        async with database.sessions() as session:
            row = await session.get(LicenceRow, licence_id)
        if row is None:
            raise HTTPException(404, detail=_NOT_FOUND)
        return row

    @app.get("/licences/{licence_id}", response_model=LicencePublic, summary="电子证照 A licence")
    async def get_licence(licence_id: str) -> LicencePublic:
        row = await _get(licence_id)
        return LicencePublic.model_validate({**row.model_dump(), "record": json.loads(row.record)})

    @app.get(
        "/holders/{holder_id}/licences",
        response_model=list[LicenceSummary],
        summary="持证主体的证照档案 A holder's licences (一人一档/一企一档)",
    )
    async def holder_licences(holder_id: str) -> list[LicenceSummary]:
        async with database.sessions() as session:
            query = select(LicenceRow).where(col(LicenceRow.holder_id) == holder_id)
            rows = (await session.exec(query.order_by(col(LicenceRow.issued_at), col(LicenceRow.licence_id)))).all()
        return [LicenceSummary.model_validate(r, from_attributes=True) for r in rows]

    @app.post("/licences/{licence_id}/verify", response_model=VerifyResult, summary="证照验真 Verify a licence")
    async def verify_licence(licence_id: str) -> VerifyResult:
        row = await _get(licence_id)
        verdict = verify_record(
            row.record.encode(), digest=row.record_digest, signature=row.record_signature, signer=row.signer,
            verify_bytes=keyring.verify_bytes,
        )
        if verdict.valid and json.loads(row.record).get("licence_id") != licence_id:
            return VerifyResult(
                licence_id=licence_id, valid=False, reason_zh="证照记录与编号不符",
                reason_en="the record belongs to another licence",
            )
        return VerifyResult(
            licence_id=licence_id, valid=verdict.valid, reason_zh=verdict.reason_zh, reason_en=verdict.reason_en
        )

    return app
