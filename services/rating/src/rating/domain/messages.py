"""好差评服务的消息目录 (the rating service's message catalogue): every text it shows people, zh-CN and English."""

from __future__ import annotations

from exchange.messages import Messages

__all__ = ["MESSAGES"]

MESSAGES = Messages({
    # Invitations to rate (评价邀请): the applicant reads them. The bundle's name is given in each language.
    "rating_invited_at_acceptance": ("您申请的「{bundle}」已受理（办件编号 {case_id}），请对受理服务进行评价",
                                     "Your application '{bundle}' was accepted (case {case_id}); "
                                     "please rate the service at acceptance"),
    "rating_invited_at_delivery": ("您的办件 {case_id} 已办结送达，请对本次一件事办理及各部门服务进行评价（一事多评）",
                                   "Case {case_id} is done and delivered; please rate the one-thing and each department"),
    # A bad review's rectification order (差评整改单): the answerable department reads it. ``rated`` is, in Chinese,
    # what was rated and the level it got; in English, the touchpoint's code.
    "rectification_opened": ("差评整改：办件 {case_id} 的{rated}，请{department}于 {days} 个工作日内核实整改并反馈",
                             "Bad review of case {case_id} ({rated}): {department} to rectify and "
                             "report back within {days} working days"),
    # Refusals (domain.errors; the HTTP status is decided in entrypoints.errors): applicants, department staff and
    # supervisors read them.
    "request_refused": ("无法处理该请求", "the request cannot be accepted"),
    "case_not_found": ("未找到该办件", "case not found"),
    "touchpoint_not_invited": ("该环节尚未邀请评价（办件未受理或未送达，或事项不在办件中）",
                               "this touchpoint was not invited for rating (case not accepted or delivered, "
                               "or no such item)"),
    "touchpoint_rated_already": ("该环节已评价，一事一号一评价", "this touchpoint was rated already (one rating per touchpoint)"),
    "order_not_found": ("未找到该整改单或申诉", "rectification order or appeal not found"),
    "order_not_addressed_to_caller": ("只有被评价部门可以办理该整改单",
                                      "only the department the order is addressed to may act on it"),
    "not_a_supervisor": ("只有政务服务监督机构可以回访或复核申诉", "only the supervising body may call back or decide appeals"),
    "own_order": ("不得回访或复核本部门的整改单", "a department may not call back or decide appeals on its own orders"),
    "order_state_forbids_step": ("整改单当前状态不允许该操作", "the order's state does not allow this step"),
    # Refused at the HTTP edge by the route itself (entrypoints.api): a rating in someone else's name.
    "rate_as_yourself": ("只能以本人（或本人法人账号的企业）身份评价", "you may rate only as yourself or your enterprise"),
    # Steps the order's state does not allow (domain.rectification), each said precisely.
    "report_order_not_open": ("整改单不在整改中，不能反馈整改结果", "the order is not open for a report"),
    "call_back_before_report": ("部门尚未反馈整改结果，不能回访",
                                "the department has not reported yet; nothing to call back about"),
    "appeal_order_closed": ("整改单已办结，不能申诉", "the order is closed; no appeal"),
    "appeal_filed_already": ("每张整改单只能申诉一次", "an order may be appealed once"),
    "no_appeal_pending": ("没有待复核的申诉", "no appeal is waiting for a decision"),
})
