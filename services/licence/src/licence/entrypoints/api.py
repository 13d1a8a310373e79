"""Licence HTTP API (电子证照服务).

Public, no login (公开): the trust list, the status lists, and verification of a credential or QR payload
(``POST /verify``), of a licence as presented with its particulars (``POST /verify/document``) or of a stored
licence by id (``GET /licences/{id}/verification``); the verification page (证照验真) at ``/``.
Signed callers only (签名调用): a licence, its credential and printable PDF, a holder's archive
(一人一档/一企一档), each read recorded with its purpose; revoke, suspend and reinstate, by the issuing
department only.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Path, Request, Response
from pydantic import BaseModel, Field, computed_field

from contracts.days import china_date
from contracts.licence.v1 import StatusAction
from contracts.licence_types import licence_type
from credentials.carriers import CarrierError, credential_from_text, qr_payload
from credentials.status import LIST_SIZE, StatusPurpose, status_list_credential, status_list_id
from credentials.verify import Verification
from exchange.access.http import ACCESS_RESPONSES, Access, accept_callers, authenticated_caller
from exchange.access.roles import Caller, Role
from exchange.db.database import Database
from exchange.http_edge import ServiceDatabase, refused, serve_without_waiting, service_app
from exchange.http_identity import SIGNED_RESPONSES, SignedCaller, accept_signed_requests
from exchange.messages import Text
from exchange.request_signing import RequestIdentity
from exchange.signing import KeyRing
from licence.adapters import views
from licence.adapters.printable import PrintableLicence, label, render_pdf
from licence.adapters.tables import LicenceRow
from licence.domain.licences import masked_holder_id, may_read_archive
from licence.domain.messages import MESSAGES
from licence.entrypoints.errors import answer_refusals
from licence.entrypoints.verify_page import mount_verify_page
from licence.service_layer.issuers import Issuers
from licence.service_layer.presented import check_presented
from licence.service_layer.status import change_status, status_bits
from licence.service_layer.unit_of_work import licence_work
from licence.service_layer.verification import Verifier

__all__ = ["create_app", "router"]


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
    state: str
    state_reason: str | None

    # What the holder reads it as (出生医学证明), beside the type's code: a screen need not keep a table of its own.
    # A type since retired from the table is named by its code: the licence stays readable.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def name_zh(self) -> str:
        try:
            return licence_type(self.licence_type).name_zh
        except KeyError:
            return self.licence_type

    @computed_field  # type: ignore[prop-decorator]
    @property
    def name_en(self) -> str:
        try:
            return licence_type(self.licence_type).name_en
        except KeyError:
            return self.licence_type


class LicencePublic(LicenceSummary):
    holder_id: str
    holder_name: str
    record_digest: str
    signer: str
    credential: dict[str, Any]
    qr_payload: str


class VerificationPublic(BaseModel):
    valid: bool
    reason: str
    message_zh: str
    message_en: str
    credential_id: str | None
    issuer_id: str | None
    issuer_name_zh: str | None
    recognised: bool
    status_checked: bool


class ParticularsPublic(BaseModel):
    """What a presented licence says, read only when its issuer's signature holds; the holder masked."""

    licence_type: str
    name_zh: str
    name_en: str
    number: str
    holder_name_masked: str
    holder_id_masked: str
    issuer_name_zh: str | None
    valid_from: date
    valid_until: date | None
    state: str = Field(description="active, suspended, revoked, expired, not_yet_valid or unknown")
    state_zh: str
    state_en: str


class PresentedVerification(VerificationPublic):
    licence: ParticularsPublic | None


class StatusChange(BaseModel):
    reason_zh: str = Field(min_length=1, max_length=500, examples=["出生医学证明信息有误，依法撤销"])


