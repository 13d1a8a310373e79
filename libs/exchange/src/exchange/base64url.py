"""base64url without padding (RFC 4648 §5): how signatures and raw keys are written in envelopes and key lists."""

from __future__ import annotations

import base64

__all__ = ["b64", "unb64"]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
