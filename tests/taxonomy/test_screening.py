"""Screening behaviour on hand-written cases (the measured accuracy is in benchmarks/)."""

from collections import Counter

import pytest

from greenfin.taxonomy.screening import InputError, ScreeningInput, Verdict, screener


def screen(text, code=None, params=None, edition="green-finance-2025"):
    return screener(edition).screen(ScreeningInput("t", "", text, code, params or {}))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("用于XX新能源有限公司屋顶分布式光伏项目建设，装机容量8.5MW", "4.2.2"),
        ("光伏组件生产线扩产项目，新增产能2GW", "4.1.2"),
        ("燃煤电厂超低排放改造", "2.2.2"),
        ("ＥＭＣ模式为医院实施节能改造，节能效益分享", "7.2.2"),
        ("公共充电站建设，新增直流快充桩40台", "6.2.3"),
        ("个人购买新能源汽车消费贷款", "9.1.1"),
        ("Rooftop solar PV installation on a logistics warehouse", "4.2.2"),
    ],
)
def test_typical_descriptions(text, expected):
    assert screen(text).candidates[0].code == expected


def test_manufacturing_code_moves_solar_to_equipment_manufacturing():
    assert screen("光伏逆变器项目", "3825").candidates[0].code == "4.1.2"


def test_explanation_names_terms_rules_and_industry_evidence():
    result = screen("用于屋顶分布式光伏项目建设", "4416")
    top = result.candidates[0]
    assert "光伏" in "".join(top.matched_terms)
    assert "4416 太阳能发电 属于该条目的行业范围" in top.industry_evidence
    assert top.code in result.explanation and "结论" in result.explanation


def test_working_capital_is_out_of_scope():
    result = screen("补充日常经营流动资金")
    assert result.verdict is Verdict.OUT_OF_SCOPE and "流动资金" in result.reason


def test_negated_green_building_is_out_of_scope():
    result = screen("商品住宅项目开发，按现行节能设计标准建设，未申报绿色建筑星级")
    assert result.verdict is Verdict.OUT_OF_SCOPE


def test_criteria_decide_between_eligible_not_eligible_and_needs_evidence():
    text = "单晶硅光伏电站建设运营"
    good = {"pv_cell_type": "mono", "pv_module_efficiency_pct": 21, "pv_cell_efficiency_pct": 23,
            "pv_degradation_first_year_pct": 2, "pv_degradation_annual_pct": 0.5,
            "pv_degradation_25_year_pct": 15}  # fmt: skip
    assert screen(text, params=good, edition="bond-2021").verdict is Verdict.ELIGIBLE
    bad = dict(good, pv_module_efficiency_pct=15)
    failed = screen(text, params=bad, edition="bond-2021")
    assert failed.verdict is Verdict.NOT_ELIGIBLE and "未达标" in failed.reason
    assert screen(text, edition="bond-2021").verdict is Verdict.NEEDS_EVIDENCE


def test_other_editions_use_their_own_codes():
    assert screen("屋顶分布式光伏电站建设", edition="bond-2021").candidates[0].code == "3.2.2.2"
    assert screen("屋顶分布式光伏电站建设", edition="industry-2019").candidates[0].code == "3.2.2"


def test_bad_input_names_the_field():
    with pytest.raises(InputError) as empty:
        screener().screen(ScreeningInput("t", " ", " "))
    assert empty.value.field == "description"
    with pytest.raises(InputError) as code:
        screener().screen(ScreeningInput("t", "", "光伏", "9999"))
    assert code.value.field == "industry_code"


def test_batch_and_single_agree():
    texts = ["污水处理厂提标改造", "储能电站建设", "风电场运营"]
    single = [screen(t).candidates[0].code for t in texts]
    many = screener().screen_many([ScreeningInput(str(i), "", t) for i, t in enumerate(texts)])
    assert [r.candidates[0].code for r in many] == single


@pytest.mark.parametrize(
    "text, expected, not_expected",
    [
        # 风机 alone is read as a wind turbine; inside 离心风机 / 鼓风机 it is a fan
        ("扩建高效离心风机（工业通风用）生产线", "1.1.8", "4.1.1"),
        ("风电场建设，安装单机5MW风机20台", "4.2.1", "1.1.8"),
    ],
)
def test_fan_and_wind_turbine_are_told_apart(text, expected, not_expected):
    codes = [c.code for c in screen(text).candidates]
    assert codes[0] == expected and not_expected != codes[0]


