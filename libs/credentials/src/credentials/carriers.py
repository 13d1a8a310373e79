"""Where a credential travels besides JSON: the QR code (``OT1:`` + base45 of zlib-compressed canonical
JSON, the layout of the EU digital COVID certificate) and the printable PDF (an embedded ``credential.json``)."""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Mapping
from typing import Any

from contracts.canonical import canonical_json
from credentials.multibase import b45decode, b45encode

__all__ = ["PDF_ATTACHMENT", "QR_PREFIX", "CarrierError", "credential_from_pdf", "credential_from_text", "qr_payload", "read_qr_payload"]

QR_PREFIX = "OT1:"
PDF_ATTACHMENT = "credential.json"
_MAX_INFLATED = 64 * 1024  # a licence is ~1.5 kB; refuse zip bombs


class CarrierError(ValueError):
    """The text, file or QR payload does not carry a credential; the message says why."""


def qr_payload(credential: Mapping[str, Any]) -> str:
    """The QR text of a credential (fits a version ≤ 25 QR code at level M for a typical licence)."""
    return QR_PREFIX + b45encode(zlib.compress(canonical_json(credential), 9))


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CarrierError(f"{what} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise CarrierError(f"{what} is not a JSON object")
    return value


def read_qr_payload(text: str) -> dict[str, Any]:
    """The credential in a QR text."""
    text = text.strip()
    if not text.startswith(QR_PREFIX):
        raise CarrierError(f"not a OneThing licence QR payload (it starts with {QR_PREFIX!r})")
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(b45decode(text[len(QR_PREFIX):]), _MAX_INFLATED)
        if inflater.unconsumed_tail:
            raise CarrierError("the QR payload inflates beyond 64 kB")
    except (ValueError, zlib.error) as exc:
        raise CarrierError(f"the QR payload is damaged: {exc}") from None
    return _json_object(data, "the QR payload")


def credential_from_pdf(data: bytes) -> dict[str, Any]:
    """The credential embedded in a licence PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        attachments = PdfReader(io.BytesIO(data)).attachments
    except (PdfReadError, ValueError, KeyError) as exc:
        raise CarrierError(f"not a readable PDF: {exc}") from None
    files = attachments.get(PDF_ATTACHMENT)
    if not files:
        raise CarrierError(f"the PDF carries no {PDF_ATTACHMENT}: it is not a OneThing e-licence")
    return _json_object(files[0], f"the PDF's {PDF_ATTACHMENT}")


def credential_from_text(text: str) -> dict[str, Any]:
    """A credential given as JSON or as a QR payload."""
    stripped = text.strip()
    if stripped.startswith(QR_PREFIX):
        return read_qr_payload(stripped)
    return _json_object(stripped.encode(), "the text")
