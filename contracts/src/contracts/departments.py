"""Departments on the exchange (部门). Each has a request topic and a signing principal.

The code is the routing key used in topic names and key ids (``dept.<code>``); it never changes once
a department is connected. Names are Chinese first, English beside.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEPARTMENTS", "Department", "department", "department_principal"]


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name_zh: str
    name_en: str


DEPARTMENTS: tuple[Department, ...] = (
    Department("health", "卫生健康委员会", "Health Commission"),
    Department("police", "公安局", "Public Security Bureau"),
    Department("medical-insurance", "医疗保障局", "Healthcare Security Administration"),
    Department("hrss", "人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    Department("market", "市场监督管理局", "Administration for Market Regulation"),
    Department("tax", "税务局", "Tax Bureau"),
    Department("housing-fund", "住房公积金管理中心", "Housing Provident Fund Centre"),
    Department("natural-resources", "自然资源和规划局", "Natural Resources and Planning Bureau"),
    Department("housing", "住房和城乡建设局", "Housing and Urban-Rural Development Bureau"),
    Department("civil-affairs", "民政局", "Civil Affairs Bureau"),
    Department("education", "教育局", "Education Bureau"),
    Department("utilities", "水电气公用企业", "Water, Power and Gas Utilities"),
)

_BY_CODE = {d.code: d for d in DEPARTMENTS}


def department(code: str) -> Department:
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown department code {code!r} (未知部门)") from None


def department_principal(code: str) -> str:
    """The key id a department signs its results with."""
    return f"dept.{code}"