def test_longest_dictionary_match_shadows_the_terms_inside_it():
    import polars as pl

    from greenfin.taxonomy.screening import expand_series

    fan, turbine = expand_series(pl.Series(["离心风机生产线", "风机吊装"]))
    assert "通风机" in fan and "风力发电机组" not in fan
    assert "风力发电机组" in turbine


def test_borrower_manufacturing_code_does_not_override_a_stated_retrofit():
    # a paper mill (2221, manufacturing) replacing its coal boiler: the text says what is done
    text = "拆除2台燃煤锅炉，新建1台生物质成型燃料锅炉，配套布袋除尘"
    with_code, without = screen(text, "2221"), screen(text)
    assert "manufacturing" not in with_code.candidates[0].kind_note
    assert [c.code for c in with_code.candidates] == [c.code for c in without.candidates]
    # …while a text that says nothing about the activity still listens to the code
    assert "manufacturing" in screen("光伏逆变器项目", "3825").candidates[0].kind_note


@pytest.mark.parametrize(
    "text",
    [
        "加密货币挖矿设备采购及托管",
        "Construction of a five-star resort hotel with 420 rooms and a spa.",
        "数据中心备用柴油发电机组采购",
        "千万吨级炼油装置扩能，新增常减压及催化裂化装置",
        "按绿色建筑基本级设计的商品住宅开发（未达一星级）",
        "Gas transmission pipeline from an LNG terminal to city gate stations",
        "Sustainability-linked loan for general corporate purposes of a refinery",
        "经营租赁汽油公务车80辆，供工程师通勤",
        "购置柴油挖掘机20台",
        "贷款用于归还到期银行承兑汇票",
    ],
)
def test_look_alikes_outside_the_catalogue_are_out_of_scope(text):
    assert screen(text).verdict is Verdict.OUT_OF_SCOPE


def test_grade_two_motor_is_not_eligible_even_without_the_motor_type():
    result = screen("新增YE3系列三相异步电动机产能30万kW，产品能效为2级", "3812",
                    {"motor_efficiency_grade": 2})  # fmt: skip
    assert result.candidates[0].code == "1.1.7"
    assert result.verdict is Verdict.NOT_ELIGIBLE and "各情形均未达标" in result.reason


def test_items_penalised_in_2025_do_not_lift_their_counterparts_in_older_editions():
    # a consumer car loan penalises the 2025 manufacturing items; squared, those negative scores
    # once projected the loudest onto their 2021 counterparts (air-pollution equipment ranked 1st)
    result = screen("个人购买插电式混合动力汽车贷款", edition="bond-2021")
    assert result.candidates[0].code == "1.6.1.1"  # …和新能源汽车和清洁能源汽车的…购置消费
    base_final, _, _ = screener("green-finance-2025").score(
        ["个人购买插电式混合动力汽车贷款"], [None]
    )
    assert (base_final < 0).any()  # the case the projection must ignore is present


def test_a_keyword_on_a_leading_item_is_evidence_even_when_another_item_ranks_first():
    # 渔光互补 names 4.2.2; 多能互补 (4.3.1) may outrank it, but the text is not "without evidence"
    result = screen(
        "在2000亩鱼塘上方建设120MW渔光互补电站，采用N型单晶组件（效率22.8%，首年衰减1%）"
    )
    assert result.verdict is not Verdict.OUT_OF_SCOPE
    assert "4.2.2" in [c.code for c in result.candidates]


def test_working_capital_to_make_a_named_green_product_is_in_scope():
    result = screen(
        "工业炉窑企业申请流动资金，用于生产蓄热式燃烧铝熔炼炉（高温空气燃烧+烟气余热回收）"
    )
    assert result.verdict is not Verdict.OUT_OF_SCOPE
    assert screen("补充日常经营流动资金").verdict is Verdict.OUT_OF_SCOPE
    # …but a green collateral does not make coal purchases green
    coal = screen("以碳排放配额质押，贷款用于燃煤电厂购煤等日常流动资金")
    assert coal.verdict is Verdict.OUT_OF_SCOPE


def test_an_exclusion_can_apply_to_one_edition_only():
    # the 2025 catalogue has no gas transmission item; the 2021 one keeps 3.2.3.3
    text = "省级天然气长输管道建设，全长210公里"
    assert screen(text).verdict is Verdict.OUT_OF_SCOPE
    assert "2025年版目录" in screen(text).reason
    older = screen(text, edition="bond-2021")
    assert older.verdict is not Verdict.OUT_OF_SCOPE and "2025年版目录" not in older.reason


