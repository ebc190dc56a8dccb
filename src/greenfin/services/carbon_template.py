"""The Excel template for a year of energy data (with a 填写说明 sheet), and its parser."""

from __future__ import annotations

import io
from typing import Any

import polars as pl
import xlsxwriter
from pydantic import ValidationError

from greenfin.services.carbon_accounts import EnergyYearIn
from greenfin.services.errors import FieldProblem, InvalidInput

FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("year", "核算年度", "年", "例如 2024"),
    ("region", "电网区域", "", "华北（北京默认）或 national（全国平均）"),
    ("revenue_10k_cny", "营业收入", "万元", "必填，大于 0"),
    ("output", "产品产量", "", "可选；填写后计算单位产品排放强度"),
    ("output_unit", "产量单位", "", "例如 t"),
    ("electricity_mwh", "外购电力", "MWh", "1 MWh = 1000 kWh"),
    ("heat_gj", "外购热力", "GJ", "蒸汽、热水"),
    (
        "heat_factor_tco2_per_gj",
        "热力排放因子",
        "tCO2/GJ",
        "填写外购热力时必填，按供热单位提供的因子",
    ),
    ("process_tco2e", "工业过程排放", "tCO2e", "如水泥熟料煅烧，按企业核算结果填写"),
)
FIELD_KEYS = tuple(key for key, *_ in FIELDS)
ENERGY_SHEET, FUEL_SHEET, HELP_SHEET = "能源数据", "燃料", "填写说明"
HELP = (
    "本模板用于录入企业一个核算年度的能源数据，上传后系统计算范围一、范围二排放及排放强度。",
    "“能源数据”页：在“值”列填写；不适用的项目留空。",
    "“燃料”页：每行一种燃料，fuel 填写燃料名称（IPCC 2006 燃料：柴油、车用汽油、无烟煤、"
    "炼焦煤、褐煤、其他烟煤、次烟煤、天然气、液化石油气、原油、残渣燃料油、航空煤油、焦炭、焦炉煤气、"
    "高炉煤气等），quantity 为数量，unit 为单位（t、GJ 等；天然气请换算为 t 或 GJ）。"
    "“原煤”等未区分煤种的名称无法对应缺省因子，请按煤种填写。",
    "排放因子：燃料采用 IPCC 2006 缺省值，电力采用生态环境部、国家统计局公布的电网排放因子；"
    "计算结果列明每个因子的来源和年份。",
    "行业基准与分级阈值为示例配置（illustrative），不代表官方标准，试验区应加载本地数据。",
)


def template_bytes() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    energy = book.add_worksheet(ENERGY_SHEET)
    for col, title in enumerate(("field", "项目", "value 值", "单位", "说明")):
        energy.write(0, col, title, bold)
    for row, (key, label, unit, note) in enumerate(FIELDS, start=1):
        energy.write_row(row, 0, (key, label, "", unit, note))
    energy.set_column(0, 4, 18)
    fuels = book.add_worksheet(FUEL_SHEET)
    fuels.write_row(0, 0, ("fuel", "quantity", "unit"), bold)
    help_sheet = book.add_worksheet(HELP_SHEET)
    for row, line in enumerate(HELP):
        help_sheet.write(row, 0, line)
    help_sheet.set_column(0, 0, 120)
    book.close()
    return buffer.getvalue()


def _sheet(data: bytes, name: str) -> pl.DataFrame:
    try:
        return pl.read_excel(io.BytesIO(data), sheet_name=name, infer_schema_length=0)
    except Exception as exc:  # fastexcel raises several kinds; the user needs the sheet named
        raise InvalidInput.on("file", f"sheet {name!r} missing or unreadable: {exc}") from None


def parse(data: bytes) -> EnergyYearIn:
    """Read a filled template into :class:`EnergyYearIn`; problems name sheet, row and field."""
    energy = _sheet(data, ENERGY_SHEET)
    if "field" not in energy.columns or "value 值" not in energy.columns:
        raise InvalidInput.on("file", f"sheet {ENERGY_SHEET!r} lacks the field / value columns")
    values: dict[str, Any] = {
        str(k): v
        for k, v in energy.select("field", "value 值").iter_rows()
        if k and v not in (None, "")
    }
    fuels = _sheet(data, FUEL_SHEET)
    rows = [
        {"fuel": f, "quantity": q, "unit": u}
        for f, q, u in fuels.select("fuel", "quantity", "unit").iter_rows()
        if f or q or u
    ] if {"fuel", "quantity", "unit"} <= set(fuels.columns) else []  # fmt: skip
    try:
        return EnergyYearIn(**values, fuels=rows)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            if loc and loc[0] == "fuels" and len(loc) > 1:
                where, row = f"{FUEL_SHEET}.{'.'.join(loc[2:])}", int(loc[1]) + 1
            else:
                where, row = f"{ENERGY_SHEET}.{'.'.join(loc)}", None
            problems.append(FieldProblem(where, error["msg"], row))
        raise InvalidInput("the template has errors", problems) from None
