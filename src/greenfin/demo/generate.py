"""Generate a synthetic (示例) population of organisations and demo log-ins.

Deterministic for a given seed. Every organisation name carries （示例） and every row is flagged
``is_synthetic`` so that nothing here can be mistaken for a real institution.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from greenfin import reference
from greenfin.identity import uscc
from greenfin.identity.roles import OrgKind, Role

SYNTHETIC_MARK = "（示例）"
DEMO_PASSWORD = "greenfin-demo"

# Industries typical of a green-finance pipeline (and some brown ones a loan book also holds),
# as GB/T 4754-2017 小类 codes with a relative frequency. Checked against reference data below.
INDUSTRY_WEIGHTS: dict[str, int] = {
    "4416": 10,  # 太阳能发电
    "4415": 5,  # 风力发电
    "4417": 3,  # 生物质能发电
    "4430": 8,  # 热力生产和供应
    "4420": 4,  # 电力供应
    "3825": 6,  # 光伏设备及元器件制造
    "3612": 4,  # 新能源车整车制造
    "3841": 4,  # 锂离子电池制造
    "3670": 3,  # 汽车零部件及配件制造
    "4620": 5,  # 污水处理及其再生利用
    "4610": 2,  # 自来水生产和供应
    "7721": 3,  # 水污染治理
    "7722": 3,  # 大气污染治理
    "7723": 4,  # 固体废物治理
    "7724": 2,  # 危险废物治理
    "4210": 3,  # 金属废料和碎屑加工处理
    "7820": 3,  # 环境卫生管理
    "7514": 8,  # 节能技术推广服务
    "6532": 3,  # 物联网技术服务
    "4790": 5,  # 其他房屋建筑业
    "4710": 3,  # 住宅房屋建筑
    "4910": 3,  # 电气安装
    "5411": 2,  # 公共电汽车客运
    "5412": 2,  # 城市轨道交通
    "0220": 2,  # 造林和更新
    "7719": 1,  # 其他自然保护
    "7010": 4,  # 房地产开发经营
    "3011": 1,  # 水泥制造
    "3130": 1,  # 钢压延加工
    "4411": 1,  # 火力发电
    "2614": 1,  # 有机化学原料制造
}

# Relative weight of each district (code) for enterprise locations: denser in the core and in
# 通州, where the city sub-centre draws green projects.
DISTRICT_WEIGHTS: dict[str, int] = {
    "110101": 6, "110102": 6, "110105": 14, "110106": 8, "110107": 4, "110108": 14,
    "110109": 2, "110111": 5, "110112": 14, "110113": 6, "110114": 7, "110115": 8,
    "110116": 3, "110117": 2, "110118": 2, "110119": 2,
}  # fmt: skip
SUB_CENTRE_SHARE_IN_TONGZHOU = 0.6

_NAME_HEADS = (
    "京能", "燕山", "清源", "碧水", "绿洲", "华清", "蓝天", "中科", "京城", "长青", "恒源", "新源",
    "远景", "智汇", "瑞丰", "永定", "潮白", "温榆", "西山", "怀柔", "云岭", "金桥", "星火", "凯达",
    "德润", "同创", "和光", "正阳", "博远", "天禾",
)  # fmt: skip
_NAME_TAILS = {
    "44": ("新能源", "能源", "电力", "热力"),
    "38": ("新能源科技", "智能装备", "电池科技"),
    "36": ("新能源汽车", "汽车科技"),
    "46": ("水务", "环境科技"),
    "77": ("环保", "环境工程", "生态科技"),
    "42": ("再生资源",),
    "78": ("环境卫生服务",),
    "75": ("节能科技", "能源服务"),
    "65": ("物联科技",),
    "47": ("建设工程", "建筑"),
    "49": ("机电安装",),
    "54": ("公交", "轨道交通"),
    "02": ("林业发展",),
    "70": ("置业",),
    "30": ("建材",),
    "31": ("钢铁",),
    "26": ("化工",),
}
_SUFFIXES = ("有限公司", "股份有限公司", "集团有限公司")

_BANKS = (
    "京华银行北京分行", "燕京商业银行", "长城绿色银行北京分行", "首善农村商业银行", "通惠银行",
    "西山村镇银行", "中关村科创银行", "潮白河商业银行", "北辰银行北京分行", "永定银行",
    "金融街发展银行", "运河银行城市副中心支行", "凤凰城商业银行",
)  # fmt: skip
_INSURERS = ("安泰绿色财产保险北京分公司", "京安保险北京分公司")
_GUARANTORS = ("首创绿色融资担保", "京通融资担保")


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    uscc: str
    name_zh: str
    name_en: str | None
    kind: OrgKind
    district: str
    in_city_sub_centre: bool
    industry_code: str | None


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    organisation_key: str
    password: str = DEMO_PASSWORD


@dataclass(frozen=True)
class DemoPopulation:
    organisations: tuple[DemoOrganisation, ...]
    users: tuple[DemoUser, ...]


class _UsccFactory:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._seen: set[str] = set()

    def make(self, authority: str, org_type: str, division: str) -> str:
        while True:
            body = "".join(self._rng.choices("0123456789", k=8))
            code = uscc.compose(authority, org_type, division, body)
            if code not in self._seen:
                self._seen.add(code)
                return code


def generate(seed: int = 20261127, enterprises: int = 240) -> DemoPopulation:
    """The demo population: ≥ 200 enterprises, 13 banks, 2 insurers, 2 guarantors, a regulator,
    a certifier, and one log-in per role (plus a second enterprise and bank user for isolation)."""
    industries = reference.industry_codes()
    unknown = [code for code in INDUSTRY_WEIGHTS if code not in industries]
    if unknown:
        raise ValueError(f"demo industry codes missing from GB/T 4754 reference data: {unknown}")
    rng = random.Random(seed)
    codes = _UsccFactory(rng)
    orgs: list[DemoOrganisation] = []

    def add(key: str, name: str, kind: OrgKind, district: str, sub: bool = False,
            industry: str | None = None, name_en: str | None = None,
            authority: str = "9", org_type: str = "1") -> None:  # fmt: skip
        orgs.append(
            DemoOrganisation(
                key=key,
                uscc=codes.make(authority, org_type, district),
                name_zh=name + SYNTHETIC_MARK,
                name_en=(name_en + " (synthetic)") if name_en else None,
                kind=kind,
                district=district,
                in_city_sub_centre=sub,
                industry_code=industry,
            )
        )

    # Government bodies: registration authority 1 (机构编制), type 1 (机关).
    add("regulator", "北京市绿色金融监管办公室", OrgKind.REGULATOR, "110112", True, None,
        "Beijing Green Finance Supervision Office", authority="1", org_type="1")  # fmt: skip
    add("certifier", "京绿评估认证中心", OrgKind.CERTIFIER, "110108", False, "7455",
        "Jinglv Assessment & Certification Centre")  # fmt: skip
    for i, name in enumerate(_BANKS):
        district = "110112" if "城市副中心" in name else rng.choice(("110102", "110101", "110105"))
        add(f"bank{i}", name, OrgKind.BANK, district, district == "110112", "6621")
    for i, name in enumerate(_INSURERS):
        add(f"insurer{i}", name, OrgKind.INSURER, "110102", False, "6820")
    for i, name in enumerate(_GUARANTORS):
        add(f"guarantor{i}", name + "有限公司", OrgKind.GUARANTOR, "110105", False, "6999")

    industry_codes = list(INDUSTRY_WEIGHTS)
    district_codes = list(DISTRICT_WEIGHTS)
    names_used: set[str] = set()
    for i in range(enterprises):
        industry = rng.choices(industry_codes, weights=list(INDUSTRY_WEIGHTS.values()))[0]
        district = rng.choices(district_codes, weights=list(DISTRICT_WEIGHTS.values()))[0]
        district_name = reference.find_district(district).name_zh.removesuffix("区")  # type: ignore[union-attr]
        while True:
            tail = rng.choice(_NAME_TAILS.get(industry[:2], ("科技",)))
            name = f"北京{district_name}{rng.choice(_NAME_HEADS)}{tail}{rng.choice(_SUFFIXES)}"
            if name not in names_used:
                names_used.add(name)
                break
        sub = district == "110112" and rng.random() < SUB_CENTRE_SHARE_IN_TONGZHOU
        add(f"enterprise{i}", name, OrgKind.ENTERPRISE, district, sub, industry)

    users = (
        DemoUser("demo-admin", "平台管理员（示例）", Role.ADMIN, "regulator"),
        DemoUser("demo-regulator", "监管用户（示例）", Role.REGULATOR, "regulator"),
        DemoUser("demo-reviewer", "评审员（示例）", Role.REVIEWER, "certifier"),
        DemoUser("demo-reviewer2", "评审员二（示例）", Role.REVIEWER, "regulator"),
        DemoUser("demo-bank", "银行用户（示例）", Role.BANK, "bank0"),
        DemoUser("demo-bank2", "银行用户二（示例）", Role.BANK, "bank1"),
        DemoUser("demo-insurer", "保险用户（示例）", Role.BANK, "insurer0"),
        DemoUser("demo-enterprise", "企业用户（示例）", Role.ENTERPRISE, "enterprise0"),
        DemoUser("demo-enterprise2", "企业用户二（示例）", Role.ENTERPRISE, "enterprise1"),
    )
    return DemoPopulation(tuple(orgs), users)
