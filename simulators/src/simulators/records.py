"""Simulated base-registry records (基础库模拟数据): pure and deterministic from the identifier.

* 人口基础信息库 population: :func:`population_record` from a resident ID number (公民身份号码). Sex and
  birth date come from the number itself; the rest is drawn from a hash of it, in Hunan (湖南省),
  using the number's region digits (行政区划码) when they are a Hunan district or city.
* 法人基础信息库 enterprise: :func:`enterprise_record` from a unified social credit code (统一社会信用代码).
  Its legal representative is a valid resident ID whose population record bears the same name.

Values pass the intake's form checks (enum options, numbers). An invalid identifier has no record.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypeVar

from contracts.days import china_today
from contracts.identifiers import make_resident_id, resident_id_problem, uscc_problem
from simulators.draws import unit

__all__ = ["ENTERPRISE_TYPES", "MARITAL_STATUSES", "enterprise_record", "population_record"]

T = TypeVar("T")

MARITAL_STATUSES = ("未婚", "已婚", "离婚", "丧偶")
ENTERPRISE_TYPES = ("有限责任公司", "股份有限公司", "个人独资企业", "合伙企业", "个体工商户")

# 湖南省 cities (first 4 digits of the region code) and some of their districts/counties.
_HUNAN: dict[str, tuple[str, dict[str, str]]] = {
    "4301": ("长沙市", {"430102": "芙蓉区", "430103": "天心区", "430104": "岳麓区", "430105": "开福区",
                       "430111": "雨花区", "430112": "望城区", "430121": "长沙县", "430181": "浏阳市",
                       "430182": "宁乡市"}),
    "4302": ("株洲市", {"430202": "荷塘区", "430203": "芦淞区", "430204": "石峰区", "430211": "天元区",
                       "430281": "醴陵市"}),
    "4303": ("湘潭市", {"430302": "雨湖区", "430304": "岳塘区", "430321": "湘潭县", "430381": "湘乡市"}),
    "4304": ("衡阳市", {"430405": "珠晖区", "430406": "雁峰区", "430407": "石鼓区", "430408": "蒸湘区",
                       "430482": "常宁市"}),
    "4305": ("邵阳市", {"430502": "双清区", "430503": "大祥区", "430511": "北塔区", "430581": "武冈市"}),
    "4306": ("岳阳市", {"430602": "岳阳楼区", "430603": "云溪区", "430611": "君山区", "430681": "汨罗市"}),
    "4307": ("常德市", {"430702": "武陵区", "430703": "鼎城区", "430781": "津市市"}),
    "4308": ("张家界市", {"430802": "永定区", "430811": "武陵源区", "430821": "慈利县"}),
    "4309": ("益阳市", {"430902": "资阳区", "430903": "赫山区", "430981": "沅江市"}),
    "4310": ("郴州市", {"431002": "北湖区", "431003": "苏仙区", "431081": "资兴市"}),
    "4311": ("永州市", {"431102": "零陵区", "431103": "冷水滩区"}),
    "4312": ("怀化市", {"431202": "鹤城区", "431281": "洪江市"}),
    "4313": ("娄底市", {"431302": "娄星区", "431381": "冷水江市", "431382": "涟源市"}),
    "4331": ("湘西土家族苗族自治州", {"433101": "吉首市", "433123": "凤凰县", "433127": "永顺县"}),
}
_CITY_CODES = tuple(_HUNAN)
_ROADS = ("人民路", "解放路", "建设路", "新华路", "中山路", "迎宾路", "文化路", "湘江路", "滨江路", "学府路",
          "青年路", "韶山路")
_ESTATES = ("阳光花园", "幸福小区", "金色家园", "和平新村", "锦绣华庭", "湘江世纪城", "书香苑", "翠湖名居")
_SURNAMES = tuple("王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗谭彭曾唐邓肖蒋")
_GIVEN_MALE = ("伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "斌", "志强", "建华", "俊杰", "子轩", "浩然",
               "宇航")
_GIVEN_FEMALE = ("芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "婷", "雪", "慧", "欣怡", "梓涵", "雨萱", "思琪",
                 "晓燕")
_ETHNICITIES = (("汉族", 0.90), ("土家族", 0.04), ("苗族", 0.03), ("侗族", 0.02), ("瑶族", 0.01))
_MINORITY_AREAS = ("4331", "4312", "4308")  # 湘西、怀化、张家界
_BRANDS = ("湘江", "麓山", "星城", "芙蓉", "潇湘", "洞庭", "橘洲", "梅溪", "金霞", "楚天", "三湘", "华湘", "瑞丰",
           "鑫源", "恒达", "博远")
_SCOPE_TAIL = "（依法须经批准的项目，经相关部门批准后方可开展经营活动）"
_INDUSTRIES = (  # (字号后的行业, 个体工商户的字号后缀, 经营范围)
    ("科技", "电脑经营部", "软件开发；信息技术咨询服务；信息系统集成服务；数据处理和存储支持服务"),
    ("商贸", "百货商行", "日用百货销售；五金产品零售；电子产品销售；货物进出口"),
    ("建筑工程", "装饰工作室", "房屋建筑工程施工；市政设施管理；建筑装饰材料销售"),
    ("餐饮管理", "餐馆", "餐饮服务；餐饮管理；食品销售（仅销售预包装食品）"),
    ("农业开发", "农资店", "蔬菜种植；水果种植；农产品的生产、销售、加工、运输、贮藏及其他相关服务"),
    ("物流", "货运部", "普通货物仓储服务；道路货物运输（不含危险货物）；国内货物运输代理"),
    ("文化传媒", "广告工作室", "组织文化艺术交流活动；广告设计、代理；会议及展览服务"),
)
_CAPITAL = {  # 注册资本（万元）by enterprise type
    "有限责任公司": (10, 30, 50, 100, 200, 500, 1000),
    "股份有限公司": (1000, 2000, 5000, 10000),
    "个人独资企业": (5, 10, 50, 100),
    "合伙企业": (10, 50, 100, 500),
    "个体工商户": (1, 3, 5, 10),
}


class _Draw:
    """Deterministic draws from one identifier (same identifier, same values)."""

    def __init__(self, *key: str) -> None:
        self._key = key

    def unit(self, what: str) -> float:
        return unit(*self._key, what)

    def pick(self, what: str, options: tuple[T, ...] | list[T]) -> T:
        return options[int(self.unit(what) * len(options))]

    def weighted(self, what: str, options: tuple[tuple[str, float], ...]) -> str:
        u, total = self.unit(what), 0.0
        for value, weight in options:
            total += weight
            if u < total:
                return value
        return options[-1][0]

    def number(self, what: str, low: int, high: int) -> int:
        return low + int(self.unit(what) * (high - low + 1))


def _place(region: str, draw: _Draw) -> tuple[str, str, str]:
    """(city, district, district code) in Hunan: the region's own when known, else drawn."""
    city_code = region[:4] if region[:4] in _HUNAN else draw.pick("city", _CITY_CODES)
    city, districts = _HUNAN[city_code]
    code = region if region in districts else draw.pick("district", sorted(districts))
    return city, districts[code], code


