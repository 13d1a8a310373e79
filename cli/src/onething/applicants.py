"""Plausible, valid demo applications (演示申请). Resident IDs carry correct GB 11643 check digits."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

__all__ = ["newborn_application", "resident_id"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
_GIVEN = ["子涵", "欣怡", "梓萱", "浩然", "宇轩", "一诺", "依诺", "沐宸", "若汐", "梓睿", "思远", "嘉怡"]
_ADDRESSES = ["湖南省长沙市岳麓区麓山南路1号", "湖南省衡阳市蒸湘区解放大道8号", "湖南省郴州市北湖区国庆南路3号"]
_HOSPITALS = ["长沙市妇幼保健院", "衡阳市中心医院", "郴州市第一人民医院"]


def resident_id(rng: random.Random, born: date, region: str = "430104") -> str:
    body = f"{region}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def newborn_application(rng: random.Random, *, mail: bool) -> dict[str, Any]:
    surname = rng.choice(_SURNAMES)
    mother_born = date(1988, 1, 1) + timedelta(days=rng.randrange(3650))
    father_born = date(1986, 1, 1) + timedelta(days=rng.randrange(3650))
    mother_id = resident_id(rng, mother_born)
    address = rng.choice(_ADDRESSES)
    return {
        "bundle_code": "P-01",
        "applicant": {"name": f"{surname}{rng.choice(_GIVEN)}", "id_number": resident_id(rng, father_born),
                      "phone": f"139{rng.randrange(10**8):08d}"},
        "form": {
            "newborn_name": f"{surname}{rng.choice(_GIVEN)}",
            "newborn_sex": rng.choice(["男", "女"]),
            "birth_date": (date.today() - timedelta(days=rng.randrange(1, 20))).isoformat(),
            "birth_hospital": rng.choice(_HOSPITALS),
            "mother_name": f"李{rng.choice(_GIVEN)}",
            "mother_id_number": mother_id,
            "household_address": address,
        },
        "channel": rng.choice(["window", "portal", "mobile"]),
        "delivery": {"method": "mail", "address": address} if mail else {"method": "window"},
    }
