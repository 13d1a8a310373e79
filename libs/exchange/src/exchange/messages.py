"""Message catalogues (消息目录): every text a service shows people, in zh-CN and English, in one place per service.

A service keeps its user-facing texts (timeline lines, notices, refusal reasons) in ``<service>/domain/messages.py``
as one :class:`Messages` catalogue, and its rules and edges ask for a text by key with the values to put in:
``MESSAGES.text("corrected", round=2, paused=3)`` gives a :class:`Text` with both languages. Nothing user-facing is
written inline, so a translator (or a service centre that words things its own way) reads and edits one file, and a
placeholder missing from one language is an error when the catalogue is built, not a wrong sentence at run time.
Pure: no I/O, so the domain may use it.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Messages", "Text", "listed"]


@dataclass(frozen=True, slots=True)
class Text:
    """One text in both languages."""

    zh: str
    en: str


def listed(texts: Iterable[Text]) -> Text:
    """Texts listed in each language's way: "、" between the zh-CN ones, ", " between the English ones."""
    texts = list(texts)
    return Text("、".join(t.zh for t in texts), ", ".join(t.en for t in texts))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Messages:
    """A catalogue: key → (zh-CN template, English template), ``str.format`` placeholders named alike in both."""

    def __init__(self, entries: Mapping[str, tuple[str, str]]) -> None:
        for key, (zh, en) in entries.items():
            if _fields(zh) != _fields(en):
                raise ValueError(f"message {key!r}: zh names {sorted(_fields(zh))}, en names {sorted(_fields(en))}")
        self._entries = dict(entries)

    def text(self, key: str, /, **values: Any) -> Text:
        """The text ``key`` with ``values`` put in; :class:`KeyError` for an unknown key or a missing value. A value
        that is itself a :class:`Text` (a department's name, a phrase from another entry) gives each language its
        own side."""
        zh, en = self._entries[key]
        return Text(zh.format(**{name: v.zh if isinstance(v, Text) else v for name, v in values.items()}),
                    en.format(**{name: v.en if isinstance(v, Text) else v for name, v in values.items()}))

    def keys(self) -> list[str]:
        return sorted(self._entries)
