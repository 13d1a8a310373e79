"""数据最小化 (PIPL art. 6): a department is sent what its item needs of the one form, and nothing more.

The one form (一表申请) is the union of every selected item's fields; each item's department reads only its own
(the catalogue says which, per item). The applicant's identity goes to every department: each decides for them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

__all__ = ["form_for_item"]


def form_for_item(form: Mapping[str, str], fields: Collection[str] | None) -> dict[str, str]:
    """The item's part of the one form; the whole form when the item states no fields (older dossiers)."""
    if fields is None:
        return dict(form)
    return {name: value for name, value in form.items() if name in fields}
