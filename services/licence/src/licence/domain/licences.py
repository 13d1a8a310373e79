"""Licences (电子证照): identity, numbering, validity and status rules. Pure: driven directly by unit tests.

* One licence per (case, item): its id is derived from both, so a redelivered approval finds the same licence.
* The number is the department's document number (文书编号) when it gave one, else derived from the id.
* Validity starts when the licence is issued and, for a type with a statutory term, ends at the end of the
  day before the same date ``valid_years`` later, China time (e.g. issued 2026-11-21, five years: valid
  until 2031-11-20 23:59:59 +08:00).
* Status (状态): active → suspended → active again (恢复), or → revoked, which is final. Only the issuing
  department changes a licence's status, and only with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fnmatch import fnmatchcase
from uuid import NAMESPACE_URL, uuid5

from contracts.days import CHINA_TZ, china_date
from contracts.departments import department_principal
from contracts.identifiers import looks_like_resident_id
from contracts.licence.v1 import LicenceState, StatusAction
from licence.domain.errors import StatusChangeRefused
from licence.domain.messages import MESSAGES

__all__ = [
    "StatusChangeRefused",
    "Validity",
    "licence_id_for",
    "licence_number",
    "masked_holder_id",
    "masked_holder_name",
    "may_change_status",
    "may_read_archive",
    "next_state",
    "validity",
]

def licence_id_for(case_id: str, item_code: str) -> str:
    """Deterministic: the same approved item always names the same licence."""
    return str(uuid5(NAMESPACE_URL, f"onething:licence:{case_id}:{item_code}"))


def licence_number(licence_type: str, licence_id: str, document_no: str | None) -> str:
    """证照编号: the department's document number when given, else ``<TYPE>-<12 hex of the id>``."""
    if document_no and document_no.strip():
        return document_no.strip()
    return f"{licence_type.upper()}-{licence_id.replace('-', '')[:12].upper()}"


@dataclass(frozen=True, slots=True)
class Validity:
    valid_from: datetime
    valid_until: datetime | None  # None: long-term (长期有效)

    @property
    def first_day(self) -> date:
        return china_date(self.valid_from)

    @property
    def last_day(self) -> date | None:
        return None if self.valid_until is None else china_date(self.valid_until)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def validity(issued_at: datetime, valid_years: int | None) -> Validity:
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    if valid_years is None:
        return Validity(issued_at, None)
    last_day = _years_later(china_date(issued_at), valid_years) - timedelta(days=1)
    return Validity(issued_at, datetime.combine(last_day, time(23, 59, 59), CHINA_TZ))


_TRANSITIONS: dict[tuple[LicenceState, StatusAction], LicenceState] = {
    (LicenceState.ACTIVE, StatusAction.REVOKE): LicenceState.REVOKED,
    (LicenceState.SUSPENDED, StatusAction.REVOKE): LicenceState.REVOKED,
    (LicenceState.ACTIVE, StatusAction.SUSPEND): LicenceState.SUSPENDED,
    (LicenceState.SUSPENDED, StatusAction.REINSTATE): LicenceState.ACTIVE,
}


def next_state(current: LicenceState, action: StatusAction) -> LicenceState:
    """The state after ``action``; :class:`StatusChangeRefused` when the current state does not allow it."""
    try:
        return _TRANSITIONS[(current, action)]
    except KeyError:
        if current is LicenceState.REVOKED:
            text = MESSAGES.text("revocation_final")
        else:
            text = MESSAGES.text("status_change_not_allowed", state=current.value, action=action.value)
        raise StatusChangeRefused(text.zh, text.en) from None


def may_change_status(principal: str, issuer_department: str) -> bool:
    """Only the issuing department revokes, suspends or reinstates its licences."""
    return principal == department_principal(issuer_department)


def may_read_archive(principal: str, readers: list[str]) -> bool:
    """Whether ``principal`` matches one of the configured reader patterns (``dept.*``, ``intake``)."""
    return any(fnmatchcase(principal, pattern) for pattern in readers)


def masked_holder_id(holder_id: str) -> str:
    """A holder's ID number as a printed licence and a verification show it: the first six and last four
    characters (``430102********0011``); an id of ten characters or fewer as it is (an enterprise's 统一社会信用代码
    has 18, a person's ID number 18)."""
    return holder_id[:6] + "*" * max(len(holder_id) - 10, 0) + holder_id[-4:] if len(holder_id) > 10 else holder_id


def masked_holder_name(name: str, holder_id: str) -> str:
    """A holder's name as a public verification shows it. A person's (the holder id shaped like a resident ID
    number): the first character, the rest starred, however long (张小明 → 张**, 阿卜杜热合曼·买买提 → 阿*********).
    An enterprise's (any other holder id, e.g. a 统一社会信用代码) of more than eight characters keeps its first four
    and last two (长沙某某……公司), so a counter clerk can tell which company it is."""
    name = name.strip()
    if len(name) > 8 and not looks_like_resident_id(holder_id):
        return name[:4] + "*" * (len(name) - 6) + name[-2:]
    return name[:1] + "*" * (len(name) - 1)
