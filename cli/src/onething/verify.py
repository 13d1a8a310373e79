"""``onething verify FILE|QR``: check an e-licence anywhere (证照验真, LIC-02), online or offline.

The input is a credential (JSON file), a licence PDF (its embedded ``credential.json``), a QR payload
(``OT1:…``) or ``-`` for standard input. Offline (the default), trust comes from a published trust list
(``--trust-list``) or, without one, from the seal keys in the data directory; status comes from signed
status lists saved earlier (``--status-list``, repeatable) and is reported as not checked without them.
``--online URL`` asks a licence service instead, which always checks the current status.
Exit status: 0 valid, 1 not valid, 2 the input or the trust list could not be read.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from credentials.carriers import QR_PREFIX, CarrierError, credential_from_pdf, credential_from_text
from credentials.platform import local_trust_list
from credentials.status import StatusList, StatusPurpose
from credentials.trust import TrustedIssuer, TrustList, TrustListError
from credentials.verify import Verification, status_list_of, verify_credential
from exchange.settings import ExchangeSettings
from exchange.signing import KeyRing

__all__ = ["read_credential", "verify_command"]


def read_credential(source: str) -> dict[str, Any]:
    """The credential in ``source``: ``-``, a QR payload, or a JSON or PDF file."""
    if source == "-":
        return credential_from_text(sys.stdin.read())
    if source.lstrip().startswith(QR_PREFIX):
        return credential_from_text(source)
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CarrierError(f"{source}: cannot be read ({exc.strerror})") from None
    if data.startswith(b"%PDF"):
        return credential_from_pdf(data)
    try:
        return credential_from_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise CarrierError(f"{source}: neither a PDF nor UTF-8 JSON") from None


class _SavedLists:
    """Status lists saved as files; each is used only if its issuer signed it."""

    def __init__(self, documents: list[Any]) -> None:
        self._documents = documents

    def status_list(self, url: str, issuer: TrustedIssuer, purpose: StatusPurpose) -> StatusList | None:
        for document in self._documents:
            bits = status_list_of(document, url=url, issuer=issuer, purpose=purpose)
            if bits is not None:
                return bits
        return None


def _trust(trust_list: Path | None, data_dir: Path) -> TrustList:
    if trust_list is not None:
        return TrustList.load(trust_list)
    settings = ExchangeSettings(data_dir=data_dir)
    return local_trust_list(KeyRing(settings.keys_path), region=settings.region, region_name_zh=settings.region_name_zh)


def _print(result: Verification | dict[str, Any], as_json: bool) -> bool:
    body = result.to_json() if isinstance(result, Verification) else result
    if as_json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return bool(body["valid"])
    # One verdict, its scope in the heading; the message says what was checked and what was not.
    if body["valid"]:
        mark = "✔ 有效 VALID" if body.get("status_checked") else "✔ 有效 VALID（未核验状态 status not checked）"
    else:
        mark = "✘ 未能确认有效 NOT CONFIRMED" if body["reason"] == "status_unavailable" else "✘ 无效 NOT VALID"
    print(f"{mark}  ({body['reason']})")
    print(f"  {body['message_zh']}")
    print(f"  {body['message_en']}")
    if body.get("issuer_name_zh"):
        recognised = "（外地互认 recognised from another region）" if body.get("recognised") else ""
        print(f"  签发机关 issuer: {body['issuer_name_zh']} {recognised}".rstrip())
    if body["valid"] and not body.get("status_checked"):
        print("  核验状态 to check status: --status-list FILE (each list the licence names, saved from its address) "
              "or --online URL")
    for url in body.get("missing_status_lists", []):
        print(f"  缺少状态列表 missing status list: {url} (save it and give --status-list FILE)")
    return bool(body["valid"])


def verify_command(source: str, *, data_dir: Path, trust_list: Path | None, status_lists: list[Path],
                   online: str | None, as_json: bool) -> int:
    try:
        credential = read_credential(source)
        if online:
            response = httpx.post(f"{online.rstrip('/')}/verify", json=credential, timeout=10.0)
            response.raise_for_status()
            return 0 if _print(response.json(), as_json) else 1
        trust = _trust(trust_list, data_dir)
        saved = [json.loads(path.read_text(encoding="utf-8")) for path in status_lists]
    except (CarrierError, TrustListError, OSError, ValueError) as exc:
        print(f"无法核验 cannot verify: {exc}", file=sys.stderr)
        return 2
    except httpx.HTTPError as exc:
        print(f"验真服务不可用 verification service unavailable: {exc}", file=sys.stderr)
        return 2
    result = verify_credential(credential, trust=trust, now=datetime.now(UTC),
                               status=_SavedLists(saved) if saved else None)
    return 0 if _print(result, as_json) else 1