def _street_address(city: str, district: str, draw: _Draw, what: str) -> str:
    road, number = draw.pick(f"{what}-road", _ROADS), draw.number(f"{what}-no", 1, 399)
    return f"湖南省{city}{district}{road}{number}号"


def _person_name(resident_id: str) -> str:
    draw = _Draw("person", resident_id)
    given = _GIVEN_MALE if int(resident_id[16]) % 2 else _GIVEN_FEMALE
    return draw.pick("surname", _SURNAMES) + draw.pick("given", given)


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _marital_status(age: int, draw: _Draw) -> str:
    weights: tuple[tuple[str, float], ...]
    if age < 22:  # 法定婚龄 (男22，女20): the simulated registry keeps everyone under 22 unmarried
        return "未婚"
    if age < 30:
        weights = (("未婚", 0.5), ("已婚", 0.45), ("离婚", 0.05))
    elif age < 60:
        weights = (("已婚", 0.8), ("未婚", 0.08), ("离婚", 0.1), ("丧偶", 0.02))
    else:
        weights = (("已婚", 0.7), ("丧偶", 0.25), ("离婚", 0.05))
    return draw.weighted("marital", weights)


def population_record(resident_id: str, today: date | None = None) -> dict[str, str] | None:
    """人口基础信息库 the population record of a resident ID number, or None when the number is invalid.

    ``today`` (default: today in China) decides the age, hence the marital status; nobody is born after it.
    """
    if resident_id_problem(resident_id, today=today) is not None:
        return None
    draw = _Draw("person", resident_id)
    born = date(int(resident_id[6:10]), int(resident_id[10:12]), int(resident_id[12:14]))
    city, district, _ = _place(resident_id[:6], draw)
    household = _street_address(city, district, draw, "household")
    if draw.unit("moved") < 0.6:  # most live where they are registered
        home_city, home_district = city, district
    else:
        home_city, home_district, _ = _place("", _Draw("person", resident_id, "moved"))
    residence = (f"湖南省{home_city}{home_district}{draw.pick('estate', _ESTATES)}"
                 f"{draw.number('building', 1, 20)}栋{draw.number('unit', 1, 4)}单元"
                 f"{draw.number('floor', 1, 30)}{draw.number('room', 1, 4):02d}室")
    minority = 3.0 if resident_id[:4] in _MINORITY_AREAS else 1.0
    ethnicities = tuple((e, w if e == "汉族" else w * minority) for e, w in _ETHNICITIES)
    return {
        "name": _person_name(resident_id),
        "sex": "男" if int(resident_id[16]) % 2 else "女",
        "birth_date": born.isoformat(),
        "household_address": household,
        "residence_address": residence,
        "marital_status": _marital_status(_age(born, today or china_today()), draw),
        "ethnicity": draw.weighted("ethnicity", ethnicities),
    }


