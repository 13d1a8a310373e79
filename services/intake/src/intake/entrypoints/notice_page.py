"""The printable one-time notice (一次性书面告知单), zh-CN, rendered from the notice document."""

from __future__ import annotations

from html import escape
from typing import Any

from contracts.workdays import PROVISIONAL_ZH

__all__ = ["render_notice"]

_STYLE = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
margin:2em auto;max-width:60em;color:#111;line-height:1.5}
h1{font-size:1.5em;text-align:center;margin-bottom:0}.sub{text-align:center;color:#555;margin-top:.2em}
h2{font-size:1.1em;border-left:4px solid #b22;padding-left:.5em;margin-top:1.5em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3em .5em;vertical-align:top}
th{background:#f3f3f3}.note{color:#555;font-size:.9em}
td:first-child,.materials td:nth-child(2),.items td:nth-child(5),.items td:nth-child(8){white-space:nowrap}
@media print{body{margin:0}h2{page-break-after:avoid}tr{page-break-inside:avoid}}
"""


def _e(value: object) -> str:
    return escape(str(value))


def _rows(rows: list[list[str]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)


def render_notice(notice: dict[str, Any]) -> str:
    items = notice["items"]
    item_rows = [[
        _e(i["code"]), _e(i["name_zh"]), _e(i["department"]["name_zh"]),
        "<br>".join(_e(c) for c in i["conditions_zh"]),
        f"法定时限 {i['time_limit_days']}<br>承诺时限 {i['promised_limit_days']}",
        _e(i["fee_zh"]), _e(i["result_zh"]), "<br>".join(_e(r) for r in i["requires"]) or "—", _e(i["legal_basis"]),
    ] for i in items]
    material_rows = []
    for n, m in enumerate(notice["materials"], 1):
        if m["submit"]:
            how = "申请人提交"
            how += "；可容缺受理（限期补齐）" if m["tolerable"] else ""
            how += "；可告知承诺代替" if m["commitment_allowed"] else ""
            how += f"；经申请人授权可用电子证照（{_e(m['licence']['name_zh'])}）免提交" if m.get("licence") else ""
        else:
            how = f"免提交，由{_e(m['shared_by']['name_zh'])}共享获取"
        material_rows.append([str(n), _e(m["code"]), _e(m["name_zh"]), how,
                              _e("、".join(x["name_zh"] for x in m["for_items"])), _e(m["legal_basis"])])
    form_rows = [[_e(f["label_zh"]), "必填" if f["required"] else "选填",
                  "经授权后自动预填" if f["prefill"] else "申请人填写"] for f in notice["form"]]
    added = "".join(f"<li>{_e(a['message_zh'])}</li>" for a in notice["added"])
    deadline = notice["deadline"]
    provisional, provisional_note = "", ""
    if deadline["due_on_provisional"]:  # the year's holiday arrangement is not yet published
        provisional = f"（{PROVISIONAL_ZH}）"
        provisional_note = (f"<p class=note>{_e(deadline['provisional_note_zh'])}"
                            f"（{_e(deadline['provisional_note_en'])}）</p>")
    process = "".join(f"<li>{_e(p['zh'])}</li>" for p in notice["process"])
    co = "、".join(c["name_zh"] for c in notice["co"])
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(notice['name_zh'])} 一次性告知单</title>
<style>{_STYLE}</style></head><body>
<h1>「{_e(notice['name_zh'])}」一次性告知单</h1>
<p class=sub>{_e(notice['name_en'])} · 目录版本 {_e(notice['catalogue_version'])} · 编号 {_e(notice['bundle_code'])}</p>
<p>牵头单位：{_e(notice['lead']['name_zh'])}；配合单位：{_e(co)}</p>
{f"<h2>自动加选的事项</h2><ul>{added}</ul>" if added else ""}
<h2>一、办理事项与受理条件</h2>
<table class=items><tr><th>编号</th><th>事项</th><th>办理部门</th><th>受理条件</th><th>时限<br>（工作日）</th><th>收费</th><th>办理结果</th>
<th>前置事项</th><th>设定依据</th></tr>{_rows(item_rows)}</table>
<h2>二、一套材料</h2>
<table class=materials><tr><th>序号</th><th>材料编号</th><th>材料名称</th><th>提交方式</th><th>用于事项</th><th>设定依据</th></tr>
{_rows(material_rows)}</table>
<p class=note>容缺材料须在受理后 {notice['tolerance_supplement_days']} 个工作日内补齐；告知承诺事项将在
{notice['commitment_verification_days']} 个工作日内核查，承诺不实的依法纳入失信记录。</p>
<h2>三、一张表单</h2>
<table><tr><th>字段</th><th>要求</th><th>来源</th></tr>{_rows(form_rows)}</table>
<h2>四、办结时限</h2>
<p>本次申请承诺 <b>{deadline['limit_days']}</b> 个工作日内办结（各事项法定时限合计 {deadline['statutory_days']} 个工作日）。
{_e(deadline['rule_zh'])}。如今日受理，预计 {_e(deadline['due_on_if_accepted_today'])}{provisional} 前办结；等待申请人补正期间暂停计时。</p>
{provisional_note}
<h2>五、收费</h2><p>合计 {notice['fees']['total_yuan']:g} 元。</p>
<h2>六、办理流程</h2><ol>{process}</ol>
<h2>七、渠道与帮办代办</h2><p>{_e(notice['channels_zh'])}。{_e(notice['proxy_free_zh'])}。</p>
</body></html>
"""
