"""Where an application comes from (受理来源): decided from the caller's token, never from the body.

A clerk (综合窗口或 12345 热线) or a self-service kiosk (自助终端) accepts for anyone who is present or calls, and
the channel, window (or kiosk) and staff id are the ones in its token; a kiosk then follows only the cases it
accepted. An applicant on the portal or the app (网上办事大厅、移动端)
applies only as themselves — as the applicant, as the proxy (帮办代办) of the person named (who must have
authorised them first: 委托授权, :mod:`intake.domain.delegation`), or, signed in with an enterprise's 法人
account, for that enterprise. Pure: a :class:`Refusal` says what is wrong (:class:`OriginProblem`), and the HTTP
edge (``entrypoints.errors``) decides what it answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contracts.intake.v1 import Channel
from exchange.access.roles import Caller, Role
from exchange.messages import Text
from intake.domain.messages import MESSAGES

__all__ = ["Origin", "OriginProblem", "Refusal", "application_origin", "may_follow"]

_SELF_SERVICE = (Channel.PORTAL, Channel.MOBILE)


@dataclass(frozen=True)
class Origin:
    channel: Channel
    window_id: str | None
    staff_id: str | None
    online_proxy: bool = False  # an applicant applying as the proxy of the person named: their 委托授权 is needed


class OriginProblem(StrEnum):
    """What is wrong with where an application says it comes from."""

    KIOSK_INCOMPLETE = "kiosk_token_incomplete"  # a kiosk's token names no terminal or another channel
    CHANNEL_UNKNOWN = "token_channel_invalid"  # a clerk's token names no channel there is
    BODY_DIFFERS = "taken_from_token"  # the body gives a channel, window or staff other than the token's
    SELF_SERVICE_CHANNEL = "self_service_channel"  # an applicant names a channel other than the portal or the app
    SELF_SERVICE_NO_WINDOW = "self_service_no_window"  # an applicant names a window or staff
    NOT_ONESELF = "apply_as_yourself"  # an applicant applies for someone they may not apply for
    NOT_AN_APPLYING_ROLE = "not_an_applying_role"  # the caller is no clerk, kiosk or applicant


@dataclass(frozen=True)
class Refusal:
    problem: OriginProblem
    field: str | None  # the body field at fault, if one is
    message_zh: str
    message_en: str


def application_origin(caller: Caller, *, channel: Channel | None, window_id: str | None, staff_id: str | None,
                       applicant_id: str, proxy_id: str | None) -> Origin | Refusal:
    """The channel, window and staff of an application ``caller`` submits; body values may repeat the
    token's, never differ from them."""
    if caller.has(Role.CLERK, Role.KIOSK):
        if caller.has(Role.KIOSK) and not caller.has(Role.CLERK) and (
                caller.channel != Channel.KIOSK or not caller.window_id):
            return _refusal(OriginProblem.KIOSK_INCOMPLETE, None)
        if caller.channel not in (None, *Channel):
            return _refusal(OriginProblem.CHANNEL_UNKNOWN, None, channel=Text("", repr(caller.channel)))
        origin = Origin(Channel(caller.channel or Channel.WINDOW), caller.window_id, caller.staff_id)
        for name, sent, held in (("channel", channel, origin.channel), ("window_id", window_id, origin.window_id),
                                 ("staff_id", staff_id, origin.staff_id)):
            if sent is not None and sent != held:
                return _refusal(OriginProblem.BODY_DIFFERS, name, name=name, held=held)
        return origin
    if caller.has(Role.APPLICANT):
        if channel is not None and channel not in _SELF_SERVICE:
            return _refusal(OriginProblem.SELF_SERVICE_CHANNEL, "channel")
        if window_id is not None or staff_id is not None:
            return _refusal(OriginProblem.SELF_SERVICE_NO_WINDOW, "window_id" if window_id is not None else "staff_id")
        if not (caller.speaks_for(applicant_id) or (proxy_id is not None and caller.id_number == proxy_id)):
            return _refusal(OriginProblem.NOT_ONESELF, "applicant.id_number")
        return Origin(channel or Channel.PORTAL, None, None, online_proxy=not caller.speaks_for(applicant_id))
    return _refusal(OriginProblem.NOT_AN_APPLYING_ROLE, None)


def _refusal(problem: OriginProblem, field: str | None, **values: object) -> Refusal:
    text = MESSAGES.text(problem.value, **values)  # each problem's text is the catalogue's entry of that name
    return Refusal(problem, field, text.zh, text.en)


def may_follow(caller: Caller, applicant_id: str, proxy_id: str | None, *, accepted_at: str | None = None) -> bool:
    """Whether ``caller`` may read or answer for a case: staff who serve cases, the kiosk that accepted it
    (``accepted_at``: the case's window or kiosk), or its own applicant or proxy."""
    if caller.has(Role.CLERK, Role.SUPERVISOR, Role.OPERATOR):
        return True
    if caller.has(Role.KIOSK) and accepted_at is not None and accepted_at == caller.window_id:
        return True
    return caller.speaks_for(applicant_id) or (proxy_id is not None and caller.speaks_for(proxy_id))
