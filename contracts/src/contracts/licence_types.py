"""电子证照类型：事项办结所出、或材料所指的电子证照，及其有效期。
Electronic licence types: the licences that catalogue items yield or that materials name, with their validity.

每一类型有代码（即事项目录 ``licence_type`` 所用）、中文正式名称、英文名称、有效年限及其依据。
Each type has its code (the catalogue's ``licence_type``), its official Chinese name, an English name,
its validity in years and the basis for that figure.

``valid_years`` 为 ``None`` 表示长期有效；否则为有效年限。``validity_basis`` 为所依据的规定；
标为 ``assumed`` 的有效期并非出自所引规定，而是在没有可确认的全国性规定时取的最合理数值
（多为地方规定不一或证照本身不载有效期），使用时不得当作法定期限。
``valid_years`` of ``None`` means long-term (长期有效); otherwise it is the validity in years. ``validity_basis``
names the rule behind the figure; a figure whose basis is ``assumed`` does not come from a cited rule: it is the
most plausible figure where no national rule could be confirmed (local rules differ, or the licence states no
term), and must not be presented as a statutory term.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LICENCE_TYPES", "LicenceType", "licence_type"]

LONG_TERM = "长期有效"
ASSUMED = "assumed"


@dataclass(frozen=True, slots=True)
class LicenceType:
    """一种电子证照 (one kind of electronic licence)."""

    code: str
    name_zh: str
    name_en: str
    valid_years: int | None  # None = 长期有效 (long-term)
    validity_basis: str  # 依据 (the rule behind valid_years), "长期有效", or "assumed"

    @property
    def statutory_years(self) -> int | None:
        """The term a licence of this type may carry: an assumed figure is no term (the licence states none)."""
        return None if self.validity_basis == ASSUMED else self.valid_years


LICENCE_TYPES: tuple[LicenceType, ...] = (
    LicenceType("birth-medical-certificate", "出生医学证明", "Birth medical certificate", None, LONG_TERM),
    # 载明营业期限的，以营业期限为准 (a licence stating a business term lasts for that term).
    LicenceType("business-licence", "营业执照", "Business licence", None, LONG_TERM),
    # 登记期限由当事人在登记时自行约定，无统一有效期 (the registrant sets the registration term).
    LicenceType(
        "chattel-mortgage-registration", "动产抵押登记证明", "Chattel mortgage registration certificate", None, ASSUMED
    ),
    LicenceType(
        "construction-drawing-review-certificate",
        "施工图审查合格书",
        "Construction drawing review certificate",
        None,
        ASSUMED,
    ),
    # 领证后三个月内须开工，延期以两次为限、每次不超过三个月，否则自行废止；开工后随工程有效，不以年计。
    # Work must start within three months (two three-month extensions at most) or the permit lapses; once work
    # has started it lasts for the works, so no figure in years applies.
    LicenceType(
        "construction-permit",
        "建筑工程施工许可证",
        "Construction permit",
        None,
        "《中华人民共和国建筑法》第九条（三个月内开工，逾期自行废止）",
    ),
    LicenceType("construction-planning-permit", "建设工程规划许可证", "Construction planning permit", 1, ASSUMED),
    LicenceType(
        "copyright-registration-certificate",
        "作品登记证书",
        "Work (copyright) registration certificate",
        None,
        LONG_TERM,
    ),
    LicenceType(
        "death-medical-certificate", "居民死亡医学证明（推断）书", "Medical certificate of death", None, LONG_TERM
    ),
    LicenceType("disability-certificate", "中华人民共和国残疾人证", "Disability certificate", 10, ASSUMED),
    # 与 sewer-discharge-permit 为同一证照 (the same licence as sewer-discharge-permit).
    LicenceType(
        "drainage-permit",
        "城镇污水排入排水管网许可证",
        "Urban sewer discharge permit",
        5,
        "《城镇污水排入排水管网许可管理办法》第十条",
    ),
    LicenceType(
        "drug-business-licence", "药品经营许可证", "Drug business licence", 5, "《中华人民共和国药品管理法实施条例》"
    ),
    LicenceType("electronic-health-card", "居民电子健康卡", "Resident electronic health card", None, ASSUMED),
    LicenceType(
        "employment-entrepreneurship-certificate",
        "就业创业证",
        "Employment and entrepreneurship certificate",
        None,
        ASSUMED,
    ),
    LicenceType("fire-acceptance-opinion", "特殊建设工程消防验收意见书", "Fire acceptance opinion", None, LONG_TERM),
    LicenceType(
        "fire-design-review-opinion", "特殊建设工程消防设计审查意见书", "Fire design review opinion", None, ASSUMED
    ),
    # 与 public-venue-fire-safety-permit 为同一证照 (the same licence as public-venue-fire-safety-permit).
    LicenceType(
        "fire-safety-inspection-certificate",
        "公众聚集场所投入使用、营业前消防安全检查合格证",
        "Fire-safety inspection certificate for a public gathering place",
        None,
        ASSUMED,
    ),
    LicenceType(
        "food-business-licence",
        "食品经营许可证",
        "Food business licence",
        5,
        "《中华人民共和国食品安全法实施条例》第十五条",
    ),
    LicenceType(
        "health-certificate",
        "健康证明",
        "Health certificate",
        1,
        "《中华人民共和国食品安全法》第四十五条（每年健康检查）",
    ),
    # 《互联网文化管理暂行规定》的三年有效期针对互联网文化单位，未确认适用于上网服务营业场所。
    # The three-year term of the internet-culture rules is for online culture businesses, not confirmed for cafés.
    LicenceType(
        "internet-cafe-licence",
        "网络文化经营许可证（互联网上网服务营业场所）",
        "Network culture business licence (internet café)",
        3,
        ASSUMED,
    ),
    LicenceType(
        "land-site-selection-opinion",
        "建设项目用地预审与选址意见书",
        "Land pre-review and site-selection opinion",
        3,
        "《自然资源部关于以“多规合一”为基础推进规划用地“多审合一、多证合一”改革的通知》（自然资规〔2019〕2号）",
    ),
    LicenceType("land-use-planning-permit", "建设用地规划许可证", "Land-use planning permit", 1, ASSUMED),
    LicenceType(
        "lightning-protection-acceptance",
        "防雷装置验收意见书",
        "Lightning-protection acceptance opinion",
        None,
        ASSUMED,
    ),
    LicenceType(
        "lightning-protection-design-approval",
        "防雷装置设计核准意见书",
        "Lightning-protection design approval",
        None,
        ASSUMED,
    ),
    LicenceType("marriage-certificate", "结婚证", "Marriage certificate", None, LONG_TERM),
    LicenceType(
        "medical-device-business-filing",
        "第二类医疗器械经营备案凭证",
        "Class II medical device business filing receipt",
        None,
        LONG_TERM,
    ),
    LicenceType("medical-insurance-e-voucher", "医保电子凭证", "Medical insurance e-voucher", None, ASSUMED),
    LicenceType("outdoor-advertising-permit", "户外广告设置许可决定书", "Outdoor advertising permit", 3, ASSUMED),
    LicenceType(
        "planning-verification-certificate",
        "建设工程规划核实合格证明",
        "Certificate of planning verification",
        None,
        LONG_TERM,
    ),
    LicenceType(
        "public-place-hygiene-licence",
        "公共场所卫生许可证",
        "Public-place hygiene licence",
        4,
        "《公共场所卫生管理条例实施细则》（四年，每两年复核一次）",
    ),
    LicenceType(
        "public-venue-fire-safety-permit",
        "公众聚集场所投入使用、营业前消防安全检查合格证",
        "Fire-safety certificate for opening a public gathering place",
        None,
        ASSUMED,
    ),
    LicenceType("real-estate-certificate", "不动产权证书", "Real-estate certificate", None, LONG_TERM),
    LicenceType(
        "real-estate-registration-certificate",
        "不动产登记证明",
        "Real-estate registration certificate",
        None,
        LONG_TERM,
    ),
    LicenceType("residence-permit", "居住证", "Residence permit", 1, "《居住证暂行条例》第十条（每年签注1次）"),
    # 按年龄为5年、10年、20年或长期，取16至25周岁的10年 (5, 10, 20 years or long-term by age; 10 is for ages 16–25).
    LicenceType("resident-id-card", "居民身份证", "Resident ID card", 10, "《中华人民共和国居民身份证法》第五条"),
    LicenceType("ride-hailing-driver-permit", "网络预约出租汽车驾驶员证", "Ride-hailing driver's permit", 6, ASSUMED),
    LicenceType("ride-hailing-vehicle-permit", "网络预约出租汽车运输证", "Ride-hailing vehicle permit", 8, ASSUMED),
    # 实际以批准的占用挖掘期限为准，通常不足一年 (really the approved works period, usually under a year).
    LicenceType(
        "road-excavation-permit", "占用挖掘城市道路许可决定书", "Road occupation and excavation permit", 1, ASSUMED
    ),
    LicenceType("road-transport-business-licence", "道路运输经营许可证", "Road transport business licence", 4, ASSUMED),
    LicenceType("road-transport-certificate", "道路运输证", "Road transport certificate (vehicle)", 4, ASSUMED),
    LicenceType(
        "road-transport-qualification-certificate",
        "道路运输从业人员从业资格证",
        "Road transport qualification certificate",
        6,
        "《道路运输从业人员管理规定》",
    ),
    # 实际以批准的施工期限为准 (really the approved works period).
    LicenceType("road-works-permit", "涉路施工许可决定书", "Permit for works affecting a highway", 1, ASSUMED),
    LicenceType(
        "rural-construction-planning-permit", "乡村建设规划许可证", "Rural construction planning permit", 1, ASSUMED
    ),
    LicenceType("senior-preferential-card", "老年人优待证", "Senior preferential card", None, ASSUMED),
    # 与 drainage-permit 为同一证照 (the same licence as drainage-permit).
    LicenceType(
        "sewer-discharge-permit",
        "城镇污水排入排水管网许可证",
        "Sewer discharge permit",
        5,
        "《城镇污水排入排水管网许可管理办法》第十条",
    ),
    # 社会保障号码终身不变；实体卡面所载卡片有效期另计 (the number is for life; the card itself is renewed).
    LicenceType("social-security-card", "社会保障卡", "Social security card", None, LONG_TERM),
    LicenceType("special-trade-licence", "特种行业许可证（旅馆业）", "Special-trade licence (hotel)", None, ASSUMED),
    LicenceType("talent-certificate", "人才认定证书", "Talent recognition certificate", 5, ASSUMED),
    LicenceType("tax-clearance-certificate", "清税证明", "Tax clearance certificate", None, ASSUMED),
    LicenceType(
        "teacher-qualification-certificate", "教师资格证书", "Teacher qualification certificate", None, LONG_TERM
    ),
    LicenceType(
        "tobacco-retail-licence",
        "烟草专卖零售许可证",
        "Tobacco retail licence",
        5,
        "《烟草专卖许可证管理办法》（最长五年）",
    ),
    LicenceType("vaccination-certificate", "预防接种证", "Vaccination certificate", None, LONG_TERM),
    LicenceType(
        "vehicle-registration-certificate", "机动车登记证书", "Vehicle registration certificate", None, LONG_TERM
    ),
    LicenceType(
        "vocational-skill-certificate", "职业技能等级证书", "Vocational skill level certificate", None, LONG_TERM
    ),
)

_BY_CODE: dict[str, LicenceType] = {t.code: t for t in LICENCE_TYPES}


def licence_type(code: str) -> LicenceType:
    """按代码取证照类型；未知代码抛出 KeyError (look a type up by code; KeyError naming an unknown code)."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"未知证照类型 (unknown licence type): {code!r}") from None
