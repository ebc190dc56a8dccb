"""Bulk upload of projects from Excel/CSV (项目批量导入): the template with 填写说明 and an
all-or-nothing import that names every problem by row and field.

Every row is validated with the same :class:`services.projects.ProjectIn` as the web form and the
API; one bad row → nothing is created. With ``submit`` the new drafts are submitted at once and
screened in one batch pass (``taxonomy.batch.screen_frame``).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import xlsxwriter
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from greenfin.identity.principal import Actor
from greenfin.library import reduction
from greenfin.services import projects
from greenfin.services.errors import FieldProblem, InvalidInput
from greenfin.services.tabular import read_user_table

DATA_SHEET, HELP_SHEET = "项目", "填写说明"
MAX_ROWS = 2000
MAX_FILE_BYTES = 10 * 2**20
MAX_PROBLEMS = 200
TRUE_WORDS = {"是", "true", "yes", "y", "1", "√"}
FALSE_WORDS = {"否", "false", "no", "n", "0", ""}
# column, label, required, note
FIELDS: tuple[tuple[str, str, bool, str], ...] = (
    ("name", "项目名称", True, "2–200 字"),
    ("description", "项目描述", True, "至少 10 字：建设内容、规模、技术、预期效果（用于目录识别）"),
    ("industry_code", "行业代码", True, "GB/T 4754-2017 大类/中类/小类代码，如 4416"),
    ("district", "所在区", True, "北京市辖区代码或名称，如 110112 或 通州"),
    ("in_city_sub_centre", "位于城市副中心", False, "是/否；仅通州区可填“是”"),
    ("location", "建设地点", False, "详细地址"),
    ("total_investment_10k_cny", "总投资（万元）", True, "大于 0"),
    ("financing_amount_10k_cny", "融资需求（万元）", False, "大于 0，且不超过总投资"),
    ("financing_term_months", "融资期限（月）", False, "1–600"),
    ("financing_type", "融资方式", False, "代码，见下表"),
    ("technical_parameters", "技术参数", False,
     "参数=值，多个用分号分隔，如 green_building_star=2; building_energy_saving_pct=30"),
)  # fmt: skip
HELP = (
    "本模板用于批量申报绿色项目。每行一个项目；“项目”页第一行为列名，请勿修改。",
    "导入为“全部或全不”：任一行有错误时不会创建任何项目，系统按行和列列出全部错误。",
    "行号从 1 开始，指“项目”页列名下面的第一行数据。",
    "产出指标列（如 annual_generation_mwh 年对外供电量）用于测算年减排量，按年填写，单位见下表；"
    "不适用的留空。",
    "导入后项目为草稿，可在网页上传证明材料后提交；勾选“导入后立即提交”则直接提交并自动识别、测算和评级。",
)


def _columns() -> list[tuple[str, str, bool, str]]:
    outputs = [
        (key, f"{p.label_zh}（{p.unit}）", False, f"{p.label_en}; method {p.method_id}")
        for key, p in reduction.output_keys().items()
    ]
    return [*FIELDS, *outputs]


def template_bytes() -> bytes:
    """The XLSX template: a 项目 sheet (column keys, a note on each) and 填写说明."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    text = book.add_format({"num_format": "@"})
    sheet = book.add_worksheet(DATA_SHEET)
    columns = _columns()
    for col, (key, label, required, note) in enumerate(columns):
        sheet.write(0, col, key, bold)
        sheet.write_comment(0, col, f"{label}{'（必填）' if required else ''}\n{note}")
        sheet.set_column(col, col, 18, text if key in ("industry_code", "district") else None)
    keys = [key for key, *_ in columns]
    for key, choices in (("financing_type", list(projects.financing_types())),
                         ("in_city_sub_centre", ["是", "否"])):  # fmt: skip
        col = keys.index(key)
        sheet.data_validation(1, col, MAX_ROWS, col, {"validate": "list", "source": choices})
    sheet.freeze_panes(1, 0)
    help_sheet = book.add_worksheet(HELP_SHEET)
    row = 0
    for line in HELP:
        help_sheet.write(row, 0, line)
        row += 1
    row += 1
    help_sheet.write_row(row, 0, ("列名 column", "名称", "是否必填", "说明"), bold)
    for key, label, required, note in columns:
        row += 1
        help_sheet.write_row(row, 0, (key, label, "必填" if required else "选填", note), wrap)
    row += 2
    help_sheet.write_row(row, 0, ("融资方式代码", "名称"), bold)
    for code, (zh, en) in projects.financing_types().items():
        row += 1
        help_sheet.write_row(row, 0, (code, f"{zh} {en}"))
    row += 2
    help_sheet.write_row(row, 0, ("技术参数 parameter", "名称", "单位", "说明"), bold)
    for name, spec in sorted(projects.screening_parameters().items()):
        row += 1
        help_sheet.write_row(row, 0, (name, spec["label_zh"], spec["unit"], spec["label_en"]), wrap)
    for name, spec in reduction.parameter_keys().items():
        row += 1
        help_sheet.write_row(row, 0, (name, spec.label_zh, spec.unit, spec.label_en), wrap)
    help_sheet.set_column(0, 0, 34)
    help_sheet.set_column(1, 1, 30)
    help_sheet.set_column(2, 3, 40)
    book.close()
    return buffer.getvalue()


