"""Benchmark: e-licence issuing and verification on one core (电子证照签发与验真性能).

    .venv/bin/python benchmarks/licences.py [--n 20000]

Pins itself to one CPU, then measures, each over ``n`` distinct licences:
* issue: claims → status entries → signed W3C credential (eddsa-jcs-2022) → canonical JSON and its sha256,
  which is what the licence service does per approval apart from the database row and the outbox;
* verify: the full check (trust list, key, signature, validity, both status lists) of a parsed credential,
  and the same starting from the JSON bytes (parse included);
* PDF: rendering of the printable licence (reported aside, as the issue asks).
A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import orjson

from contracts.canonical import canonical_json
from credentials.licence import LicenceClaims, licence_credential
from credentials.multibase import multikey_decode
from credentials.proof import IssuerKey
from credentials.status import StatusList, StatusPurpose, status_entries
from credentials.trust import TrustedIssuer, TrustedKey, TrustList, issuer_id_for
from credentials.verify import verify_credential
from exchange.ed25519 import SigningKey

BASE = "https://licence.example.gov.cn"


class Lists:
    def __init__(self) -> None:
        self.bits = {purpose: StatusList.with_set(range(1, 20_000, 97)) for purpose in StatusPurpose}

    def status_list(self, url: str, issuer: TrustedIssuer, purpose: StatusPurpose) -> StatusList | None:
        return self.bits[purpose]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--pdfs", type=int, default=20)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    key = IssuerKey(issuer_id_for("430100", "health"), SigningKey.generate())
    trust = TrustList.of([TrustedIssuer(key.issuer_id, "长沙市卫生健康委员会", "Health Commission", "430100", (
        TrustedKey(key.public_key_multibase, multikey_decode(key.public_key_multibase)),))])
    now = datetime.now(UTC)
    claims = [
        LicenceClaims(licence_id=str(uuid4()), licence_type="birth-medical-certificate", licence_name_zh="出生医学证明",
                      number=f"Q4301{i:08d}", holder_id=f"43010220261121{i % 10000:04d}", holder_name="张小明",
                      case_id=f"OT20261121{i:012d}", item_code="P-01-01", valid_from=now,
                      evidence={"id": f"urn:uuid:{uuid4()}", "taskId": f"T-{i}"})
        for i in range(args.n)
    ]

    started = time.perf_counter()
    issued = []
    for index, claim in enumerate(claims):
        credential = licence_credential(claim, key=key, issuer_name_zh="长沙市卫生健康委员会",
                                        credential_status=status_entries(BASE, "health", index), issued_at=now)
        data = canonical_json(credential)
        hashlib.sha256(data).hexdigest()
        issued.append((credential, data))
    issue_s = time.perf_counter() - started

    lists, later = Lists(), now + timedelta(seconds=1)
    started = time.perf_counter()
    results = [verify_credential(credential, trust=trust, now=later, status=lists) for credential, _ in issued]
    verify_s = time.perf_counter() - started
    started = time.perf_counter()
    for _, data in issued:
        verify_credential(orjson.loads(data), trust=trust, now=later, status=lists)
    verify_bytes_s = time.perf_counter() - started
    outcomes: dict[str, int] = {}
    for result in results:
        outcomes[result.reason.value] = outcomes.get(result.reason.value, 0) + 1

    pdf_ms = None
    try:
        from datetime import date

        from credentials.carriers import qr_payload
        from licence.adapters.printable import PrintableLicence, render_pdf

        render_pdf(PrintableLicence("出生医学证明", "Birth medical certificate", "Q0", "张小明", "430102********0011",
                                    "长沙市卫生健康委员会", date.today(), date.today(), None, (), BASE,
                                    qr_payload(issued[0][0]), issued[0][1]))  # warm the font cache
        started = time.perf_counter()
        for credential, data in issued[: args.pdfs]:
            render_pdf(PrintableLicence("出生医学证明", "Birth medical certificate", "Q1", "张小明",
                                        "430102********0011", "长沙市卫生健康委员会", date.today(), date.today(), None,
                                        (), BASE, qr_payload(credential), data))
        pdf_ms = (time.perf_counter() - started) / args.pdfs * 1000
    except ImportError:  # the licence service is not installed here
        pass

    size = sum(len(data) for _, data in issued) / len(issued)
    print(f"licences: {args.n} distinct, credential {size:.0f} bytes on average, one core")
    print(f"issue:  {args.n / issue_s:,.0f} licences/s ({issue_s / args.n * 1e6:.0f} µs each)")
    print(f"verify: {args.n / verify_s:,.0f} licences/s ({verify_s / args.n * 1e6:.0f} µs each), "
          f"from JSON bytes (orjson parse) {args.n / verify_bytes_s:,.0f}/s; outcomes {outcomes}")
    if pdf_ms is not None:
        print(f"pdf:    {pdf_ms:.0f} ms per printable licence (aside)")


if __name__ == "__main__":
    main()
