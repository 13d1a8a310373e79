"""分办服务的消息目录 (dispatch's message catalogue): every text dispatch shows people, zh-CN and English."""

from __future__ import annotations

from exchange.messages import Messages

__all__ = ["MESSAGES"]

MESSAGES = Messages({
    # A task concluded unprocessed: the applicant reads it on the case timeline.
    "prerequisite_not_approved": ("前置事项未通过，本事项未办理",
                                  "A prerequisite item was not approved; this item was not processed"),
    # Refusals at the HTTP edge (entrypoints.errors, and the routes themselves): the operator or department staff
    # read them.
    "case_not_found": ("未找到该办件", "case not found"),
    "request_not_found": ("未找到该部门请求", "no such department request"),
    "redrive_answered": ("部门已答复该请求，无需重发",
                         "the department has answered this request already; nothing to re-drive"),
    "refused": ("请求被拒绝", "refused"),
    # The ops room (运维室): a case whose spans are not kept here.
    "trace_not_kept": ("没有办件 {case_id} 的本地链路（繁忙时每秒只采样少数办件；各进程只保留最近的链路；配置了 OTLP "
                       "时链路在采集端）",
                       "no spans of case {case_id} kept here (under load only a few cases a second are traced; each "
                       "process keeps its latest spans; with an OTLP endpoint they are at the collector)"),
    "no_broker": ("本服务未配置消息总线，无法提供事件流", "this process knows no broker to stream the case stream from"),
})