class ImportedProject(BaseModel):
    row: int
    project_id: int
    name: str
    status: str
    proposed_grade: str | None


class ImportOut(BaseModel):
    organisation_id: int
    created: int
    submitted: bool
    projects: list[ImportedProject]


def _parameters(text: str, row: int, problems: list[FieldProblem]) -> dict[str, str]:
    out: dict[str, str] = {}
    for piece in filter(None, (p.strip() for p in text.replace("；", ";").split(";"))):
        key, sep, value = piece.partition("=")
        if not sep or not key.strip() or not value.strip():
            problems.append(FieldProblem("technical_parameters", f"{piece!r}: write 参数=值", row))
            continue
        out[key.strip()] = value.strip()
    return out


def _row_input(values: dict[str, str], row: int, problems: list[FieldProblem]) -> Any:
    data: dict[str, Any] = {}
    outputs: dict[str, str] = {}
    for key, raw in values.items():
        text = (raw or "").strip()
        if key == "in_city_sub_centre":
            word = text.lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                problems.append(FieldProblem(key, f"{text!r}: write 是 or 否", row))
                continue
            data[key] = word in TRUE_WORDS
        elif key == "technical_parameters":
            data[key] = _parameters(text, row, problems)
        elif key in reduction.output_keys():
            if text:
                outputs[key] = text
        elif text:
            data[key] = text
    data["expected_outputs"] = outputs
    try:
        return projects.ProjectIn(**data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            message = str(error["msg"]).removeprefix("Value error, ")
            field = loc[-1] if loc and loc[0] == "expected_outputs" else (loc[0] if loc else "row")
            problems.append(FieldProblem(field, message, row))
        return None


def import_projects(
    session: Session,
    actor: Actor,
    data: bytes,
    filename: str,
    *,
    organisation_id: int | None = None,
    submit: bool = False,
) -> ImportOut:
    """Create every row as a draft of the enterprise (and submit them), or nothing."""
    table = read_user_table(data, filename)
    frame = table.frame
    known = {key for key, *_ in _columns()}
    problems: list[FieldProblem] = []
    unknown = [c for c in frame.columns if c not in known]
    missing = [key for key, _, required, _ in FIELDS if required and key not in frame.columns]
    problems += [FieldProblem(c, "unknown column / 未知列", None) for c in unknown]
    problems += [FieldProblem(c, "required column is missing / 缺少必填列", None) for c in missing]
    if problems:
        raise InvalidInput(
            f"{Path(filename).name}: the columns do not match the template", problems
        )
    rows = [r for r in frame.iter_rows(named=True) if any((v or "").strip() for v in r.values())]
    if not rows:
        raise InvalidInput.on("file", "the file has no project rows / 没有项目数据")
    if len(rows) > MAX_ROWS:
        raise InvalidInput.on("file", f"at most {MAX_ROWS} projects per file")
    inputs = [_row_input(values, i, problems) for i, values in enumerate(rows, start=1)]
    if problems:
        shown = problems[:MAX_PROBLEMS]
        raise InvalidInput(
            f"{Path(filename).name}: {len(problems)} problem(s); nothing was imported "
            f"/ 共 {len(problems)} 处错误，未导入任何项目",
            shown,
        )
    created = [
        projects.create_project(session, actor, data_in, organisation_id=organisation_id)
        for data_in in inputs
    ]
    if submit:
        projects.submit_many(session, actor, [p.id for p in created])
        created = [projects.get_project(session, actor, p.id) for p in created]
    return ImportOut(
        organisation_id=created[0].organisation_id, created=len(created), submitted=submit,
        projects=[
            ImportedProject(row=i, project_id=p.id, name=p.name, status=p.status,
                            proposed_grade=p.proposed_grade)
            for i, p in enumerate(created, start=1)
        ],
    )  # fmt: skip