def _enterprise_type(uscc: str, draw: _Draw) -> str:
    if uscc[:2] == "92":  # 登记管理部门 9 (市场监管), 类别 2: 个体工商户
        return "个体工商户"
    return draw.weighted("type", (("有限责任公司", 0.7), ("股份有限公司", 0.08), ("个人独资企业", 0.1),
                                  ("合伙企业", 0.12)))


def _enterprise_name(kind: str, brand: str, industry: tuple[str, str, str], city: str, district: str) -> str:
    trade, shop, _ = industry
    short_city = city.removesuffix("市")
    match kind:
        case "股份有限公司":
            return f"湖南{brand}{trade}股份有限公司"
        case "个人独资企业":
            return f"{city}{district}{brand}{trade}服务部（个人独资）"
        case "合伙企业":
            return f"{short_city}{brand}{trade}合伙企业（有限合伙）"
        case "个体工商户":
            return f"{city}{district}{brand}{shop}"
        case _:
            return f"湖南{brand}{trade}有限公司"


def enterprise_record(uscc: str) -> dict[str, str] | None:
    """法人基础信息库 the registration record of a unified social credit code, or None when it is invalid."""
    if uscc_problem(uscc) is not None:
        return None
    draw = _Draw("enterprise", uscc)
    city, district, district_code = _place(uscc[2:8], draw)
    kind = _enterprise_type(uscc, draw)
    industry = draw.pick("industry", _INDUSTRIES)
    representative_id = make_resident_id(
        district_code, date(1960, 1, 1) + timedelta(days=draw.number("rep-born", 0, 35 * 365)),
        draw.number("rep-seq", 0, 999),
    )
    established = date(2000, 1, 1) + timedelta(days=draw.number("established", 0, 24 * 365 - 7))
    return {
        "name": _enterprise_name(kind, draw.pick("brand", _BRANDS), industry, city, district),
        "enterprise_type": kind,
        "legal_representative": _person_name(representative_id),
        "legal_representative_id": representative_id,
        "address": (f"{_street_address(city, district, draw, 'address')}"
                    f"{draw.number('address-building', 1, 12)}栋{draw.number('address-floor', 1, 28)}"
                    f"{draw.number('address-room', 1, 20):02d}室"),
        "registered_capital": str(draw.pick("capital", _CAPITAL[kind])),
        "business_scope": industry[2] + _SCOPE_TAIL,
        "established_on": established.isoformat(),
    }
