"""电子证照服务的消息目录 (the licence service's message catalogue): every text it shows people, zh-CN and English."""

from __future__ import annotations

from exchange.messages import Messages

__all__ = ["MESSAGES"]

MESSAGES = Messages({
    # Status changes the licence's present state does not allow: the issuing department's staff read them.
    "revocation_final": ("证照已撤销，撤销不可恢复", "the licence is revoked; revocation is final"),
    "status_change_not_allowed": ("证照当前状态为「{state}」，不能执行「{action}」",
                                  "a licence that is {state} cannot be {action}d"),
    # Refusals at the HTTP edge (entrypoints.errors).
    "licence_not_found": ("未找到该电子证照", "licence not found"),
    "not_the_issuer": ("只有签发机关可以变更证照状态", "only the issuing department may change a licence's status"),
    "refused": ("请求被拒绝", "refused"),
})
