"""The roles of OneThing's callers (角色) and the caller a request was proven to come from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Literal

from contracts.departments import principal_department

__all__ = ["ROLE_ZH", "Caller", "Role", "signed_caller_roles"]


class Role(StrEnum):
    APPLICANT = "applicant"  # 申请人: on the portal or app, identity verified by 统一身份认证
    CLERK = "clerk"  # 综合窗口人员: accepts at a window of a service centre (or a 12345 seat); window and staff id in the token
    KIOSK = "kiosk"  # 自助终端: accepts for the person present, and follows only what it accepted; its id in the token
    DEPARTMENT = "department"  # 部门: handles its items; its department code in the token or its signing key
    SUPERVISOR = "supervisor"  # 监察: cards, extensions, blacklist, rectification reviews
    OPERATOR = "operator"  # 运维: dead letters, re-drives, the demo clock, simulated faults
    ANALYST = "analyst"  # 分析: figures, never personal data


ROLE_ZH: dict[Role, str] = {
    Role.APPLICANT: "申请人", Role.CLERK: "窗口人员", Role.KIOSK: "自助终端", Role.DEPARTMENT: "部门", Role.SUPERVISOR: "监察人员",
    Role.OPERATOR: "运维人员", Role.ANALYST: "分析人员",
}


@dataclass(frozen=True)
class Caller:
    """Who a request comes from, as proven by a token or a signature; nothing here is taken from the body."""

    subject: str  # the token's ``sub`` or the signing principal
    roles: frozenset[Role]
    via: Literal["token", "signature"]
    department: str | None = None  # 部门代码 (department role)
    window_id: str | None = None  # 窗口编号 (clerk)
    staff_id: str | None = None  # 工号 (clerk)
    channel: str | None = None  # 受理渠道 the caller works through (clerk: window; applicant: portal or app)
    id_number: str | None = None  # 公民身份号码 verified by 统一身份认证 (applicant)
    name: str | None = None  # 姓名 (applicant)
    organisation: str | None = None  # 统一社会信用代码 of the enterprise a 法人 account acts for (applicant)
    purpose: str | None = None  # 调用用途 a signed request states

    def has(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    def speaks_for(self, subject_id: str | None) -> bool:
        """An applicant acting as ``subject_id``: themselves, or the enterprise their 法人 account is for."""
        return subject_id is not None and self.has(Role.APPLICANT) and subject_id in (self.id_number, self.organisation)


def signed_caller_roles(principal: str, rules: Iterable[tuple[str, Role]]) -> tuple[frozenset[Role], str | None]:
    """The roles of a signing principal by the configured glob rules, and its department (``dept.<code>``)."""
    roles = frozenset(role for pattern, role in rules if fnmatchcase(principal, pattern))
    return roles, principal_department(principal)
