"""电子证照服务的消息目录 (the licence service's message catalogue): every text it shows people, zh-CN and English."""

from __future__ import annotations

from exchange.messages import Messages

__all__ = ["MESSAGES"]

MESSAGES = Messages({
    # Status changes the licence's present state does not allow: the issuing department's staff read them.
    "revocation_final": ("证照已撤销，撤销不可恢复", "the licence is revoked; revocation is final"),
    "status_change_not_allowed": ("证照当前状态为「{state}」，不能执行「{action}」",
                                  "a licence that is {state} cannot be {action}d"),
    # Refusals at the HTTP edge (entrypoints.errors, and the routes themselves).
    "licence_not_found": ("未找到该电子证照", "licence not found"),
    "not_the_issuer": ("只有签发机关可以变更证照状态", "only the issuing department may change a licence's status"),
    "refused": ("请求被拒绝", "refused"),
    "status_list_not_found": ("无此状态列表", "no such status list"),
    # ``subject`` is the caller, named in the English only: its zh-CN side is empty (``Text("", subject)``).
    "archive_read_forbidden": ("{subject}无权查阅证照档案", "{subject} may not read licence archives"),
    # The English answer is the QR carrier's own problem (CarrierError), so this English is not shown yet.
    "qr_unreadable": ("二维码内容无法识别", "the QR payload cannot be read"),
    # What was presented for verification (POST /verify/document) carries no licence; the English adds the reason.
    "document_unreadable": ("未能读出电子证照：请提供证照二维码内容（以 OT1: 开头）、证照 JSON 或证照 PDF",
                            "no licence could be read: give the QR payload (starting OT1:), the credential JSON or "
                            "the licence PDF"),
    # A presented licence's present state, as its verification found it (service_layer.presented).
    "state_active": ("有效", "in force"),
    "state_suspended": ("已暂停使用", "suspended"),
    "state_revoked": ("已撤销", "revoked"),
    "state_expired": ("已过有效期", "expired"),
    "state_not_yet_valid": ("尚未生效", "not yet in force"),
    "state_unknown": ("状态未能确认", "status not confirmed"),
    # The purpose recorded with a holder's read of their own licences (档案查阅记录): recorded in zh-CN only, the
    # English is not shown yet.
    "own_read_purpose": ("持证人本人查阅", "read by the holder"),

    # --- The printable licence (adapters.printable): whoever holds or checks the paper reads it. A label is printed
    # zh-CN first, then English ("证照编号 Licence No."); a date or validity zh-CN first, then English in brackets.
    "printable_heading": ("电子证照", "Electronic Licence"),
    "printable_subject": ("电子证照", "Electronic licence"),  # the PDF's subject (document properties)
    "printable_creator": ("一件事", "OneThing"),  # the PDF's creator, printed English first ("OneThing 一件事")
    "printable_attachment": ("机器可读电子证照", "Machine-readable licence credential"),  # credential.json's description
    "printable_number": ("证照编号", "Licence No."),
    "printable_holder": ("持证人", "Holder"),
    "printable_holder_id": ("证件号码", "ID No."),
    "printable_issuer": ("签发机关", "Issued by"),
    "printable_issued_on": ("签发日期", "Date of issue"),
    "printable_validity": ("有效期", "Valid"),
    "printable_case_id": ("办件编号", "Case No."),
    "printable_item_code": ("事项编码", "Item code"),
    "printable_date": ("{year}年{month}月{day}日", "{year:04}-{month:02}-{day:02}"),  # the English is ISO 8601
    # ``start`` and ``end`` are dates (printable_date) in each language.
    "printable_valid_long_term": ("{start}起 长期", "long-term, from {start}"),
    "printable_valid_between": ("{start}至{end}", "{start} – {end}"),
    "printable_scan_to_verify": ("扫码验真", "Scan to verify"),
    "printable_footer": ("本电子证照由签发机关电子签名，可离线验证。",
                         "This electronic licence is digitally signed by the issuing authority and can be verified "
                         "offline."),
})
