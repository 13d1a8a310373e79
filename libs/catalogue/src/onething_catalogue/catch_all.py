"""Catch-all wording (兜底条款, R-02): a material or condition that lets a window ask for anything.

「申请材料中原则上不得出现“其他材料”“有关材料”等兜底性要求」 (seeds 000_1e07c522cd7ad981.txt); catch-all
clauses such as 「法律、行政法规规定的其他条件」「其它有关材料」 must be refined (004_4782df54e54022dd.txt).

A list of exact phrases is dodged by other wording (其他有关证明文件, 其它所需资料) or by spaces between the
characters (其 他 材 料), so the text is normalised first and then matched against patterns:

* a material that names no document: 其他/其它/其余 … a document noun (材料, 资料, 证明, 文件, 证件, 凭证, 手续);
  有关/相关/所需/必要 … document noun (有关材料, 相关证明材料, 所需资料); or what someone else decides
  (审批机关要求提供的材料, 申请人认为需要的文件);
* a condition that names no requirement: 其他条件 (and 规定的其他条件), 有关条件, 相关条件.

A specific document stays allowed although it contains such a word: 「符合有关技术标准、规范要求的设计和施工方案」
names the plan it asks for. Pure.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["is_catch_all_condition", "is_catch_all_material", "normalise_wording"]

_DOCUMENT = "(?:材料|资料|证明|文件|证件|凭证|手续)"
_OTHER = "其[他它余]"
_CATCH_ALL_MATERIAL = re.compile(
    "|".join((
        f"{_OTHER}.*{_DOCUMENT}",  # 其他材料, 其它有关证明文件, 其他必要的资料
        f"(?:有关|相关|所需|必要|必需|必须)的?(?:证明)?{_DOCUMENT}",  # 有关材料, 相关证明材料, 所需资料
        f"(?:要求|认为|需要|规定)(?:(?:提交|提供|补充|补交|出具)的?|的){_DOCUMENT}",  # 审批机关要求提供的材料
    ))
)
_CATCH_ALL_CONDITION = re.compile(f"{_OTHER}(?:有关|相关|必要)?的?条件|(?:有关|相关)(?:规定|要求)?的?条件")
# Unicode categories dropped before matching: separators (incl. the full-width space), punctuation, symbols,
# control and format characters (tabs, line breaks, zero-width spaces).
_DROPPED = ("Z", "P", "S", "Cc", "Cf")


def normalise_wording(text: str) -> str:
    """NFKC, then only letters and digits: 「其 他、有关 证明」 reads as 其他有关证明."""
    return "".join(c for c in unicodedata.normalize("NFKC", text)
                   if not unicodedata.category(c).startswith(_DROPPED))


def is_catch_all_material(name_zh: str) -> bool:
    return _CATCH_ALL_MATERIAL.search(normalise_wording(name_zh)) is not None


def is_catch_all_condition(condition_zh: str) -> bool:
    return _CATCH_ALL_CONDITION.search(normalise_wording(condition_zh)) is not None