def test_plug_in_hybrid_purchase_is_matched_then_rejected_by_the_powertrain_criterion():
    result = screen("个人购置插电式混合动力SUV（PHEV），车价32万元，首付30%")
    assert result.candidates[0].code == "9.1.1"
    assert result.verdict is Verdict.NOT_ELIGIBLE and "vehicle_type=phev" in result.reason


def test_stated_lack_of_certification_is_out_of_scope():
    assert screen("新发地市场蔬菜批发商户周转（无绿色食品认证）").verdict is Verdict.OUT_OF_SCOPE


def test_selling_certified_products_is_trade_not_certification_service():
    codes = [
        c.code for c in screen("电商店铺销售获绿色产品认证、节能产品认证的灯具和小家电").candidates
    ]
    assert codes[0].startswith("8.") and "7.5.2" not in codes[:1]


@pytest.mark.parametrize(
    "text",
    [
        "采购煤矸石综合利用生产线设备",  # 购煤 inside 采购煤矸石
        "购置选矿机及尾矿综合利用设备",  # 矿机 inside 选矿机
        "采购储能系统替代柴油发电机供电",  # replacing a diesel generator
        "改造前能耗未达标，改造后达到绿色建筑二星级",  # 未达 in another clause
        "Replacing 300 diesel trucks with battery-swap electric trucks",  # a replacement
        "淘汰柴油叉车，购置电动叉车40台",
    ],
)
def test_overriding_exclusions_do_not_fire_on_green_look_alikes(text):
    assert screen(text).verdict is not Verdict.OUT_OF_SCOPE


def test_an_ordinary_car_loan_is_not_green():
    assert screen("车贷，首付30%，分期36个月").verdict is Verdict.OUT_OF_SCOPE
    assert screen("汽车销售公司流动资金，用于购车").verdict is Verdict.OUT_OF_SCOPE


def test_working_capital_to_trade_a_named_green_product_is_in_scope():
    # section 8 finances the trade itself: a trader's working capital for a named green product
    traded = screen("地源热泵贸易流贷。地源热泵机组批发")
    assert traded.candidates[0].code.startswith("8.") and traded.verdict is not Verdict.OUT_OF_SCOPE
    # …but a manufacturer's plain working capital stays out, even with a manufacturing code
    assert screen("补充流动资金", "3811").verdict is Verdict.OUT_OF_SCOPE


@pytest.mark.parametrize(
    "text, out_in",
    [
        # activities the older catalogues list and 银发〔2025〕132号 dropped: excluded where dropped
        ("煤电机组灵活性改造", {"green-finance-2025", "bond-2021"}),  # 2019 3.4.4 keeps it
        ("煤电机组汽轮机通流改造", {"green-finance-2025"}),
        ("将厂内3台燃煤锅炉改造为燃气锅炉", {"green-finance-2025"}),
        ("炼厂实施汽柴油质量升级改造，产品全部达到国VI标准", {"green-finance-2025", "bond-2021"}),
        ("重型燃气轮机研制及产业化", {"green-finance-2025"}),
        ("页岩气压裂装备制造", {"green-finance-2025", "bond-2021"}),
    ],
)
def test_activities_dropped_from_an_edition_are_out_of_scope_there_only(text, out_in):
    for edition in ("green-finance-2025", "bond-2021", "industry-2019"):
        excluded = screen(text, edition=edition).verdict is Verdict.OUT_OF_SCOPE
        assert excluded == (edition in out_in), edition


def test_hydrogen_turbines_stay_in_the_2025_catalogue():
    result = screen("氢燃料燃气轮机研制及产业化")
    assert result.verdict is not Verdict.OUT_OF_SCOPE and result.candidates[0].code == "4.1.9"


@pytest.mark.parametrize(
    "text",
    [
        "汽车零部件贸易公司流动资金贷款",  # no particular product once generic words are removed
        "石油化工产品贸易公司流动资金贷款",
        "钢材贸易流贷",
    ],
)
def test_working_capital_of_an_ordinary_trader_stays_out(text):
    assert screen(text).verdict is Verdict.OUT_OF_SCOPE


