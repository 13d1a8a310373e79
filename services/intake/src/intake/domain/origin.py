"""Where an application comes from (受理来源): decided from the caller's token, never from the body.

A clerk (综合窗口或 12345 热线) or a self-service kiosk (自助终端) accepts for anyone who is present or calls, and
the channel, window (or kiosk) and staff id are the ones in its token; a kiosk then follows only the cases it
accepted. An applicant on the portal or the app (网上办事大厅、移动端)
applies only as themselves — as the applicant, as the proxy (帮办代办) of the person named (who must have
authorised them first: 委托授权, :mod:`intake.domain.delegation`), or, signed in with an enterprise's 法人
account, for that enterprise. Pure: the edge turns a :class:`Refusal` into 403 or 422.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.intake.v1 import Channel
from exchange.access.roles import Caller, Role

__all__ = ["Origin", "Refusal", "application_origin", "may_follow"]

_SELF_SERVICE = (Channel.PORTAL, Channel.MOBILE)


@dataclass(frozen=True)
class Origin:
    channel: Channel
    window_id: str | None
    staff_id: str | None
    online_proxy: bool = False  # an applicant applying as the proxy of the person named: their 委托授权 is needed


@dataclass(frozen=True)
class Refusal:
    status: int  # 403: not this caller's to do; 422: a body field contradicts the token
    field: str | None
    message_zh: str
    message_en: str


def application_origin(caller: Caller, *, channel: Channel | None, window_id: str | None, staff_id: str | None,
                       applicant_id: str, proxy_id: str | None) -> Origin | Refusal:
    """The channel, window and staff of an application ``caller`` submits; body values may repeat the
    token's, never differ from them."""
    if caller.has(Role.CLERK, Role.KIOSK):
        if caller.has(Role.KIOSK) and not caller.has(Role.CLERK) and (
                caller.channel != Channel.KIOSK or not caller.window_id):
            return Refusal(403, None, "自助终端的令牌须载明终端编号与渠道 kiosk",
                           "a kiosk's token names its terminal and the kiosk channel")
        if caller.channel not in (None, *Channel):
            return Refusal(403, None, "令牌中的受理渠道无效", f"the token's channel {caller.channel!r} is not a channel")
        origin = Origin(Channel(caller.channel or Channel.WINDOW), caller.window_id, caller.staff_id)
        for name, sent, held in (("channel", channel, origin.channel), ("window_id", window_id, origin.window_id),
                                 ("staff_id", staff_id, origin.staff_id)):
            if sent is not None and sent != held:
                return Refusal(422, name, f"{name} 取自受理人员的登录凭据（{held}），不能另填",
                               f"{name} comes from your token ({held}); leave it out")
        return origin
    if caller.has(Role.APPLICANT):
        if channel is not None and channel not in _SELF_SERVICE:
            return Refusal(422, "channel", "申请人自助申请的渠道只能是网上办事大厅或移动端",
                           "an applicant applies through the portal or the app")
        if window_id is not None or staff_id is not None:
            return Refusal(422, "window_id" if window_id is not None else "staff_id",
                           "自助申请没有受理窗口和受理人员", "a self-service application has no window or staff")
        if not (caller.speaks_for(applicant_id) or (proxy_id is not None and caller.id_number == proxy_id)):
            return Refusal(403, "applicant.id_number", "只能以本人（或本人法人账号的企业）身份申请，或作为代办人为他人申请",
                           "you may apply only as yourself (or your 法人 account's enterprise), or as the proxy "
                           "of the person named")
        return Origin(channel or Channel.PORTAL, None, None, online_proxy=not caller.speaks_for(applicant_id))
    return Refusal(403, None, "仅限窗口人员、自助终端或申请人本人", "only a clerk, a kiosk or the applicants themselves")


def may_follow(caller: Caller, applicant_id: str, proxy_id: str | None, *, accepted_at: str | None = None) -> bool:
    """Whether ``caller`` may read or answer for a case: staff who serve cases, the kiosk that accepted it
    (``accepted_at``: the case's window or kiosk), or its own applicant or proxy."""
    if caller.has(Role.CLERK, Role.SUPERVISOR, Role.OPERATOR):
        return True
    if caller.has(Role.KIOSK) and accepted_at is not None and accepted_at == caller.window_id:
        return True
    return caller.speaks_for(applicant_id) or (proxy_id is not None and caller.speaks_for(proxy_id))
