"""``onething verify``: offline from a published trust list and saved status lists; exit 0, 1 or 2."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts.departments import seal_principal
from credentials.carriers import qr_payload
from credentials.licence import LicenceClaims, licence_credential
from credentials.platform import local_trust_list
from credentials.proof import IssuerKey
from credentials.status import StatusList, StatusPurpose, status_entries, status_list_credential
from credentials.trust import issuer_id_for
from exchange.signing import KeyRing
from onething.cli import main

BASE = "https://licence.example.gov.cn"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out + out.err


@pytest.fixture
def files(tmp_path: Path, keyring: KeyRing) -> dict[str, Any]:
    now = datetime.now(UTC)
    seal = IssuerKey(issuer_id_for("430100", "health"), keyring.private_key(seal_principal("health")))
    claims = LicenceClaims(licence_id="L-1", licence_type="birth-medical-certificate", licence_name_zh="出生医学证明",
                           number="Q1", holder_id="430102202611210011", holder_name="张小明", case_id="C-1",
                           item_code="P-01-01", valid_from=now - timedelta(hours=1))
    credential = licence_credential(claims, key=seal, issuer_name_zh="长沙市卫生健康委员会",
                                    credential_status=status_entries(BASE, "health", 5), issued_at=now)
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(local_trust_list(keyring, region="430100", region_name_zh="长沙市").to_json()))
    path = tmp_path / "licence.json"
    path.write_text(json.dumps(credential, ensure_ascii=False))
    lists = {}
    for purpose, revoked in ((StatusPurpose.REVOCATION, [5]), (StatusPurpose.SUSPENSION, [])):
        url = f"{BASE}/status-lists/health/{purpose.value}/0"
        lists[purpose] = tmp_path / f"{purpose.value}.json"
        lists[purpose].write_text(json.dumps(status_list_credential(
            url=url, purpose=purpose, status=StatusList.with_set(revoked), key=seal, issued_at=now)))
    return {"credential": credential, "path": path, "trust": trust, "lists": lists, "seal": seal, "claims": claims,
            "now": now}


def test_offline_verification_from_the_published_trust_list(files: dict[str, Any], capsys: Any) -> None:
    code, out = run(["verify", str(files["path"]), "--trust-list", str(files["trust"])], capsys)
    assert code == 0 and "有效 VALID" in out and "长沙市卫生健康委员会" in out and "未核验撤销" in out
    code, out = run(["verify", qr_payload(files["credential"]), "--trust-list", str(files["trust"]), "--json"], capsys)
    assert code == 0 and json.loads(out)["reason"] == "valid"


def test_a_saved_status_list_shows_the_revocation(files: dict[str, Any], capsys: Any) -> None:
    lists = [arg for path in files["lists"].values() for arg in ("--status-list", str(path))]
    code, out = run(["verify", str(files["path"]), "--trust-list", str(files["trust"]), *lists], capsys)
    assert code == 1 and "证照已被签发机关撤销" in out and "(revoked)" in out


def test_a_tampered_file_fails_and_unreadable_input_is_an_error(files: dict[str, Any], capsys: Any, tmp_path: Path) -> None:
    tampered = json.loads(files["path"].read_text())
    tampered["credentialSubject"]["holderName"] = "李四"
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(tampered, ensure_ascii=False))
    code, out = run(["verify", str(altered), "--trust-list", str(files["trust"])], capsys)
    assert code == 1 and "tampered" in out
    assert run(["verify", str(tmp_path / "missing.json")], capsys)[0] == 2
    assert run(["verify", "OT1:%%%"], capsys)[0] == 2
    bad_trust = tmp_path / "bad-trust.json"
    bad_trust.write_text("{}")
    code, out = run(["verify", str(files["path"]), "--trust-list", str(bad_trust)], capsys)
    assert code == 2 and "bad-trust.json" in out


def test_offline_without_status_lists_one_verdict_names_what_was_not_checked(files: dict[str, Any], capsys: Any) -> None:
    code, out = run(["verify", str(files["path"]), "--trust-list", str(files["trust"])], capsys)
    assert code == 0
    assert "均核验通过" not in out and "all check out" not in out  # it never claims the status was checked
    assert out.count("未核验撤销与暂停状态") == 1 and out.count("were not checked") == 1
    assert out.splitlines()[0].startswith("✔ 有效 VALID（未核验状态 status not checked）")
    code, out = run(["verify", str(files["path"]), "--trust-list", str(files["trust"]), "--json"], capsys)
    body = json.loads(out)
    assert (body["valid"], body["status_checked"], body["missing_status_lists"]) == (True, False, [])
    assert "signature, issuer and validity period check out" in body["message_en"]


def test_one_of_two_status_lists_names_the_missing_one(files: dict[str, Any], capsys: Any) -> None:
    revocation, suspension = (f"{BASE}/status-lists/health/{p}/0" for p in ("revocation", "suspension"))
    # The revocation list marks index 5 revoked; this licence (index 6) is not.
    other = files["path"].with_name("other.json")
    credential = licence_credential(files["claims"], key=files["seal"], issuer_name_zh="长沙市卫生健康委员会",
                                    credential_status=status_entries(BASE, "health", 6), issued_at=files["now"])
    other.write_text(json.dumps(credential, ensure_ascii=False))
    given = ["--status-list", str(files["lists"][StatusPurpose.REVOCATION])]
    code, out = run(["verify", str(other), "--trust-list", str(files["trust"]), *given], capsys)
    assert code == 1 and "(status_unavailable)" in out and "未能确认有效 NOT CONFIRMED" in out
    assert "未被撤销" in out and "not revoked" in out  # what was checked
    assert f"暂停状态列表不可用（{suspension}）" in out and f"the suspension status list {suspension} is unavailable" in out
    assert revocation not in out
    code, out = run(["verify", str(other), "--trust-list", str(files["trust"]), *given, "--json"], capsys)
    assert json.loads(out)["missing_status_lists"] == [suspension]
