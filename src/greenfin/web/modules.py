"""The platform's modules as shown in navigation, with an honest build status."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Module:
    slug: str
    issue: int
    built: bool
    planned_zh: tuple[str, ...]
    planned_en: tuple[str, ...]
    # where the built module lives; placeholders have their own page under /modules/
    href: str = ""
    # what works today (zh, en, link or "") and what is still missing (zh, en)
    available: tuple[tuple[str, str, str], ...] = ()
    not_yet: tuple[tuple[str, str], ...] = ()


MODULES: tuple[Module, ...] = (
    Module(
        "taxonomy", 3, True,
        ("《绿色金融支持项目目录（2025年版）》、2021年债券目录、2019年产业目录与欧盟分类法的版本化数据及对照",
         "单个项目与整个贷款组合的绿色识别（可解释的评分与技术标准校验）"),
        ("Versioned catalogues (2025 unified catalogue, 2021 bond, 2019 industry, EU Taxonomy) and crosswalks",
         "Explainable screening of one project or a whole loan book, with technical criteria checks"),
        "/taxonomy",
    ),
    Module(
        "carbon", 4, True,
        ("排放因子库、企业碳账户、项目减排量测算", "碳减排支持工具季度披露表、PCAF 融资排放"),
        ("Emission-factor library, enterprise carbon accounts, project reductions",
         "PBOC carbon emission reduction facility disclosure, PCAF financed emissions"),
        "/modules/carbon",
        (
            ("企业碳账户：录入能源数据、范围一/二排放、强度、分级与趋势（企业用户）",
             "Enterprise carbon account: energy data, scope 1/2, intensity, grade, trend (enterprises)",
             "/carbon/account"),
            ("碳减排支持工具季度披露表：命令行 greenfin carbon cerf-disclosure 与 API",
             "CERF quarterly disclosure: CLI greenfin carbon cerf-disclosure and the API", "/docs"),
            ("PCAF 融资排放（九类资产、数据质量评分）：命令行 greenfin carbon financed 与 API",
             "PCAF financed emissions (nine asset classes, DQ scores): CLI greenfin carbon financed "
             "and the API", "/docs"),
            ("排放因子库：电网因子（2021—2023）、全国碳市场 0.5703、IPCC 2006 燃料缺省值、折标系数",
             "Factor library: grid factors 2021–2023, ETS 0.5703, IPCC 2006 fuel defaults, "
             "standard-coal coefficients", ""),
        ),
        (
            ("碳减排支持工具与 PCAF 的网页上传界面", "Web upload pages for CERF and PCAF"),
            ("项目减排量测算的界面（方法库已在领域代码中）",
             "Screens for project emission reductions (the methods exist in the domain library)"),
        ),
    ),
    Module(
        "loans", 5, False,
        ("贷款数据导入与校验、绿色贷款专项统计", "银行业金融机构绿色金融评价、JR/T 0227 环境信息披露报告"),
        ("Loan-book import and validation, green credit statistics",
         "PBOC green-finance evaluation of banks, JR/T 0227 disclosure reports"),
    ),
    Module(
        "library", 6, False,
        ("企业申报绿色项目、自动识别与评级、评审流程", "金融产品发布与银企对接"),
        ("Enterprise project submission, automatic screening and grading, review workflow",
         "Green product marketplace and bank–enterprise matching"),
    ),
    Module("risk", 0, False, ("NGFS 情景气候压力测试与预警",), ("Climate stress tests on NGFS scenarios, early warning",)),
    Module("indices", 0, False, ("绿色债券与股票指数",), ("Green bond and equity indices",)),
    Module("citizens", 0, False, ("个人绿色出行碳账户",), ("Personal green-travel carbon accounts",)),
)  # fmt: skip

BY_SLUG = {m.slug: m for m in MODULES}
