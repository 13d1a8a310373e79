"""Deterministic draws for the simulators: the same parts always give the same number in [0, 1)."""

from __future__ import annotations

import hashlib

__all__ = ["unit"]


def unit(*parts: str) -> float:
    """A number in [0, 1) from the sha256 of the parts joined by ``|``."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
