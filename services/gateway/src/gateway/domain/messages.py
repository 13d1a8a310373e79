"""部门接入网关的消息目录 (the department gateway's message catalogue): every text it shows people, zh-CN and English."""

from __future__ import annotations

from exchange.messages import Messages

__all__ = ["MESSAGES"]

MESSAGES = Messages({
    # Refusals of a department's call (domain.errors; the HTTP status is decided in entrypoints.errors): the
    # department's developer reads them.
    "request_not_addressed_to_department": ("本部门（{department}）没有编号为 {request_id} 的请求",
                                            "no request {request_id} was addressed to {department}"),
    # ``kind`` is one of the request kinds below, in each language.
    "answer_at_other_route": ("请求 {request_id} 是{kind}请求，请提交到 /departments/{department}/{route}",
                              "request {request_id} is a {kind} request: answer it at /departments/{department}/{route}"),
    "request_kind_review": ("预审", "review"),
    "request_kind_handling": ("办理", "handling"),
    "answered_differently": ("请求 {request_id} 已于 {answered_at} 答复，答复内容不同；同一请求只能答复一次",
                             "request {request_id} was answered differently at {answered_at}; a request is answered once"),
    "not_redrivable": ("只有投递已搁置（undeliverable）的请求可以重投；该请求状态为 {state}",
                       "only a request whose delivery is parked (undeliverable) can be re-driven; this one is {state}"),
    # The request does not match the API (422, entrypoints.errors): said above the list of fields at fault.
    "request_invalid": ("请求内容有误，请按提示修改后重新提交", "The request has errors; correct them and send it again"),
    # A field's problem our own rules find (entrypoints.api): a value error is answered with one message in both
    # languages, "zh-CN/ English".
    "rejection_needs_reason": ("不予许可须说明理由（reason_zh）", "a rejection states its reason (reason_zh)"),
    "decision_beside_deficiencies": ("预审有缺项时不得同时作出办理决定（先一次补正，R-14）",
                                     "a review that lists deficiencies gives no decision (the applicant corrects "
                                     "first, R-14)"),
    # Refused by the routes themselves (entrypoints.api, served_department): the department's developer reads them.
    "not_the_department": ("调用方 {caller} 不能代表部门 {department}：须以该部门密钥 dept.{department} 签名",
                           "{caller} may not act for department {department}: sign with dept.{department}"),
    "department_not_served": ("本网关未接入部门 {department}", "department {department} is not served by this gateway"),
})
