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
        "loans", 5, True,
        ("贷款数据导入与校验、绿色贷款专项统计", "银行业金融机构绿色金融评价、JR/T 0227 环境信息披露报告"),
        ("Loan-book import and validation, green credit statistics",
         "PBOC green-finance evaluation of banks, JR/T 0227 disclosure reports"),
        "/modules/loans",
        (
            ("贷款台账上传（CSV/XLSX/Parquet，逐行校验、全部通过才导入、问题清单下载），自动筛查并与银行自认定标识比对",
             "Loan-book upload (CSV/XLSX/Parquet, every row validated, all or nothing, error file), "
             "screened and compared with the bank's own tags", "/loans"),
            ("绿色贷款专项统计：按用途（2025/2019 两种结构）、行业、碳减排效益、区域（含城市副中心），"
             "余额、占比、环比、同比、不良率、信用贷款率、绿色企业获贷率；Excel 导出",
             "Green credit statistics: by use (2025 and 2019 structures), industry, carbon benefit, "
             "district (with the city sub-centre); balance, share, q/q, y/y, NPL, credit-loan "
             "ratio, green-enterprise access; Excel export", "/statistics"),
            ("绿色金融评价（人民银行 2021、重庆 2023 两套方案）：季度评分、等级、排名、逐项说明、"
             "监管定性评分录入、京绿融/京绿通优先名单",
             "Green-finance evaluation (PBOC 2021 and Chongqing 2023 schemes): quarterly points, "
             "grades, ranking, explanations, regulators' qualitative scores, 京绿融/京绿通 "
             "priority list", "/evaluation"),
            ("监管看板：银行排名、绿色贷款总额与趋势、分区表与图、银行标识与平台筛查不一致",
             "Regulator dashboard: ranking, totals and trend, districts, tag disagreements",
             "/regulator"),
            ("JR/T 0227 环境信息披露报告（网页与 PDF）",
             "JR/T 0227 environmental disclosure report (HTML and PDF)", "/disclosure"),
            ("命令行：greenfin loans import、statistics export、evaluation run",
             "CLI: greenfin loans import, statistics export, evaluation run", ""),
        ),
        (
            ("评价的定量输入不含绿色债券（平台未采集），总资产以贷款余额代替；官方评分细则未公开，"
             "评分公式与等级划分为平台假设",
             "Evaluation inputs leave out green bonds (not collected) and use the loan balance for "
             "total assets; the official scoring annex is not public, so formulas and grade bands "
             "are assumptions"),
            ("专项统计的环境效益指标（节约标准煤、减排二氧化碳等）与人民银行报送格式导出",
             "Environmental-benefit fields of the special statistics and export in the PBOC "
             "reporting format"),
            ("分区地图（目前为分区表和柱状图）", "A district map (a table and a bar chart for now)"),
        ),
    ),
    Module(
        "library", 6, True,
        ("企业申报绿色项目、自动识别与评级、评审流程", "金融产品发布与银企对接"),
        ("Enterprise project submission, automatic screening and grading, review workflow",
         "Green product marketplace and bank–enterprise matching"),
        "/modules/library",
        (
            ("绿色项目申报（网页表单、API、Excel 批量）、证明材料上传（类型与内容校验）",
             "Project submission (form, API, Excel bulk upload) with checked evidence uploads",
             "/projects"),
            ("自动识别目录条目、测算年减排量、按评分规则建议等级（深绿/中绿/浅绿/非绿）",
             "Automatic screening, annual reduction estimate and a proposed grade from the rubric",
             "/projects"),
            ("评审流程：领取/分配、批准/退回/不予通过，深绿双人复核，全程审计留痕",
             "Review workflow: claim/assign, approve/return/reject, four eyes for 深绿, ledgered",
             "/projects"),
            ("绿色项目库检索（中文全文、目录类别、等级、区域含城市副中心、融资需求）",
             "Library search (Chinese full text, category, grade, district incl. sub-centre, "
             "financing need)", "/library"),
            ("认定证书（PDF）与公开验证页面", "Certificates (PDF) and the public verification page",
             "/verify"),
            # issue #6 part B: marketplace and matching
            ("金融产品发布（银行、保险、担保机构；适用条件以数据保存）与双向匹配（排序并说明理由）",
             "Green products by banks, insurers and guarantors (eligibility rules as data); "
             "matching both ways, ranked and explained", "/market/products"),
            ("融资需求对接：企业发布、前 N 家机构抢单、企业选择、机构登记放款结果；通知与获贷率统计",
             "Financing demands: post, first-N interest, choice, outcome; notifications and the "
             "loan success rate", "/market/demands"),
        ),
        (
            ("企业环境信用仅取企业碳账户等级，未接入生态环境部门的企业环境信用评价",
             "Environmental credit uses the carbon-account grade only; no official "
             "enterprise environmental-credit rating is connected"),
            ("证明材料不做病毒扫描，也不核验内容真伪（由评审员核对）",
             "Uploads are not virus-scanned and their content is not verified (reviewers check)"),
            # issue #6 part B
            ("不接入银行信贷系统：放款结果由机构在平台登记，平台不核验",
             "No link to banks' credit systems: outcomes are entered by the institution, not "
             "verified"),
            ("通知只在站内显示，不发短信或邮件；“京绿融/京绿通”仅为产品标记，未接入申请流程",
             "Notifications are in-app only (no SMS or e-mail); 京绿融/京绿通 are product flags, "
             "no application flow"),
        ),
    ),
    Module("risk", 0, False, ("NGFS 情景气候压力测试与预警",), ("Climate stress tests on NGFS scenarios, early warning",)),
    Module("indices", 0, False, ("绿色债券与股票指数",), ("Green bond and equity indices",)),
    Module("citizens", 0, False, ("个人绿色出行碳账户",), ("Personal green-travel carbon accounts",)),
)  # fmt: skip

BY_SLUG = {m.slug: m for m in MODULES}
