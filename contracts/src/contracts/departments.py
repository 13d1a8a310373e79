"""Departments on the exchange (部门). Each has a request topic and a signing principal.

The code is the routing key used in topic names and key ids (``dept.<code>``); it never changes once
a department is connected. Names are Chinese first, English beside.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = [
    "DEPARTMENTS",
    "Department",
    "department",
    "department_codes",
    "department_principal",
    "http_departments",
    "principal_department",
    "seal_principal",
]


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name_zh: str
    name_en: str


DEPARTMENTS: tuple[Department, ...] = (
    # 政府部门 government departments
    Department("approval", "行政审批服务局（政务服务中心）", "Administrative Approval Bureau (Government Service Centre)"),
    Department("health", "卫生健康委员会", "Health Commission"),
    Department("police", "公安局", "Public Security Bureau"),
    Department("medical-insurance", "医疗保障局", "Healthcare Security Administration"),
    Department("hrss", "人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    Department("market", "市场监督管理局", "Administration for Market Regulation"),
    Department("tax", "税务局", "Tax Bureau"),
    Department("housing-fund", "住房公积金管理中心", "Housing Provident Fund Centre"),
    Department("natural-resources", "自然资源和规划局", "Natural Resources and Planning Bureau"),
    Department("housing", "住房和城乡建设局", "Housing and Urban-Rural Development Bureau"),
    Department("housing-security", "住房保障服务中心", "Housing Security Centre"),
    Department("civil-affairs", "民政局", "Civil Affairs Bureau"),
    Department("education", "教育局", "Education Bureau"),
    Department("veterans", "退役军人事务局", "Veterans Affairs Bureau"),
    Department("justice", "司法局", "Justice Bureau"),
    Department("transport", "交通运输局", "Transport Bureau"),
    Department("urban-management", "城市管理综合执法局", "Urban Management and Law Enforcement Bureau"),
    Department("fire-rescue", "消防救援支队", "Fire and Rescue Detachment"),
    Department("civil-air-defence", "人民防空办公室", "Civil Air Defence Office"),
    Department("meteorology", "气象局", "Meteorological Bureau"),
    Department("national-security", "国家安全局", "National Security Bureau"),
    Department("development-reform", "发展和改革委员会", "Development and Reform Commission"),
    Department("public-resources", "公共资源交易中心", "Public Resource Trading Centre"),
    Department("industry-it", "工业和信息化局", "Industry and Information Technology Bureau"),
    Department("finance", "财政局", "Finance Bureau"),
    Department("financial-regulation", "地方金融监督管理局", "Local Financial Regulatory Bureau"),
    Department("financial-supervision", "国家金融监督管理总局分局", "National Financial Regulatory Administration branch"),
    Department("securities-regulation", "证券监督管理局", "Securities Regulatory Bureau"),
    Department("pbc", "中国人民银行分支机构", "People's Bank of China branch"),
    Department("commerce", "商务局", "Commerce Bureau"),
    Department("customs", "海关", "Customs"),
    Department("court", "人民法院", "People's Court"),
    Department("tobacco", "烟草专卖局", "Tobacco Monopoly Bureau"),
    Department("culture-tourism", "文化广电和旅游局", "Culture, Radio, Television and Tourism Bureau"),
    Department("press", "新闻出版局", "Press and Publication Bureau"),
    Department("agriculture", "农业农村局", "Agriculture and Rural Affairs Bureau"),
    Department("water-resources", "水利局", "Water Resources Bureau"),
    Department("ecology", "生态环境局", "Ecology and Environment Bureau"),
    Department("science-tech", "科学技术局", "Science and Technology Bureau"),
    Department("offices-admin", "机关事务管理局", "Government Offices Administration"),
    Department("disabled-federation", "残疾人联合会", "Disabled Persons' Federation"),
    # 公用企业与金融机构 utilities and banks (民生类服务事项 are catalogue citizens too)
    Department("power-supply", "供电公司", "Power Supply Company"),
    Department("water-supply", "供水公司", "Water Supply Company"),
    Department("gas-supply", "燃气公司", "Gas Company"),
    Department("bank", "开户银行", "Account Bank"),
)

_BY_CODE = {d.code: d for d in DEPARTMENTS}


def department(code: str) -> Department:
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown department code {code!r} (未知部门)") from None


EVERY_DEPARTMENT = "*"


def department_codes(text: str) -> frozenset[str] | None:
    """A setting that names departments: known codes separated by commas (``""``: none), or ``*`` alone for every
    department (None). ValueError for anything else: a mistyped code would silently leave its department out."""
    codes = frozenset(code.strip() for code in text.split(",") if code.strip())
    if EVERY_DEPARTMENT in codes:
        if len(codes) > 1:
            raise ValueError(f"{EVERY_DEPARTMENT!r} (every department) stands alone, not beside department codes")
        return None
    unknown = sorted(code for code in codes if code not in _BY_CODE)
    if unknown:
        raise ValueError(f"unknown department code {', '.join(map(repr, unknown))} (未知部门)")
    return codes


def department_principal(code: str) -> str:
    """The key id a department signs its results with."""
    return f"dept.{code}"


def principal_department(principal: str) -> str | None:
    """The department code a principal speaks for; None for a service or registry principal."""
    return principal.removeprefix("dept.") if principal.startswith("dept.") else None


def seal_principal(code: str) -> str:
    """The key id of a department's electronic seal (电子印章), which signs its e-licences.

    Distinct from the department's exchange key: the seal is hosted by the platform's unified seal service
    (统一电子印章, LIC-10) inside the licence service, so the licence service can seal licences for the
    department without ever being able to speak for the department on the bus.
    """
    return f"seal.{code}"


def http_departments(value: object) -> dict[str, str | None]:
    """The departments that reach the exchange over HTTP through the department gateway (部门接入网关), each with
    its callback URL or None (it polls), from ``ONETHING_GATEWAY_DEPARTMENTS``: ``police,tax=https://tax.example/cb``,
    a JSON list of codes, or a JSON object ``{"tax": "https://…", "police": null}``. Read by the gateway, which
    serves them, and by the simulators, which then leave them alone."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith(("{", "[")):
            value = json.loads(text)
        else:
            pairs = [part.strip().split("=", 1) for part in text.replace("\n", ",").split(",") if part.strip()]
            value = {pair[0].strip(): (pair[1].strip() if len(pair) == 2 and pair[1].strip() else None)
                     for pair in pairs}
    if isinstance(value, list):
        value = dict.fromkeys(value)
    if not isinstance(value, dict):
        raise ValueError("expected codes, code=url pairs, a JSON list or a JSON object (部门接入网关配置格式有误)")
    served: dict[str, str | None] = {}
    for code, url in value.items():
        department(str(code))  # KeyError names an unknown code
        if url is not None and not str(url).startswith(("http://", "https://")):
            raise ValueError(f"callback of {code} must be an http(s) URL, not {url!r} (回调地址须为 http(s) 地址)")
        served[str(code)] = None if url is None else str(url)
    return served
