"""电子监察的消息目录 (supervision's message catalogue): every text supervision shows people, zh-CN and English.

A value may be a :class:`~exchange.messages.Text`: each language then gets its own side (a department's name, a phrase
made from another entry), so ``department=Text(dept.name_zh, dept.name_en)`` reads right in both.
"""

from __future__ import annotations

from exchange.messages import Messages

__all__ = ["MESSAGES"]


MESSAGES = Messages({
    # What a clock's card and order are about (``what`` below).
    "clock_of_item": ("办件 {case_id} 事项 {item_code}", "case {case_id} item {item_code}"),
    "clock_of_case": ("办件 {case_id} 一件事整体时限", "case {case_id} the whole case"),
    # Cards and supervision orders of an item's or the case's clock (红黄牌、督办单): the department's staff, the case's
    # staff and supervisors read them. ``department`` is the department's name in each language.
    # ``days_left`` is yellow_card_days_left in Chinese; the English card names no days left (its side is empty).
    "yellow_card": ("黄牌预警：{what}（{department}）将于 {due_on} 到期{days_left}",
                    "Yellow card: {what} ({department}) is due {due_on}{days_left}"),
    "yellow_card_days_left": ("，剩余 {left} 个工作日", ", {left} working days left"),
    "red_card": ("红牌：{what}（{department}）已超过办结期限 {due_on}，发出督办",
                 "Red card: {what} ({department}) is overdue since {due_on}"),
    "overdue_order": ("督办：请{department}于 {respond_by} 前办结{what}并说明超期原因",
                      "Supervision order: {department} to conclude {what} by {respond_by}"),
    # Cards and orders of a bad review's rectification order (差评整改): what they are about, then the texts.
    "rectification_of_item": ("办件 {case_id} 事项 {item_code} 的整改单（{department}）",
                              "the rectification order on case {case_id} item {item_code} ({department})"),
    "rectification_of_case": ("办件 {case_id} 的整改单（{department}）",
                              "the rectification order on case {case_id} ({department})"),
    "rectification_warning": ("差评整改预警：{what}将于 {due_on} 到期，剩余 {left} 个工作日",
                              "Rectification warning: {what} is due {due_on}, {left} working days left"),
    "rectification_overdue": ("差评整改超期：{what}已超过整改期限 {due_on}，发出督办",
                              "Rectification overdue: {what} is overdue since {due_on}"),
    "rectification_order": ("督办：请{department}于 {respond_by} 前完成办件 {case_id} 的差评整改并反馈",
                            "Supervision order: {department} to complete the rectification on case {case_id} and "
                            "report by {respond_by}"),
    # A request beyond the published list (清单外, R-04): the red card. ``what`` is one of the two kinds below.
    "material": ("材料", "material"),
    "form_field": ("表单字段", "field"),
    # ``reason`` is beyond_list_reason in Chinese: the department's own reason, which it gives in Chinese; the English
    # card names none (its side is empty).
    "beyond_list_card": ("红牌：{department}在事项 {item_code} 预审中要求清单外{what}「{code}」{reason}",
                         "Red card: {department} asked for {what} '{code}' beyond the published list of "
                         "{item_code}{reason}"),
    "beyond_list_reason": ("（{reason}）", " ({reason})"),
    # The forced stop (强制停止) of such a request. The English names no material or field: its side of ``what`` is
    # empty.
    "beyond_list_order": ("强制停止：{department}不得在事项 {item_code} 中要求清单外{what}「{code}」，该要求已撤销，"
                          "办件按清单继续办理",
                          "Forced stop: {department} may not ask for {what}'{code}' on {item_code}; the request is "
                          "withdrawn and the case continues by the published list"),
    # A department request nobody receipted (无法送达): the yellow card. ``what`` is one of the two kinds below.
    "review_request": ("预审请求", "review request"),
    "handling_request": ("办理请求", "handling request"),
    "request_undeliverable": ("无法送达：{department}未签收办件 {case_id} 事项 {item_code} 的{what}（已发送 {sends} 次），"
                              "请核查部门系统并人工重发（请求编号 {request_id}）",
                              "Undeliverable: {department} did not receipt the {what} of case {case_id} item "
                              "{item_code} (sent {sends} times); check the department's system and re-drive request "
                              "{request_id}"),
    "callback_parked": ("回调无法送达：接入网关推送{department}办件 {case_id} 事项 {item_code} 的{what}（{attempts} 次）"
                        "均失败，请部门核查其接收接口并在网关重投（请求编号 {request_id}）",
                        "Callback undeliverable: the gateway's {attempts} pushes of the {what} of case {case_id} item "
                        "{item_code} to {department} all failed; the department should check its endpoint and re-drive "
                        "request {request_id} at the gateway"),
    # Repetitions flagged for inspection (SUP-05): supervisors read them, in Chinese only.
    "resubmitted": ("重复申请：申请人已有未办结的办件 {other_case_id} 含相同事项 {items}",
                    "Resubmitted: the applicant already has open case {other_case_id} with the same items {items}"),
    "asked_again": ("重复索要：{department}要求申请人提交平台已共享获取的材料「{code}」",
                    "Asked again: {department} asked the applicant for material '{code}', which the platform already "
                    "obtains by sharing"),
    # Reasons in a clock's ledger (计时台账), on the case's timeline: in Chinese only.
    "awaiting_correction": ("等待申请人补正（第 {round} 轮，{count} 处）",
                            "Waiting for the applicant's correction (round {round}, {count} deficiencies)"),
    "correction_filed": ("申请人已补正，恢复计时", "The applicant has made the correction; the clock runs again"),
    "calendar_changed": ("工作日历调整，重新计算办结期限", "The working calendar changed; the due date is counted again"),
    # Who holds a case up (adapters.views, blocking_department_zh) when it is the applicant: in Chinese only.
    "blocking_applicant": ("申请人（待补正）", "the applicant (awaiting correction)"),
    # Refusals at the HTTP edge (entrypoints.errors, and the routes themselves): supervisors, department staff and
    # operators read them.
    "clock_not_found": ("未找到该计时", "no such clock"),
    "refused": ("请求被拒绝", "refused"),
    "case_clocks_not_found": ("未找到该办件的计时", "no clocks for this case"),
    "clock_control_off": ("未启用时钟控制（ONETHING_CLOCK_CONTROL）", "clock control is off (ONETHING_CLOCK_CONTROL)"),
    "extension_beyond_calendar": ("延期后的到期日超出日历范围（9999-12-31 之后），无法延期",
                                  "the extended due date would fall after 9999-12-31"),
    "clock_beyond_calendar": ("监察时钟不能拨到 {latest} 之后", "the clock cannot move past {latest}"),
})
