"""What the gateway refuses, each with its message in Chinese and English (for the API's error bodies)."""

from __future__ import annotations


class GatewayRefusal(Exception):
    """A refusal the department can act on; ``status`` is the HTTP status it is answered with."""

    status = 409

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


class UnknownRequest(GatewayRefusal):
    status = 404

    def __init__(self, department: str, request_id: str) -> None:
        super().__init__(f"本部门（{department}）没有编号为 {request_id} 的请求",
                         f"no request {request_id} was addressed to {department}")


class WrongKind(GatewayRefusal):
    status = 409


class AnswerConflict(GatewayRefusal):
    status = 409


class NotRedrivable(GatewayRefusal):
    status = 409
