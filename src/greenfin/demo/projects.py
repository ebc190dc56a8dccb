"""Synthetic (示例) green projects for the library: ≥ 300 projects across the 2025 catalogue's
categories and all 16 districts (the city sub-centre included), in every workflow state.

Deterministic for a seed. Names and descriptions follow how Beijing project applications read
(capacity, site, technology, expected output), so the taxonomy screening finds their items; the
expected outputs are consistent with the capacity (e.g. rooftop PV 1,100 h/yr, investment about
4 元/W) — plausible orders of magnitude for a demo, not statistics. Every name carries （示例）.
Pure: the loader in ``services.projects_demo`` screens, grades and stores them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from greenfin.demo.generate import SYNTHETIC_MARK, DemoPopulation

PROJECTS = 360
# target workflow state → relative weight (every state appears; the library holds the most)
STATUS_WEIGHTS: dict[str, int] = {
    "approved": 45, "in_review": 12, "screening": 10, "submitted": 4, "draft": 10,
    "returned": 8, "rejected": 11,
}  # fmt: skip
DOCUMENT_KINDS = ("feasibility_study", "eia_approval", "energy_saving_review", "certificate")
START = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)  # the 2025 catalogue is in force from this date
SPAN_DAYS = 400

PLACES: dict[str, tuple[str, ...]] = {
    "110101": ("王府井商业楼宇", "东直门交通枢纽"), "110102": ("金融街写字楼", "德胜门科技园"),
    "110105": ("望京产业园", "CBD商务楼宇", "酒仙桥电子城"),
    "110106": ("丰台科技园", "南中轴物流基地"),
    "110107": ("首钢园", "石景山数字产业园"), "110108": ("中关村软件园", "上地信息产业基地"),
    "110109": ("门头沟永定河谷", "潭柘寺镇"), "110111": ("房山燕山石化园区", "良乡高教园"),
    "110112": ("运河商务区", "张家湾设计小镇", "宋庄文化园", "台湖演艺小镇", "通州物流园"),
    "110113": ("顺义临空经济区", "天竺综保区"), "110114": ("未来科学城", "昌平科技园"),
    "110115": ("大兴国际机场临空区", "亦庄经济开发区", "大兴生物医药基地"),
    "110116": ("怀柔科学城", "雁栖湖"), "110117": ("平谷马坊物流基地", "金海湖"),
    "110118": ("密云经济开发区", "密云水库上游"), "110119": ("延庆康庄镇", "延庆冬奥园区"),
}  # fmt: skip


@dataclass(frozen=True)
class Template:
    """A kind of project: name and description patterns, GB/T 4754 code, size range and how
    outputs and investment follow from the size. ``green``: False for brown projects (they end
    rejected or returned)."""

    key: str
    names: tuple[str, ...]
    description: str
    industry_code: str
    size: tuple[float, float]  # drawn uniformly; the unit is the template's own (MW, 万m2 …)
    invest_per_size: float  # 万元 per unit of size
    outputs: Callable[[float], dict[str, float]] = lambda s: {}
    params: dict[str, str | float] = field(default_factory=dict)
    green: bool = True
    weight: int = 3


def _r(x: float) -> float:
    return round(x, 1)


TEMPLATES: tuple[Template, ...] = (
    Template("pv", ("{p}屋顶分布式光伏发电项目", "{p}光伏车棚及储能一体化项目"),
             "在{p}厂房及仓库屋顶建设{s:.1f}MW分布式光伏电站，采用单晶硅组件和组串式逆变器，所发电量"
             "自发自用、余电上网，预计年发电量约{o:.0f}MWh。", "4416", (0.8, 20), 420,
             lambda s: {"annual_generation_mwh": _r(s * 1100)}, weight=8),
    Template("wind", ("{p}分散式风电项目",),
             "在{p}建设分散式风电场，安装单机容量5MW的风电机组，总装机{s:.0f}MW，年上网电量约{o:.0f}MWh。",
             "4415", (10, 50), 600, lambda s: {"annual_generation_mwh": _r(s * 2100)}, weight=2),
    Template("biomass", ("{p}农林生物质热电联产项目",),
             "以周边农作物秸秆和林业剩余物为燃料，建设{s:.0f}MW生物质热电联产机组，年对外供电约{o:.0f}MWh，"
             "同时为园区供热。", "4417", (6, 30), 1000,
             lambda s: {"annual_generation_mwh": _r(s * 6000)}, weight=2),
    Template("geothermal", ("{p}中深层地热供暖项目",),
             "利用中深层地热资源，建设地热井及换热站，为{p}{s:.1f}万平方米建筑提供冬季供暖，替代燃气锅炉。",
             "4430", (5, 40), 180,
             lambda s: {"heat_delivered_gj": _r(s * 1e4 * 0.3),
                        "heat_pump_electricity_mwh": _r(s * 1e4 * 0.3 / 3.6 / 4.5)}),
    Template("heat_pump", ("{p}空气源热泵清洁供暖改造", "{p}地源热泵供暖制冷项目"),
             "以热泵机组替代燃气锅炉为{p}{s:.1f}万平方米建筑供暖，热泵机组能效等级1级，年供热量约{o:.0f}GJ。",
             "4430", (1, 20), 150,
             lambda s: {"heat_delivered_gj": _r(s * 1e4 * 0.28),
                        "heat_pump_electricity_mwh": _r(s * 1e4 * 0.28 / 3.6 / 3.2)}, weight=4),
    Template("storage", ("{p}用户侧储能电站项目",),
             "在{p}建设{s:.0f}MWh磷酸铁锂电池储能电站，参与削峰填谷和需求响应，提升新能源消纳能力。",
             "4420", (5, 100), 180, weight=2),
    Template("boiler", ("{p}燃气锅炉节能改造项目",),
             "对{p}的{s:.0f}台燃气锅炉进行低氮燃烧和烟气余热回收节能改造，提高锅炉热效率，年节约天然气约{o:.0f}立方米。",
             "7514", (2, 8), 120, lambda s: {"natural_gas_saved_m3": _r(s * 180000)}),
    Template("motor", ("{p}电机系统能效提升改造",),
             "将{p}水泵和风机的老旧电机更换为1级能效永磁同步电机并加装变频调速，年节约电量约{o:.0f}MWh。",
             "7514", (1, 10), 90, lambda s: {"electricity_saved_mwh": _r(s * 180)},
             params={"motor_efficiency_grade": 1}),
    Template("waste_heat", ("{p}余热余压回收利用项目",),
             "回收{p}生产线的中低温余热，建设余热发电和余热供暖系统，年节约电量约{o:.0f}MWh。",
             "7514", (2, 15), 260, lambda s: {"electricity_saved_mwh": _r(s * 900)}),
    Template("lighting", ("{p}LED绿色照明改造项目",),
             "将{p}道路和室内照明更换为1级能效LED灯具，共改造{s:.0f}千盏灯具，年节约电量约{o:.0f}MWh。",
             "4910", (1, 20), 35, lambda s: {"electricity_saved_mwh": _r(s * 45)},
             params={"product_type": "led_luminaire", "energy_efficiency_grade": 1}),
    Template("green_building", ("{p}二星级绿色建筑办公楼", "{p}三星级绿色建筑产业园"),
             "新建{s:.1f}万平方米办公建筑，按绿色建筑二星级标准设计建造，采用高性能围护结构和高效机电系统。",
             "4790", (1, 15), 9000,
             lambda s: {"floor_area_m2": _r(s * 1e4), "baseline_intensity_kwh_m2": 120,
                        "project_intensity_kwh_m2": 85}, params={"green_building_star": 2},
             weight=4),
    Template("ultra_low", ("{p}超低能耗示范建筑",),
             "建设{s:.1f}万平方米超低能耗公共建筑，采用被动式设计、高效新风热回收和屋顶光伏，建筑节能率达到规定要求。",
             "4790", (0.5, 6), 10000,
             lambda s: {"floor_area_m2": _r(s * 1e4), "baseline_intensity_kwh_m2": 110,
                        "project_intensity_kwh_m2": 45},
             params={"building_energy_performance_class": "ultra_low_energy"}),
    Template("retrofit", ("{p}既有建筑绿色化改造",),
             "对{p}{s:.1f}万平方米既有公共建筑实施外墙保温、外窗更换和空调系统节能改造，年节约电量约{o:.0f}MWh。",
             "4790", (1, 10), 1200, lambda s: {"electricity_saved_mwh": _r(s * 1e4 * 0.025)}),
    Template("charging", ("{p}电动汽车充电站建设项目", "{p}公交场站充换电设施"),
             "在{p}建设{s:.0f}个直流快充桩及配套变配电设施，为新能源出租车和网约车提供充电服务。",
             "4910", (20, 200), 12,
             lambda s: {"annual_vehicle_km": _r(s * 60000), "baseline_fuel_kg_per_100km": 6.5,
                        "ev_electricity_kwh_per_100km": 16},
             params={"vehicle_baseline_fuel": "gasoline"}),
    Template("ebus", ("{p}纯电动公交车更新项目",),
             "购置{s:.0f}辆纯电动公交车替代柴油公交车，配套建设场站充电设施，年运营里程约{o:.0f}万公里。",
             "5411", (20, 200), 200,
             lambda s: {"annual_vehicle_km": _r(s * 60000), "baseline_fuel_kg_per_100km": 28,
                        "ev_electricity_kwh_per_100km": 95},
             params={"vehicle_baseline_fuel": "diesel"}),
    Template("sewage", ("{p}污水处理厂提标改造工程", "{p}再生水厂扩建工程"),
             "对日处理{s:.0f}万吨的城镇污水处理厂进行提标改造，出水达到北京市地方标准，同时建设污泥处理处置设施。",
             "4620", (2, 20), 2500, weight=4),
    Template("incineration", ("{p}生活垃圾焚烧发电项目",),
             "建设日处理{s:.0f}吨生活垃圾焚烧发电厂，配套烟气净化和飞灰处置设施，年上网电量约{o:.0f}MWh。",
             "7820", (600, 3000), 55,
             lambda s: {"electricity_exported_mwh": _r(s * 365 * 0.33),
                        "waste_fossil_co2_tco2": _r(s * 365 * 0.15)}),
    Template("vocs", ("{p}挥发性有机物综合治理项目",),
             "对{p}喷涂和印刷工序实施挥发性有机物（VOCs）源头替代和末端治理，建设RTO蓄热式焚烧装置{s:.0f}套。",
             "7722", (1, 6), 400),
    Template("ultra_low_emission", ("{p}水泥窑超低排放改造",),
             "对{s:.0f}条水泥熟料生产线实施脱硫脱硝除尘超低排放改造，颗粒物、二氧化硫、氮氧化物排放浓度达到超低排放限值。",
             "3011", (1, 3), 3000, weight=2),
    Template("soil", ("{p}建设用地土壤污染修复工程",),
             "对原化工厂地块{s:.1f}万平方米污染土壤进行调查评估和治理修复，采用热脱附和化学氧化工艺，修复后满足建设用地标准。",
             "7723", (1, 10), 800, weight=2),
    Template("construction_waste", ("{p}建筑垃圾资源化利用项目",),
             "建设年处理{s:.0f}万吨建筑垃圾资源化利用生产线，生产再生骨料和再生砖，实现建筑垃圾综合利用。",
             "4220", (20, 100), 90),
    Template("recycling", ("{p}废旧物资循环利用中心",),
             "建设废旧家电、废金属和废塑料分拣加工中心，年回收处理废旧物资{s:.0f}万吨。",
             "4210", (2, 20), 300),
    Template("afforestation", ("{p}平原生态林建设工程", "{p}森林质量精准提升工程"),
             "在{p}实施造林和森林抚育{s:.0f}亩，营造乡土树种混交林，提升森林碳汇和生态服务功能。",
             "0220", (500, 5000), 1.2, weight=2),
    Template("wetland", ("{p}湿地保护修复工程",),
             "对{p}周边{s:.0f}公顷退化湿地实施生态补水、水系连通和植被恢复，保护生物多样性。",
             "7719", (50, 500), 12, weight=2),
    Template("emc", ("{p}合同能源管理节能服务项目",),
             "以合同能源管理（EMC）模式为{p}提供中央空调和照明系统节能改造服务，分享节能收益，年节约电量约{o:.0f}MWh。",
             "7514", (1, 10), 150, lambda s: {"electricity_saved_mwh": _r(s * 120)}),
    Template("monitoring", ("{p}能耗在线监测系统建设",),
             "为{p}{s:.0f}家重点用能单位建设能耗在线监测平台，实现电、气、热分项计量和碳排放监测。",
             "6532", (10, 80), 15),
    Template("data_centre", ("{p}数据中心节能改造",),
             "对{p}数据中心实施液冷和间接蒸发冷却改造，电能利用效率（PUE）降至1.25以下，涉及机柜{s:.0f}个。",
             "6532", (200, 2000), 3, params={"data_centre_energy_efficiency_grade": 1}),
    Template("pv_module", ("{p}高效光伏组件生产线",),
             "建设年产{s:.1f}GW高效N型TOPCon光伏组件生产线，组件转换效率达到行业领先水平。",
             "3825", (0.5, 3), 25000),
    Template("nev_parts", ("{p}新能源汽车动力电池生产线",),
             "建设年产{s:.1f}GWh动力锂离子电池生产线，产品用于新能源汽车。", "3841", (1, 8), 30000),
    Template("ev_logistics", ("{p}新能源物流车应用项目",),
             "为城市配送业务购置{s:.0f}辆纯电动物流车，替代燃油货车，配套建设充电设施。",
             "5437", (20, 200), 25,
             lambda s: {"annual_vehicle_km": _r(s * 40000), "baseline_fuel_kg_per_100km": 12,
                        "ev_electricity_kwh_per_100km": 30},
             params={"vehicle_baseline_fuel": "diesel"}, weight=2),
    Template("nev_sales", ("{p}新能源汽车销售服务项目",),
             "在{p}门店销售纯电动和插电式混合动力新能源汽车，年销售约{s:.0f}辆，提供充电设施安装服务。",
             "5261", (300, 3000), 8, weight=1),
    Template("pv_trade", ("{p}光伏组件进出口贸易项目",),
             "开展高效光伏组件和逆变器的国际贸易业务，年贸易额约{s:.1f}亿元。", "5179", (0.5, 5),
             800, weight=1),
    Template("appliance_retail", ("{p}节能家电销售项目",),
             "在{p}社区门店销售一级能效空调、冰箱等节能家电，年销售约{s:.0f}万台。", "5272",
             (1, 10), 300, weight=1),
    Template("nev_consumption", ("{p}居民新能源汽车消费项目",),
             "为居民个人购买新能源乘用车提供消费支持，车辆为纯电动汽车，预计支持购车{s:.0f}辆。",
             "5261", (200, 2000), 15,
             lambda s: {"annual_vehicle_km": _r(s * 15000), "baseline_fuel_kg_per_100km": 5.5,
                        "ev_electricity_kwh_per_100km": 15},
             params={"vehicle_baseline_fuel": "gasoline"}, weight=1),
    Template("housing", ("{p}商品住宅开发项目",),
             "开发建设商品住宅小区，总建筑面积{s:.1f}万平方米，包括住宅、商业配套和地下车库。",
             "7010", (5, 30), 9000, green=False, weight=2),
    Template("coal_power", ("{p}燃煤热电机组扩建",),
             "新建{s:.0f}MW燃煤热电联产机组，扩大园区供电供热能力。", "4411", (100, 300), 400,
             green=False, weight=1),
)  # fmt: skip


@dataclass(frozen=True)
class DemoProject:
    """One synthetic project and the review path it should end in."""

    enterprise_key: str
    name: str
    description: str
    industry_code: str
    district: str
    in_city_sub_centre: bool
    location: str
    total_investment_10k_cny: float
    financing_amount_10k_cny: float | None
    financing_term_months: int | None
    financing_type: str | None
    technical_parameters: dict[str, str | float]
    expected_outputs: dict[str, float]
    target_status: str
    documents: tuple[str, ...]
    created_at: datetime
    green: bool
    template: str


def _enterprise_keys(population: DemoPopulation) -> list[tuple[str, str, bool]]:
    return [
        (o.key, o.district, o.in_city_sub_centre)
        for o in population.organisations
        if o.kind.value == "enterprise"
    ]


def generate_projects(
    population: DemoPopulation, seed: int = 20261128, count: int = PROJECTS
) -> tuple[DemoProject, ...]:
    """``count`` projects; the first two enterprises (the demo log-ins) get one project in every
    state; every district appears (通州 also inside the city sub-centre)."""
    rng = random.Random(seed)
    enterprises = _enterprise_keys(population)
    statuses = list(STATUS_WEIGHTS)
    districts = list(PLACES)
    green = [t for t in TEMPLATES if t.green]
    brown = [t for t in TEMPLATES if not t.green]
    financing = ("project_loan", "project_loan", "working_capital", "emc_receivable_pledge",
                 "green_leasing", "green_bond", "equity")  # fmt: skip
    out: list[DemoProject] = []
    used: set[str] = set()
    for i in range(count):
        if i < 2 * len(statuses):  # the demo log-ins' enterprises: every state, twice over
            key, home, sub = enterprises[i % 2]
            status = statuses[i // 2]
        else:
            key, home, sub = enterprises[rng.randrange(len(enterprises))]
            status = rng.choices(statuses, weights=list(STATUS_WEIGHTS.values()))[0]
        # projects sit in the enterprise's district or elsewhere; every district is reached
        district = districts[i % len(districts)] if i % 3 == 0 else home
        in_sub = district == "110112" and (sub or rng.random() < 0.5)
        brown_share = 0.5 if status == "rejected" else 0.02
        pool = brown if rng.random() < brown_share else green
        template = rng.choices(pool, weights=[t.weight for t in pool])[0]
        place = rng.choice(PLACES[district])
        size = rng.uniform(*template.size)
        outputs = template.outputs(size)
        first_output = next(iter(outputs.values()), 0.0)
        shown = first_output / 1e4 if template.key == "ebus" else first_output
        name = rng.choice(template.names).format(p=place)
        suffix = 2
        base = name
        while name in used:
            name = f"{base}（{suffix}期）"
            suffix += 1
        used.add(name)
        investment = round(size * template.invest_per_size * rng.uniform(0.85, 1.15), 2)
        has_need = rng.random() < 0.9
        need = round(investment * rng.uniform(0.4, 0.8), 2) if has_need else None
        kinds = tuple(k for k in DOCUMENT_KINDS if rng.random() < (0.8 if k != "certificate"
                                                                   else 0.4))  # fmt: skip
        out.append(
            DemoProject(
                enterprise_key=key,
                name=name + SYNTHETIC_MARK,
                description=template.description.format(p=place, s=size, o=shown),
                industry_code=template.industry_code,
                district=district,
                in_city_sub_centre=in_sub,
                location=f"北京市{place}",
                total_investment_10k_cny=investment,
                financing_amount_10k_cny=need,
                financing_term_months=rng.choice((12, 36, 60, 96, 120, 180)) if need else None,
                financing_type=rng.choice(financing) if need else None,
                technical_parameters=dict(template.params),
                expected_outputs=outputs,
                target_status=status,
                documents=kinds,
                created_at=START + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60)),
                green=template.green,
                template=template.key,
            )
        )
    return tuple(out)
