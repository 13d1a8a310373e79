"""受理服务的消息目录 (intake's message catalogue): every text intake shows people, zh-CN and English.
Where a value differs by language (an item's name, a reason), each language is formatted with its own value."""

from __future__ import annotations

from exchange.messages import Messages

__all__ = ["MESSAGES"]

MESSAGES = Messages({
    # --- Item and case status labels (domain.case); the English of an item's status is the status code.
    "item_status_waiting": ("等待办理", "waiting"),
    "item_status_released": ("部门办理中", "released"),
    "item_status_approved": ("已办结（准予）", "approved"),
    "item_status_rejected": ("已办结（不予）", "rejected"),
    "item_status_not_processed": ("未办理（前置事项未通过）", "not_processed"),
    # Only the zh-CN is shown (status_zh); the API gives the English reader the status code.
    "case_status_accepted": ("已受理", "accepted"),
    "case_status_in_progress": ("办理中", "in progress"),
    "case_status_awaiting_correction": ("待补正", "awaiting correction"),
    "case_status_delivered": ("已送达", "delivered"),

    # --- The one notice at delivery (统一反馈, domain.case.notice_texts): the applicant reads it.
    "notice_all_approved": ("您申请的「{bundle}」（办件编号 {case_id}）已全部办结：准予 {approved} 项。办理结果{how}。",
                            "Your '{bundle}' case {case_id} is complete: {approved} item(s) approved. "
                            "The result is {how}."),
    "notice_some_not_approved": ("您申请的「{bundle}」（办件编号 {case_id}）已全部办结：准予 {approved} 项，"
                                 "未准予 {not_approved}。办理结果{how}。",
                                 "Your '{bundle}' case {case_id} is complete: {approved} item(s) approved, "
                                 "not approved: {not_approved}. The result is {how}."),
    "notice_item_outcome": ("{item}（{status}）", "{item} ({status})"),
    "result_mailed": ("已免费寄递，请注意查收", "sent to you by free mail"),
    "result_at_window": ("请到综合窗口一次领取", "ready for collection at the comprehensive window"),

    # --- The case timeline (进度, domain.model and service_layer.applications): applicant and clerk read it.
    "accepted": ("「{bundle}」已受理，共 {count} 项，承诺 {days} 个工作日内办结（{due}）",
                 "'{bundle}' accepted with {count} item(s), due in {days} working days ({due})"),
    "prefill_changed": ("申请人修改了共享数据预填的字段：{fields}", "The applicant changed pre-filled fields: {fields}"),
    "delegated": ("网上代办，依申请人委托授权 {delegation_id}",
                  "Applied online by the proxy under the applicant's authorisation {delegation_id}"),
    # The timeline shows the commitment's own text in zh-CN (commitment_tolerance, commitment_notification);
    # this zh-CN is not shown yet.
    "commitment_recorded": ("已记录材料 {code} 的承诺，{due} 到期", "Commitment recorded for material {code}, due {due}"),
    "proxy_handled": ("帮办代办：{name}（{role}），{terms}", "Handled by proxy {name} ({role}); {terms}"),
    # The English {terms} of proxy_handled; the zh-CN one is the proxy's reason (proxy_free, proxy_not_free), so
    # these zh-CN are not shown yet.
    "proxy_fee_free": ("免费", "free"),
    "proxy_fee_agreed": ("费用按代办协议", "fee per agreement"),
    "corrected": ("申请人已一次补正（第 {round} 轮），办理时限暂停 {paused} 个工作日，恢复计时",
                  "Correction round {round} supplied; the clock paused {paused} working day(s) and runs again"),
    "supplemented": ("容缺材料已补齐：{materials}", "Outstanding materials supplied: {materials}"),
    "reviewed": ("各部门预审通过，进入办理", "Every department's review passed; handling starts"),
    "reviewed_by_window": ("窗口一次性初审通过，进入办理", "The window's preliminary review passed; handling starts"),
    "reviewed_with_window": ("窗口初审与各部门预审通过，进入办理",
                             "The window's and the departments' preliminary reviews passed; handling starts"),
    "handed_over": ("窗口出件：全部结果已一次当面交付{collector}（窗口 {window}，工号 {staff}）",
                    "Handed over at window {window} (staff {staff}) to {collector}, every result at once"),
    "collector_applicant": ("申请人本人", "the applicant in person"),
    "collector_proxy": ("帮办代办人{name}", "the proxy {name}"),
    "correction_requested": ("一次性补正告知（第 {round} 轮，共 {count} 处）：{deficiencies}。办理时限暂停。",
                             "One correction notice (round {round}, {count} point(s)): {deficiencies}. "
                             "The clock is paused."),
    "deficiency": ("{code}（{department}）：{reason}", "{code} ({department}): {reason}"),
    "released": ("「{item}」已推送{department}办理（法定时限 {statutory} 个工作日 / 承诺时限 {promised} 个工作日）",
                 "'{item}' sent to {department} (statutory limit {statutory} working days / promised {promised})"),
    "item_concluded": ("「{item}」{status}", "'{item}' {status}"),
    "item_concluded_because": ("「{item}」{status}：{reason}", "'{item}' {status}: {reason}"),
    # 即审即办: an on-the-spot item its department decided with the preliminary review (no handling round)
    "decided_at_review": ("即审即办，{text}", "Decided on the spot with its review: {text}"),
    "licence_issued": ("电子证照已签发：{number}", "Electronic licence issued: {number}"),
    "licence_revoked": ("电子证照已被撤销：{reason}", "Electronic licence revoked: {reason}"),
    "licence_suspended": ("电子证照已被暂停：{reason}", "Electronic licence suspended: {reason}"),
    "licence_active": ("电子证照已恢复有效：{reason}", "Electronic licence reinstated: {reason}"),
    "due_resumed": ("恢复计时，办结期限顺延至 {due}", "The clock runs again; due {due}"),
    # An extension's reason comes in zh-CN only: the English says the extension without it (due_extended).
    "due_extended": ("办结期限经批准延长 {days} 个工作日至 {due}",
                     "Time limit extended by {days} working day(s) with approval; due {due}"),
    "due_extended_because": ("办结期限经批准延长 {days} 个工作日至 {due}：{reason}",
                             "Time limit extended by {days} working day(s) with approval; due {due}: {reason}"),
    "due_reprojected": ("节假日安排调整，办结期限改为 {due}", "The holiday arrangement changed; due {due}"),
    "due_moved": ("办结期限改为 {due}", "Due {due}"),
    "delivered": ("办理结果已一次送达（{how}）", "Result delivered once ({how})"),
    "delivered_by_mail": ("免费寄递", "free mail"),
    "delivered_at_window": ("窗口领取", "window pick-up"),

    # --- 帮办代办 and 绿色通道 (domain.assistance).
    "free_circumstance_elderly": ("老年人", "elderly applicant"),
    "free_circumstance_weak": ("体弱", "frail applicant"),
    "free_circumstance_sick": ("患病", "sick applicant"),
    "free_circumstance_disabled": ("残疾人", "disabled applicant"),
    "free_circumstance_pregnant": ("孕妇", "pregnant applicant"),
    "free_circumstance_poor": ("困难家庭", "poor household"),
    "free_circumstance_not_in_centre": ("事项未进驻政务服务中心", "the item is not in the service centre"),
    "free_circumstance_multi_level": ("涉及上下级审批", "the item involves upper- or lower-level authority"),
    "proxy_free": ("免费帮办代办：{circumstances}", "free proxy handling: {circumstances}"),
    "proxy_not_free": ("不属于免费帮办代办情形，费用按代办协议", "not a free-proxy circumstance; fee per agreement"),
    "fast_track_refused": ("因{reason}被列入黑名单，终身不再享受绿色通道；本件按普通程序办理",
                           "blacklisted for {reason}: no fast track, ever; the case goes the ordinary way"),

    # --- The one-time notice (一次性告知, domain.notice): the applicant reads it before applying.
    "process_notice": ("一次告知：查看本告知单，备齐一套材料", "Read this notice and prepare the one set of materials"),
    "process_apply": ("一表申请：授权预填并确认一张表单，在任一渠道提交",
                      "Authorise pre-fill, confirm the one form, submit in any channel"),
    "process_review": ("预审：各部门（或受委托的综合窗口）同步预审，如需补正一次性告知",
                       "Every department (or the window it entrusted) reviews at once; any correction is asked once"),
    "process_dispatch": ("受理与分办：一次分办至各部门，并联事项同步办理",
                         "One dispatch to every department; parallel items run at once"),
    "process_handle": ("办理：前置事项办结后自动推送后续事项", "A sequential item starts when its prerequisites are done"),
    "process_deliver": ("出件：全部结果一次送达（窗口领取或免费寄递）", "Every result delivered once (window or free mail)"),
    "process_rate": ("评价：办完即评（好差评）", "Rate the service when it is done"),
    "deadline_rule": ("并联办理取各事项时限最长者；串联办理不超过法定时限之和的 {percent}%（工作日，至少 1 个工作日），"
                      "并按各事项法定时限分配为各事项的承诺时限",
                      "parallel items take the longest limit; a sequential chain at most {percent}% of the sum "
                      "(working days, at least one), shared out over its items as their promised limits"),
    "channels": ("综合窗口、网上办事大厅、移动端、自助终端、12345热线，同一标准受理",
                 "window, portal, mobile, kiosk and the 12345 hotline, one standard everywhere"),
    "proxy_free_circumstances": ("以下情形帮办代办免费：{circumstances}", "proxy handling is free for: {circumstances}"),

    # --- Sub-item selection (domain.selection).
    "nothing_selected": ("请至少选择一个事项", "select at least one item"),
    "unknown_item": ("事项 {code} 不属于「{bundle}」", "item {code} is not part of '{bundle}'"),
    "added_prerequisite": ("已自动加选「{item}」：它是「{cause}」的前置事项",
                           "'{item}' was added: '{cause}' needs its result first"),
    "added_together": ("已自动加选「{item}」：依法须与「{cause}」一并办理",
                       "'{item}' was added: the law requires it together with '{cause}'"),

    # --- The one form (domain.form) and the applicant's identifier (domain.identity).
    "field_missing": ("请填写{label}", "{label} is required"),
    "unexpected_field": ("所选事项不需要字段 {name}", "field {name} is not used by the selected items"),
    "date_invalid": ("{label}应为 YYYY-MM-DD 格式的日期", "{label} must be a date YYYY-MM-DD"),
    "date_in_future": ("{label}不能晚于今天", "{label} cannot be in the future"),
    "not_an_option": ("{label}只能是：{allowed}", "{label} must be one of: {allowed}"),
    "not_a_number": ("{label}应为数字", "{label} must be a number"),
    "phone_invalid": ("{label}应为手机号码或区号加固定电话", "{label} must be a phone number"),
    "identifier_invalid": ("{label}：{problem}", "{label}: {problem}"),
    "applicant_not_organisation": ("本一件事由企业或组织申请：{problem}",
                                   "this one-thing is applied for by an organisation: {problem}"),
    "applicant_not_person": ("本一件事由个人申请：{problem}", "this one-thing is applied for by a person: {problem}"),

    # --- The one set of materials (domain.materials).
    "unknown_material": ("所选事项不需要材料 {code}", "material {code} is not needed by the selected items"),
    "material_shared": ("「{name}」由部门共享获取，无需提交", "'{name}' is obtained by data sharing; do not submit it"),
    "material_missing": ("请提交「{name}」{hints}", "'{name}' is required{hints}"),
    "hint_tolerable": ("；本材料可容缺受理", "; it may be supplied later (容缺)"),
    "hint_commitment": ("；可以书面承诺代替", "; a written commitment may replace it"),
    "document_missing": ("「{name}」缺少文件", "'{name}' has no document"),
    "not_tolerable": ("「{name}」不在容缺受理清单内，须当场提交",
                      "'{name}' is not on the 容缺 list and must be submitted now"),
    "commitment_not_allowed": ("「{name}」不适用告知承诺", "a commitment cannot replace '{name}'"),
    "provision_invalid": ("「{name}」须由申请人提交", "'{name}' must be submitted"),
    # A commitment's text (Commitment.text_zh) is recorded in zh-CN only; the English is not shown yet.
    "commitment_tolerance": ("申请人承诺于 {due} 前补齐「{name}」（容缺受理）",
                             "The applicant undertakes to supply '{name}' by {due} (容缺受理)"),
    "commitment_notification": ("申请人书面承诺符合「{name}」所证明的条件（告知承诺），{due} 前核查",
                                "The applicant declares in writing to meet the conditions '{name}' proves "
                                "(告知承诺), to be checked by {due}"),

    # --- A correction (domain.correction) and a 容缺 supplement (service_layer.corrections).
    "correction_field_missing": ("补正告知要求重新填写 {name}", "the correction notice asks for {name}"),
    "correction_material_missing": ("补正告知要求重新提交材料 {code}", "the correction notice asks for material {code}"),
    "correction_field_not_requested": ("{name} 已收取，无需重复提交（一次补正只补所缺）",
                                       "{name} is already held; supply only what the notice lists"),
    "correction_material_not_requested": ("材料 {code} 已收取，无需重复提交",
                                          "material {code} is already held; supply only what the notice lists"),
    "not_outstanding": ("材料 {code} 不是待补齐的容缺材料", "material {code} is not an outstanding 容缺 material"),
    "supplement_document_missing": ("材料 {code} 缺少文件", "material {code} has no document"),
    "supplement_missing": ("请提交待补齐的材料", "supply the outstanding materials"),

    # --- Where an application comes from (domain.origin): the caller reads the refusal.
    "kiosk_token_incomplete": ("自助终端的令牌须载明终端编号与渠道 kiosk",
                               "a kiosk's token names its terminal and the kiosk channel"),
    # ``channel`` is the token's, named in the English only: its zh-CN side is empty (``Text("", …)``).
    "token_channel_invalid": ("令牌中的受理渠道{channel}无效", "the token's channel {channel} is not a channel"),
    "taken_from_token": ("{name} 取自受理人员的登录凭据（{held}），不能另填", "{name} comes from your token ({held}); leave it out"),
    "self_service_channel": ("申请人自助申请的渠道只能是网上办事大厅或移动端",
                             "an applicant applies through the portal or the app"),
    "self_service_no_window": ("自助申请没有受理窗口和受理人员", "a self-service application has no window or staff"),
    "apply_as_yourself": ("只能以本人（或本人法人账号的企业）身份申请，或作为代办人为他人申请",
                          "you may apply only as yourself (or your 法人 account's enterprise), or as the proxy "
                          "of the person named"),
    "not_an_applying_role": ("仅限窗口人员、自助终端或申请人本人", "only a clerk, a kiosk or the applicants themselves"),

    # --- 委托授权 (domain.delegation).
    "delegation_to_self": ("不能委托本人", "you cannot authorise yourself"),
    "delegation_validity": ("授权有效期为 1 至 {max_days} 天", "an authorisation lasts 1 to {max_days} days"),

    # --- Accepting an application (service_layer.applications) and pre-fill (service_layer.drafts).
    "unknown_bundle": ("没有编号为 {code} 的一件事", "there is no one-thing with code {code}"),
    "window_id_missing": ("窗口或自助终端受理须记录窗口/终端编号", "a window or kiosk case records its window or kiosk id"),
    "staff_id_missing": ("窗口受理须记录受理人员", "a window case records its staff"),
    "delivery_address_missing": ("选择免费寄递时请填写寄递地址", "a mailing address is required for free mail delivery"),
    "reuse_needs_draft": ("复用电子证照须先授权查询（预填草稿）",
                          "reusing e-licences needs the authorised lookup of a pre-fill draft"),
    "prefill_not_confirmed": ("请申请人确认预填的表单内容", "the applicant must confirm the pre-filled form"),
    "draft_unknown": ("预填草稿不存在或不属于本申请人", "no such pre-fill draft for this applicant and one-thing"),
    "draft_used_for_case": ("该预填草稿已用于办件 {case_id}", "this draft was already used for case {case_id}"),
    "draft_used": ("该预填草稿已被使用", "this draft was already used"),
    "not_authorised": ("未经申请人授权，不调取共享数据预填表单",
                       "without the applicant's authorisation no shared data is looked up"),
    # The purpose a registry lookup carries (LookupAsked.purpose_zh): zh-CN only, the English is not shown yet.
    "lookup_purpose": ("预填「{bundle}」申请表", "pre-filling the '{bundle}' application form"),

    # --- Refusals at the HTTP edge (entrypoints.errors).
    "application_invalid": ("申请内容有误，请按提示修改后重新提交",
                            "The application has errors; correct them and submit again"),
    "idempotency_key_reused": ("幂等键 Idempotency-Key「{key_sent}」已用于内容不同的另一份申请：重试请原样提交，新的申请请换用新的幂等键",
                               "Idempotency-Key {key_sent!r} was already used for an application with another body: "
                               "retry with the same body, or send a new application with a new key"),
    "not_delegated": ("网上代办须先经申请人本人委托授权：请申请人登录后在“委托授权”中授权您办理此事（POST /delegations），"
                      "授权在有效期内可用",
                      "applying online for someone else needs their authorisation first: the applicant signs in and "
                      "authorises you (POST /delegations) for this one-thing or any, for up to 30 days"),
    "case_not_found": ("未找到该办件", "case not found"),
    "nothing_to_correct": ("该办件没有待答复的补正告知", "no correction notice of this case is open"),
    "nothing_to_hand_over": ("该办件尚未送达，或结果已免费寄递：没有要在窗口交付的结果",
                             "nothing to hand over at the window: the case is not delivered yet, or its results "
                             "were mailed"),
    "no_proxy_to_collect": ("该办件没有帮办代办人，结果由申请人本人领取", "the case has no proxy: the applicant collects"),
    "no_such_one_thing": ("没有该一件事", "no such one-thing"),
    "no_such_delegation": ("没有该委托授权", "no such authorisation"),
    "draft_not_found": ("未找到该草稿", "draft not found"),
    "authorise_for_yourself": ("只能以本人（或本人法人账号的企业）名义授权",
                               "you may authorise for yourself (or your enterprise) only"),
    "look_up_your_own": ("只能授权调取本人（或本人法人账号的企业）的信息",
                         "you may authorise the lookup of your own (or your enterprise's) data only"),
    "refused": ("请求被拒绝", "the request was refused"),
})