@pytest.mark.parametrize(
    "text",
    [
        "将燃煤锅炉改造为生物质燃气锅炉",
        "燃煤锅炉改为掺氢天然气锅炉",
        "农村清洁取暖改造，其中煤改电3000户、煤改气1000户",
        "Landfill gas pipeline and generator sets",
        "废矿物油再生利用，建设加氢精制装置",
        "既有办公楼节能装修改造",
        "重型燃气轮机掺氢改造",
        "燃气轮机叶片再制造",
    ],
)
def test_new_exclusions_leave_green_look_alikes_alone(text):
    """No exclusion rule fires on these. The similarity to records labelled not green may still
    exclude the two hydrogen-blending texts: no 2025 item plainly covers operating
    hydrogen-blended combustion (4.1.9 makes the turbines, 4.2.8 runs mixed-gas pipelines)."""
    result = screen(text)
    assert result.verdict is not Verdict.OUT_OF_SCOPE or (
        "掺氢" in text and "已标注为非绿的案例" in result.reason
    ), result.reason


def test_english_phrases_match_whole_words_only():
    import polars as pl

    from greenfin.taxonomy.screening import expand_series

    biogas, lighting, heat = expand_series(
        pl.Series(["biogas station upgrade", "controlled lighting", "waste-to-energy plant"])
    )
    assert "加油站" not in biogas  # "gas station" inside "biogas station"
    assert "半导体照明" not in lighting  # "led lighting" inside "controlled lighting"
    assert "垃圾焚烧" in heat  # a hyphenated phrase still matches


@pytest.mark.parametrize(
    "text",
    ["报废工程机械发动机再制造，年再制造发动机2000台",
     "Term loan for remanufacturing of used truck engines and gearboxes"],
)  # fmt: skip
def test_remanufacturing_is_not_read_as_manufacturing(text):
    """Both "再制造" (it contains 制造) and "remanufacturing" (it contains manufactur) are masked
    before the kind cues run: restoring used products is not penalised as making them."""
    result = screen(text)
    assert "manufacturing" not in result.candidates[0].kind_note
    assert "3.2.5" in [c.code for c in result.candidates]
    # a maker of remanufacturing equipment still says it makes equipment
    maker = screen("再制造设备制造，年产激光熔覆设备200台")
    assert "manufacturing" in maker.candidates[0].kind_note


@pytest.mark.parametrize(
    "text, expected",
    [("环境监测仪器代理商采购进口VOCs在线监测系统用于销售", "8.3.3"),
     ("有机蔬菜连锁门店备货", "8.6.2")],
)  # fmt: skip
def test_agents_and_chain_stores_are_trade(text, expected):
    result = screen(text)
    assert "trade" in result.candidates[0].kind_note
    assert expected in [c.code for c in result.candidates]


def test_a_trade_item_is_indexed_with_the_scope_of_the_items_it_refers_to():
    """8.3.1's text says its equipment is that of eight manufacturing items ("参照本目录2.1.1、
    2.1.2、…2.1.12有关规定要求"): its index document holds their n-grams, each at its largest
    count among them, times ``reference_weight``; an item that refers to nothing gets nothing."""
    from greenfin.taxonomy.screening import CODE, REFERENCE
    from greenfin.taxonomy.text import ngrams

    engine = screener()
    items = engine.catalogue.items
    trade = items["8.3.1"]
    referred_codes = {c for g in REFERENCE.findall(trade.text_zh) for c in CODE.findall(g)}
    assert referred_codes == {"2.1.1", "2.1.2", "2.1.3", "2.1.4", "2.1.5", "2.1.6", "2.1.10",
                              "2.1.12"}  # fmt: skip
    expected: Counter[str] = Counter()
    for code in referred_codes:
        expected |= Counter(ngrams(items[code].text_zh))
    weight = engine.weights.reference_weight
    got = engine._referred_counts(trade)
    assert got.keys() == expected.keys()
    assert all(got[g] == pytest.approx(weight * n) for g, n in expected.items())
    assert not engine._referred_counts(items["4.2.2"])  # a plant item refers to nothing
    # "钢渣" is named by 3.1.3 (industrial solid-waste equipment), which 8.4.3 refers to
    assert screen("钢渣设备贸易").candidates[0].code == "8.4.3"


def test_the_verdict_does_not_depend_on_how_many_candidates_are_asked_for():
    texts = [
        "燃煤锅炉改为掺氢天然气锅炉",
        "钢材贸易流贷",
        "屋顶分布式光伏电站建设",
        "商品住宅开发贷款",
        "新增YE3系列三相异步电动机产能30万kW，产品能效为GB 18613规定的2级",
    ]
    records = [ScreeningInput(str(k), "", t) for k, t in enumerate(texts)]
    one, three = screener().screen_many(records, top_k=1), screener().screen_many(records, top_k=3)
    assert [(r.verdict, r.reason) for r in one] == [(r.verdict, r.reason) for r in three]
