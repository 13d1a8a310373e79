"""委托授权: an online proxy (网上帮办代办) applies for someone only with that person's own authorisation. Pure.

At the window a clerk sees both people and the signed 授权委托书; online nobody does, so the person named as
applicant grants the authorisation first, signed in as themselves (or with their 法人 account, for the
enterprise): which proxy, for which one-thing (or any), for how long. An application by a proxy whose
authorisation is missing, expired, revoked or for another one-thing is refused, saying what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from intake.domain.messages import MESSAGES

__all__ = ["MAX_VALID_DAYS", "Delegation", "Grant", "covers", "expiry", "grant_problem"]

MAX_VALID_DAYS = 30


@dataclass(frozen=True, slots=True)
class Grant:
    """An authorisation as recorded."""

    principal_id: str  # the applicant it speaks for
    proxy_id: str
    bundle_code: str | None  # None: any one-thing
    expires_at: datetime
    revoked_at: datetime | None = None


@dataclass
class Delegation:
    """委托授权 as the applicant granted it: its id, when, and whether it was revoked since."""

    delegation_id: str
    principal_id: str
    proxy_id: str
    bundle_code: str | None
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    @property
    def grant(self) -> Grant:
        return Grant(self.principal_id, self.proxy_id, self.bundle_code, self.expires_at, self.revoked_at)

    def revoke(self, now: datetime) -> None:
        """Revoked once: a second revocation keeps the first time."""
        if self.revoked_at is None:
            self.revoked_at = now


def grant_problem(principal_id: str, proxy_id: str, valid_days: int) -> tuple[str, str] | None:
    """Why an authorisation cannot be granted (zh, en), or None."""
    if principal_id == proxy_id:
        text = MESSAGES.text("delegation_to_self")
    elif not 1 <= valid_days <= MAX_VALID_DAYS:
        text = MESSAGES.text("delegation_validity", max_days=MAX_VALID_DAYS)
    else:
        return None
    return text.zh, text.en


def expiry(granted_at: datetime, valid_days: int) -> datetime:
    return granted_at + timedelta(days=valid_days)


def covers(grant: Grant, *, principal_id: str, proxy_id: str, bundle_code: str, now: datetime) -> bool:
    """Whether ``grant`` lets ``proxy_id`` apply for ``principal_id`` for ``bundle_code`` at ``now``."""
    return (grant.principal_id == principal_id and grant.proxy_id == proxy_id and grant.revoked_at is None
            and now < grant.expires_at and grant.bundle_code in (None, bundle_code))