# Status indices are 32-bit (licence_record.status_index): the last list that can hold one.
_LAST_LIST = (2**31 - 1) // LIST_SIZE
_UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"description": "未找到该电子证照 / licence not found"}}
# What an archive read (a signed caller or the holder's token) may answer besides its own result; the PDF and
# the credential are not JSON.
_SIGNED = {**SIGNED_RESPONSES, **ACCESS_RESPONSES, **_UNKNOWN}
_PDF = {**_SIGNED, 200: {"description": "打印版电子证照 / the printable licence",
                         "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}
_CREDENTIAL = {**_SIGNED, 200: {"description": "W3C 可验证凭证 / the W3C Verifiable Credential",
                                "content": {"application/vc+json": {"schema": {"type": "object"}}}}}
_STATUS_CHANGE = {**SIGNED_RESPONSES, **_UNKNOWN, 409: {"description": "当前状态不允许 / not allowed in the licence's present state"}}


_OWN_READ_ZH = MESSAGES.text("own_read_purpose").zh  # the purpose recorded when holders read their own licences


async def _reader(request: Request, caller: Annotated[Caller, Depends(authenticated_caller)]) -> Caller:
    """A signed caller that may read holder archives, or an applicant (holder) reading their own (403 otherwise;
    someone else's licence answers 404 to an applicant, as an unknown one)."""
    if caller.via == "signature" and may_read_archive(caller.subject, request.app.state.archive_readers):
        return caller
    if caller.via == "token" and caller.has(Role.APPLICANT):
        return caller
    raise refused(403, MESSAGES.text("archive_read_forbidden", subject=Text("", caller.subject)))


Reader = Annotated[Caller, Depends(_reader)]


def _may_see(caller: Caller, holder_id: str) -> bool:
    return caller.via == "signature" or caller.speaks_for(holder_id)


async def _issuers(request: Request) -> Issuers:
    issuers: Issuers = request.app.state.issuers
    return issuers


async def _verifier(request: Request) -> Verifier:
    verifier: Verifier = request.app.state.verifier
    return verifier


TheIssuers = Annotated[Issuers, Depends(_issuers)]
TheVerifier = Annotated[Verifier, Depends(_verifier)]

router = APIRouter()


async def _read(database: Database, licence_id: str, reader: Caller) -> LicenceRow:
    row = await views.read_licence(database, licence_id, views.ArchiveRead(reader.subject, reader.purpose or _OWN_READ_ZH),
                                   lambda holder_id: _may_see(reader, holder_id))
    if row is None:
        raise refused(404, MESSAGES.text("licence_not_found"))
    return row


@router.get("/trust-list", summary="可信签发机关名录 The issuers whose licences verify here (public)")
async def trust_list(issuers: TheIssuers) -> dict[str, Any]:
    return issuers.trust_list().to_json()


@router.get("/status-lists/{department}/{purpose}/{number}",
            summary="证照状态列表 A department's revocation or suspension list (public, signed)")
async def status_list(department: Annotated[str, Path(examples=["health"])], purpose: StatusPurpose,
                      number: Annotated[int, Path(ge=0, le=_LAST_LIST)], database: ServiceDatabase,
                      issuers: TheIssuers) -> dict[str, Any]:
    if issuers.trust_list().issuer(issuers.issuer_id(department)) is None:
        raise refused(404, MESSAGES.text("status_list_not_found"))
    url = status_list_id(issuers.public_url, department, purpose, number)
    bits = await status_bits(database, department, purpose, number)
    return status_list_credential(url=url, purpose=purpose, status=bits, key=issuers.seal(department),
                                  issued_at=datetime.now(UTC))


def _public(result: Verification) -> VerificationPublic:
    return VerificationPublic.model_validate(result.to_json())


@router.post("/verify", response_model=VerificationPublic,
             summary="证照验真 Verify a credential, or a QR payload as {\"qr\": \"OT1:…\"} (public)")
async def verify(body: dict[str, Any], verifier: TheVerifier) -> VerificationPublic:
    document: Any = body
    if set(body) == {"qr"}:
        try:
            document = credential_from_text(str(body["qr"]))
        except CarrierError as exc:
            raise refused(422, Text(MESSAGES.text("qr_unreadable").zh, str(exc))) from None
    return _public(await verifier.verify(document, now=datetime.now(UTC)))


_PRESENTED_BODY = {"requestBody": {"required": True, "content": {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    "text/plain": {"schema": {"type": "string", "example": "OT1:…"}},
    "application/json": {"schema": {"type": "object"}},
}}}


@router.post("/verify/document", response_model=PresentedVerification, openapi_extra=_PRESENTED_BODY,
             responses={422: {"description": "未能读出电子证照 / no licence in what was given"}},
             summary="出示验真 Verify a licence as presented: its QR payload, credential or PDF, as the body; "
                     "with its particulars, the holder masked (public)")
async def verify_presented(request: Request, verifier: TheVerifier) -> PresentedVerification:
    try:
        checked = await check_presented(verifier, await request.body(), now=datetime.now(UTC))
    except CarrierError as exc:
        raise refused(422, Text(MESSAGES.text("document_unreadable").zh,
                                f"{MESSAGES.text('document_unreadable').en} ({exc})")) from None
    particulars = checked.particulars
    return PresentedVerification.model_validate({
        **checked.verification.to_json(),
        "licence": None if particulars is None else ParticularsPublic.model_validate(particulars, from_attributes=True),
    })


@router.get("/licences/{licence_id}/verification", response_model=VerificationPublic,
            summary="按编号验真 Verify a stored licence by id (public; no personal data in the answer)")
async def verify_stored(licence_id: str, database: ServiceDatabase, verifier: TheVerifier) -> VerificationPublic:
    row = await views.licence(database, licence_id)
    if row is None:
        raise refused(404, MESSAGES.text("licence_not_found"))
    return _public(await verifier.verify(json.loads(row.credential), now=datetime.now(UTC)))


@router.get("/licences/{licence_id}", response_model=LicencePublic,
            summary="电子证照 A licence (signed callers; its holder with a token)", responses=_SIGNED)
async def get_licence(licence_id: str, identity: Reader, database: ServiceDatabase) -> LicencePublic:
    row = await _read(database, licence_id, identity)
    credential = json.loads(row.credential)
    return LicencePublic.model_validate({**row.model_dump(), "credential": credential,
                                         "qr_payload": qr_payload(credential)})


@router.get("/licences/{licence_id}/credential",
            summary="可验证凭证 The W3C credential (signed callers; its holder with a token)",
            response_class=Response, responses=_CREDENTIAL)
async def get_credential(licence_id: str, identity: Reader, database: ServiceDatabase) -> Response:
    row = await _read(database, licence_id, identity)
    return Response(row.credential, media_type="application/vc+json")


@router.get("/licences/{licence_id}/pdf",
            summary="打印版电子证照 The printable licence, PDF (signed callers; its holder with a token)",
            response_class=Response, responses=_PDF)
async def get_pdf(licence_id: str, identity: Reader, database: ServiceDatabase, issuers: TheIssuers) -> Response:
    row = await _read(database, licence_id, identity)
    credential = json.loads(row.credential)
    kind = licence_type(row.licence_type)
    printable = PrintableLicence(
        title_zh=kind.name_zh, title_en=kind.name_en, number=row.number, holder_name=row.holder_name,
        holder_id_masked=masked_holder_id(row.holder_id), issuer_name_zh=issuers.name_zh(row.issuer_department),
        issued_on=china_date(row.issued_at), valid_from=row.valid_from, valid_until=row.valid_until,
        fields=((label(MESSAGES.text("printable_case_id")), row.case_id),
                (label(MESSAGES.text("printable_item_code")), row.item_code)),
        verify_url=f"{issuers.public_url}/?{urlencode({'licence': licence_id})}",  # the verification page, by number
        qr_payload=qr_payload(credential), credential_json=row.credential.encode(),
    )
    return Response(render_pdf(printable), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{licence_id}.pdf"'})


@router.get("/holders/{holder_id}/licences", response_model=list[LicenceSummary],
            summary="持证主体的证照档案 A holder's licences (一人一档/一企一档; signed callers; the holder with a token)",
            responses={**SIGNED_RESPONSES, **ACCESS_RESPONSES})
async def holder_licences(holder_id: Annotated[str, Path(max_length=64)], identity: Reader,
                          database: ServiceDatabase) -> list[LicenceSummary]:
    # The archive-read record holds up to 64 characters.
    if not _may_see(identity, holder_id):
        return []  # another holder's archive looks like an empty one: no oracle
    rows = await views.holder_licences(database, holder_id,
                                       views.ArchiveRead(identity.subject, identity.purpose or _OWN_READ_ZH))
    return [LicenceSummary.model_validate(r, from_attributes=True) for r in rows]


async def _change(database: Database, licence_id: str, action: StatusAction, body: StatusChange,
                  identity: RequestIdentity) -> dict[str, Any]:
    async with licence_work(database) as uow:
        licence = await change_status(uow, licence_id, action, reason_zh=body.reason_zh, actor=identity.principal,
                                      now=datetime.now(UTC))
    return {"licence_id": licence_id, "state": licence.state.value, "reason_zh": licence.state_reason}


@router.post("/licences/{licence_id}/revocation", summary="撤销 Revoke (issuing department only; final)",
             responses=_STATUS_CHANGE)
async def revoke(licence_id: str, body: StatusChange, identity: SignedCaller,
                 database: ServiceDatabase) -> dict[str, Any]:
    return await _change(database, licence_id, StatusAction.REVOKE, body, identity)


@router.post("/licences/{licence_id}/suspension", summary="暂停 Suspend (issuing department only)",
             responses=_STATUS_CHANGE)
async def suspend(licence_id: str, body: StatusChange, identity: SignedCaller,
                  database: ServiceDatabase) -> dict[str, Any]:
    return await _change(database, licence_id, StatusAction.SUSPEND, body, identity)


@router.post("/licences/{licence_id}/reinstatement", summary="恢复 Lift a suspension (issuing department only)",
             responses=_STATUS_CHANGE)
async def reinstate(licence_id: str, body: StatusChange, identity: SignedCaller,
                    database: ServiceDatabase) -> dict[str, Any]:
    return await _change(database, licence_id, StatusAction.REINSTATE, body, identity)


def create_app(
    database: Database, keyring: KeyRing, issuers: Issuers, verifier: Verifier, *, archive_readers: list[str]
) -> FastAPI:
    app = service_app(
        title="OneThing licence 电子证照服务",
        version="2.0.0",
        description="电子证照的签发、归档、验真、撤销与暂停 / Electronic licences: issuing, holder archives, "
        "verification, revocation and suspension",
    )
    accept_signed_requests(app, keyring)
    serve_without_waiting(app, "/status-lists/")  # other issuers' verifiers fetch them while answering their callers
    accept_callers(app, Access(None, keyring))  # signed readers; the runtime adds the token verifier
    answer_refusals(app)
    app.state.database, app.state.issuers, app.state.verifier = database, issuers, verifier
    app.state.archive_readers = archive_readers
    app.include_router(router)
    mount_verify_page(app)
    return app
