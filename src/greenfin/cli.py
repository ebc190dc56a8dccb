"""Command-line face: ``greenfin serve | db | demo | users | audit``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin.identity.principal import SystemActor
from greenfin.identity.roles import Role
from greenfin.services import audit, demo, users
from greenfin.services.errors import ServiceError
from greenfin.settings import get_settings
from greenfin.store import Database, upgrade_database
from greenfin.store.models import Organisation

app = typer.Typer(help="greenfin: green-finance reform zone platform", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
demo_app = typer.Typer(help="Synthetic demo data (示例)", no_args_is_help=True)
users_app = typer.Typer(help="User accounts", no_args_is_help=True)
audit_app = typer.Typer(help="Audit ledger", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
taxonomy_app = typer.Typer(help="Green taxonomies: catalogues and screening", no_args_is_help=True)
app.add_typer(taxonomy_app, name="taxonomy")
carbon_app = typer.Typer(help="Carbon accounting: CERF disclosure, PCAF", no_args_is_help=True)
app.add_typer(carbon_app, name="carbon")
loans_app = typer.Typer(help="Bank loan books", no_args_is_help=True)
app.add_typer(loans_app, name="loans")

console = Console()
err = Console(stderr=True)


def _database() -> Database:
    return Database(get_settings().database_url)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply schema migrations (Alembic) to GREENFIN_DATABASE_URL."""
    url = get_settings().database_url
    upgrade_database(url, revision)
    console.print(
        f"database at [bold]{Database(url).engine.url.render_as_string()}[/] is at {revision}"
    )


def _load_demo(database: Database, seed: int) -> demo.DemoLoadResult:
    with Progress(
        TextColumn("[green]demo data (示例)"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console,
    ) as progress:  # fmt: skip
        task = progress.add_task("load", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        with database.session() as session:
            return demo.load_demo(session, seed=seed, progress=tick, loan_books=True)


def _print_logins(result: demo.DemoLoadResult, base_url: str | None = None) -> None:
    if base_url:
        console.print(
            f"\n[bold green]greenfin is running at {base_url}[/]  (API docs: {base_url}/docs)"
        )
    table = Table(title="Demo log-ins (synthetic 示例)")
    for col in ("username", "role", "password"):
        table.add_column(col)
    for row in result.logins:
        table.add_row(*row)
    console.print(table)


@demo_app.command("load")
def demo_load(seed: Annotated[int, typer.Option(help="Random seed")] = 20261127) -> None:
    """Load the seeded synthetic population (≥ 200 enterprises, banks, insurers, log-ins)."""
    database = _database()
    upgrade_database(database.url)
    result = _load_demo(database, seed)
    if result.loaded:
        console.print(f"loaded {result.organisations} organisations and {result.users} users")
    else:
        console.print("demo data already present; nothing changed")
    _print_logins(result)


def _organisation_id(session: Session, organisation: str) -> int:
    """Resolve an organisation given by id or 统一社会信用代码; exit 1 naming it if unknown."""
    number = int(organisation) if organisation.isdigit() and len(organisation) < 10 else -1
    stmt = select(Organisation.id).where(
        (Organisation.uscc == organisation.upper()) | (Organisation.id == number)
    )
    org_id = session.execute(stmt).scalar_one_or_none()
    if org_id is None:
        raise _fail(f"organisation: no organisation {organisation!r}")
    return org_id


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Log-in name")],
    organisation: Annotated[str, typer.Option(help="Organisation id or 统一社会信用代码")],
    role: Annotated[Role, typer.Option(help="Role")],
    display_name: Annotated[str | None, typer.Option(help="Shown name")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a user with a role in one organisation (recorded in the audit ledger)."""
    database = _database()
    with database.session() as session:
        org_id = _organisation_id(session, organisation)
        try:
            data = users.UserCreate(
                username=username, display_name=display_name or username, password=password,
                organisation_id=org_id, role=role,
            )  # fmt: skip
            created = users.create_user(session, SystemActor(username="cli"), data)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise _fail(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        except ServiceError as exc:
            raise _fail(exc.detail) from None
    console.print(
        f"created user [bold]{created.username}[/] ({created.role.value}) "
        f"in {created.organisation_name_zh}"
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """Verify the hash chain; exit 1 and name the first broken record if anything was altered."""
    with _database().session() as session:
        result = audit.verify(session)
    if result.ok:
        console.print(f"[green]ledger intact[/]: {result.checked} records verified")
        return
    raise _fail(f"ledger broken at record {result.first_broken_seq}: {result.reason}")


def _report_problems(source: Path, exc: ServiceError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {source}: {exc.title.lower()}, nothing written")
    for problem in exc.problems[:50]:
        where = f"row {problem.row}, " if problem.row is not None else ""
        err.print(f"  {where}field {problem.field}: {problem.message}")
    if len(exc.problems) > 50:
        err.print(f"  … and {len(exc.problems) - 50} more")
    return typer.Exit(1)


def _check_paths(source: Path, output: Path) -> None:
    from greenfin.engine import tables

    if not source.is_file():
        raise _fail(f"{source}: file not found")
    if output.suffix.lower() not in tables.READABLE:
        raise _fail(f"{output}: output must end in .csv, .xlsx or .parquet")


@taxonomy_app.command("screen")
def taxonomy_screen(
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="CSV (UTF-8/GBK/GB18030), XLSX or Parquet: id,name,description[,industry_code]",
        ),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Result file; format from its extension")
    ],
    edition: Annotated[
        str, typer.Option(help="green-finance-2025 | bond-2021 | industry-2019")
    ] = "green-finance-2025",
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=10)] = 3,
) -> None:
    """Screen every row against a catalogue edition; writes the whole result or nothing."""
    from greenfin.engine import tables
    from greenfin.services import taxonomy

    _check_paths(input_path, output)
    with Progress(
        TextColumn(f"[green]screening ({edition})"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err,
    ) as progress:  # fmt: skip
        task = progress.add_task("screen", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            frame, encoding = taxonomy.screen_table(
                input_path.read_bytes(), input_path.name, edition, top_k, tick
            )
        except ServiceError as exc:
            progress.stop()
            raise _report_problems(input_path, exc) from None
    tables.write_atomic(frame, output)
    note = f" (input decoded as {encoding})" if encoding else ""
    console.print(f"screened {frame.height} rows → {output}{note}")


@taxonomy_app.command("export-examples")
def taxonomy_export_examples(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="CSV in the schema of labelled_examples.csv")
    ],
) -> None:
    """Approved library projects with their item (set by the reviewer, or the screening's item
    accepted at approval: the source column says which), as candidate labelled examples for
    curators to check and add with benchmarks/taxonomy_examples.py --include."""
    import polars as pl

    from greenfin.engine import tables
    from greenfin.services import project_library

    if output.suffix.lower() != ".csv":
        raise _fail(f"{output}: output must end in .csv")
    with _database().session() as session:
        rows = project_library.approved_classifications(session, SystemActor(username="cli"))
    schema = ["example_id", "source_set", "edition", "codes", "text", "source"]
    tables.write_atomic(pl.DataFrame(rows, schema=dict.fromkeys(schema, pl.String)), output)
    console.print(f"{len(rows)} approved classifications (check each item) → {output}")


@carbon_app.command("cerf-disclosure")
def carbon_cerf_disclosure(
    loans: Annotated[Path, typer.Argument(metavar="LOANS", help="Loans: CSV/XLSX/Parquet")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Disclosure table file")],
    quarter: Annotated[str, typer.Option(help="Reporting quarter, e.g. 2023Q2")],
    since: Annotated[
        str | None, typer.Option(help="First quarter of 'since start', e.g. 2021Q4")
    ] = None,
    chinese_headers: Annotated[
        bool, typer.Option(help="Template headers in Chinese instead of the column contract")
    ] = False,
) -> None:
    """碳减排支持工具 quarterly disclosure: 本季度, 本年度累计, 获得工具以来累计 per area + 合计."""
    from greenfin.engine import tables
    from greenfin.services import carbon

    _check_paths(loans, output)
    try:
        table = carbon.cerf_disclosure(
            loans.read_bytes(), loans.name, quarter, since, chinese_headers
        )
    except ServiceError as exc:
        raise _report_problems(loans, exc) from None
    tables.write_atomic(table, output)
    console.print(f"disclosure for {quarter}: {table.height} rows → {output}")


@carbon_app.command("financed")
def carbon_financed(
    positions: Annotated[Path, typer.Argument(metavar="POSITIONS", help="CSV/XLSX/Parquet")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Per-position result file")],
    summary: Annotated[Path | None, typer.Option(help="Summary per asset class and sector")] = None,
    reporting_year: Annotated[
        int, typer.Option(help="Year the report is published (drives the scope-3 phase-in)")
    ] = date.today().year,
) -> None:
    """PCAF Part A financed emissions: attribution, financed scopes 1-3 and data quality."""
    from greenfin.engine import tables
    from greenfin.services import carbon

    _check_paths(positions, output)
    if summary is not None:
        _check_paths(positions, summary)
    try:
        result, table = carbon.financed_emissions(
            positions.read_bytes(), positions.name, reporting_year
        )
    except ServiceError as exc:
        raise _report_problems(positions, exc) from None
    tables.write_atomic(result, output)
    if summary is not None:
        tables.write_atomic(table, summary)
    console.print(
        f"financed emissions for {result.height} positions → {output} "
        f"(reporting year {reporting_year}: drives the scope-3 phase-in)"
    )


@carbon_app.command("account")
def carbon_account(
    template: Annotated[
        Path, typer.Argument(help="Filled Excel template (能源数据 / 燃料 sheets)")
    ],
    organisation: Annotated[str, typer.Option(help="Enterprise id or 统一社会信用代码")],
) -> None:
    """Enter one year of an enterprise's energy data from the Excel template (as the operator)."""
    from greenfin.services import carbon_accounts, carbon_template

    if not template.is_file():
        raise _fail(f"{template}: file not found")
    with _database().session() as session:
        org_id = _organisation_id(session, organisation)
        try:
            data = carbon_template.parse(template.read_bytes())
            account = carbon_accounts.submit(session, SystemActor(username="cli"), org_id, data)
        except ServiceError as exc:
            raise _report_problems(template, exc) from None
    table = Table(title=f"碳账户 {account.year} (organisation {org_id})")
    table.add_column("item")
    table.add_column("value", justify="right")
    for label, value in (
        ("scope 1 tCO2e", account.scope1_tco2e),
        ("scope 2 location tCO2e", account.scope2_location_tco2e),
        ("scope 2 market tCO2e", account.scope2_market_tco2e),
        ("intensity tCO2e/万元", account.intensity_tco2e_per_10k_cny),
    ):
        table.add_row(label, f"{value:,.3f}")
    table.add_row("grade (illustrative thresholds)", account.grade_label_zh or "ungraded")
    console.print(table)


@loans_app.command("import")
def loans_import(
    book: Annotated[
        Path, typer.Argument(metavar="FILE", help="CSV (UTF-8/GBK/GB18030), XLSX or Parquet")
    ],
    bank: Annotated[str, typer.Option(help="Bank organisation id or 统一社会信用代码")],
    as_of: Annotated[str, typer.Option("--as-of", help="Reporting date, e.g. 2026-09-30")],
    errors: Annotated[
        Path | None, typer.Option(help="Write every problem (row, field) to this CSV if rejected")
    ] = None,
) -> None:
    """Import a bank's loan book: all rows valid or nothing; the same file twice imports once."""
    from greenfin.services import loans

    if not book.is_file():
        raise _fail(f"{book}: file not found")
    try:
        reporting_date = date.fromisoformat(as_of)
    except ValueError:
        raise _fail(f"as-of: {as_of!r} is not a date (YYYY-MM-DD)") from None
    settings = get_settings()
    with _database().session() as session:
        bank_id = _organisation_id(session, bank)
        try:
            result = loans.import_loan_book(
                session, SystemActor(username="cli"), book.read_bytes(), book.name, bank_id,
                reporting_date, settings.data_dir,
            )  # fmt: skip
        except loans.LoanBookRejected as exc:
            if errors is not None:
                errors.write_bytes(exc.error_csv)
                err.print(f"every problem written to {errors}")
            raise _report_problems(book, exc) from None
        except ServiceError as exc:
            raise _report_problems(book, exc) from None
    if result.created:
        console.print(
            f"imported {result.rows:,} loans of bank {bank_id} as of {result.as_of} "
            f"(balance {result.outstanding_cny:,.2f} CNY, sha256 {result.content_sha256[:12]}…)"
        )
    else:
        console.print(f"already imported (import {result.import_id}); nothing changed")


@loans_app.command("template")
def loans_template(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the .xlsx")],
) -> None:
    """The loan-book template (贷款明细 + 填写说明)."""
    from greenfin.banking import loanbook

    output.write_bytes(loanbook.template_bytes())
    console.print(f"template → {output}")


# --- loan-book pipeline (issue #5): analyse an import, or a file without the database ---------
Engine = Annotated[str, typer.Option(help="local (Polars) | dask (partitioned, on a cluster)")]
Scheduler = Annotated[
    str | None,
    typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: LocalCluster)"),
]
Edition = Annotated[str, typer.Option(help="Catalogue edition to screen against")]


def _print_book_summary(summary: object, title: str) -> None:
    from greenfin.banking.pipeline import BookSummary

    assert isinstance(summary, BookSummary)

    def cny(fen: int) -> str:
        return f"{fen / 100:,.2f}"

    def tonnes(value: float | None) -> str:
        return "—" if value is None else f"{value:,.3f}"

    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("loans", f"{summary.loans:,}"),
        ("outstanding (CNY)", cny(summary.outstanding_fen)),
        ("green by platform: loans / CNY",
         f"{summary.green_loans_platform:,} / {cny(summary.green_balance_fen_platform)}"),
        ("green by bank tag: loans / CNY",
         f"{summary.green_loans_bank:,} / {cny(summary.green_balance_fen_bank)}"),
        *((f"  {k}", f"{v:,} / {cny(summary.tag_comparison_balance_fen[k])}")
          for k, v in summary.tag_comparison.items()),
        ("disagreements (loans)", f"{summary.disagreements:,}"),
        ("CERF-eligible: loans / CNY outstanding",
         f"{summary.cerf_eligible_loans:,} / {cny(summary.cerf_eligible_balance_fen)}"),
        ("CERF-eligible annual reduction (tCO2e)", tonnes(summary.cerf_annual_reduction_tco2e)),
        ("green NPL (CNY) / ratio",
         f"{cny(summary.green_npl_fen)} / "
         + ("—" if summary.green_npl_ratio is None else f"{summary.green_npl_ratio:.2%}")),
        ("financed scope 1+2 (tCO2e), loans with data",
         f"{tonnes(summary.financed_scope1_tco2e)} + {tonnes(summary.financed_scope2_tco2e)}, "
         f"{summary.loans_with_financed_emissions:,}"),
    ]  # fmt: skip
    for label, value in rows:
        table.add_row(label, value)
    console.print(table)
    gaps = {
        "CERF": summary.cerf_reasons, "reduction": summary.reduction_reasons,
        "financed emissions": summary.financed_emissions_reasons,
    }  # fmt: skip
    for name, reasons in gaps.items():
        shown = ", ".join(f"{k} {v:,}" for k, v in reasons.items() if v)
        if shown:
            console.print(f"{name}: {shown}")


@loans_app.command("analyse")
def loans_analyse(
    import_id: Annotated[int, typer.Argument(metavar="IMPORT_ID", help="Loan-book import id")],
    engine: Engine = "local",
    scheduler: Scheduler = None,
    edition: Edition = "green-finance-2025",
) -> None:
    """Screen an imported book, compare with the bank's tags, CERF and financed emissions where
    the data allow; keeps the per-loan result and prints the totals. A re-run replaces it."""
    from greenfin.services import loan_analysis

    settings = get_settings()
    with _database().session() as session:
        try:
            out = loan_analysis.analyse_import(
                session, SystemActor(username="cli"), import_id, engine=engine,
                scheduler=scheduler, edition=edition, data_dir=settings.data_dir,
            )  # fmt: skip
        except ServiceError as exc:
            raise _report_problems(Path(f"import {import_id}"), exc) from None
        session.commit()
    _print_book_summary(
        out.summary, f"import {out.import_id} · {out.bank_name} · {out.as_of} · {out.engine}"
    )


@loans_app.command("pipeline")
def loans_pipeline(
    source: Annotated[
        Path,
        typer.Argument(
            metavar="FILE_OR_PARQUET_DIR",
            help="Raw loan book: CSV/XLSX/Parquet, or a directory of Parquet partitions",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Per-loan result (.parquet)")],
    engine: Engine = "local",
    scheduler: Scheduler = None,
    edition: Edition = "green-finance-2025",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Reporting date")] = None,
    rows_per_partition: Annotated[
        int | None, typer.Option(min=1, help="Dask: rows per partition (default 1,000,000)")
    ] = None,
    errors: Annotated[
        Path | None, typer.Option(help="Write every problem (row, field) to this CSV if rejected")
    ] = None,
) -> None:
    """Validate → screen → tag comparison → CERF → financed emissions on a file, without the
    database; all rows valid or nothing written."""
    from greenfin.services import loan_analysis
    from greenfin.services.loans import LoanBookRejected

    try:
        reporting_date = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise _fail(f"as-of: {as_of!r} is not a date (YYYY-MM-DD)") from None
    try:
        summary = loan_analysis.run_pipeline_file(
            source, out, engine=engine, scheduler=scheduler, edition=edition,
            as_of=reporting_date, rows_per_partition=rows_per_partition,
        )  # fmt: skip
    except LoanBookRejected as exc:
        if errors is not None:
            errors.write_bytes(exc.error_csv)
            err.print(f"every problem written to {errors}")
        raise _report_problems(source, exc) from None
    except ServiceError as exc:
        raise _report_problems(source, exc) from None
    _print_book_summary(summary, f"{source.name} → {out} ({engine})")


# --- JR/T 0227 environmental information disclosure (issue #5) --------------------------------
disclosure_app = typer.Typer(
    help="Environmental information disclosure reports (JR/T 0227—2021)", no_args_is_help=True
)
app.add_typer(disclosure_app, name="disclosure")


@disclosure_app.command("report")
def disclosure_report(
    bank: Annotated[str, typer.Option(help="Financial institution id or 统一社会信用代码")],
    year: Annotated[int, typer.Option(help="Report year, e.g. 2025")],
    out: Annotated[Path, typer.Option("--out", "-o", help="report.pdf or report.html")],
) -> None:
    """Build an institution's annual disclosure report (PDF or HTML, by the file extension)."""
    from greenfin.services import disclosure

    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        raise _fail(f"out: {out} must end in .pdf or .html")
    settings = get_settings()
    with _database().session() as session:
        institution = _organisation_id(session, bank)
        try:
            report = disclosure.build_report(
                session, SystemActor(username="cli"), institution, year,
                data_dir=settings.data_dir,
            )  # fmt: skip
        except ServiceError as exc:
            raise _fail(exc.detail) from None
    if suffix == ".pdf":
        out.write_bytes(disclosure.render_pdf(report))
    else:
        out.write_text(disclosure.render_html(report), encoding="utf-8")
    console.print(
        f"{report.institution.name_zh} {year}: {len(report.missing)} missing item(s) → {out}"
    )


@disclosure_app.command("inputs")
def disclosure_inputs(
    source: Annotated[
        Path, typer.Argument(metavar="FILE", help='JSON {"operations": …, "narratives": …}')
    ],
    bank: Annotated[str, typer.Option(help="Financial institution id or 统一社会信用代码")],
    year: Annotated[int, typer.Option(help="Report year, e.g. 2025")],
) -> None:
    """Enter operational data and/or narratives from a JSON file (all fields valid or nothing
    is written; ledgered)."""
    import json

    from greenfin.services import disclosure

    if not source.is_file():
        raise _fail(f"{source}: file not found")
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(f"{source}: not JSON ({exc})") from None
    if not isinstance(data, dict) or not set(data) <= {"operations", "narratives"}:
        raise _fail(f'{source}: expected an object with "operations" and/or "narratives"')
    with _database().session() as session:
        institution = _organisation_id(session, bank)
        try:
            disclosure.save_inputs(
                session, SystemActor(username="cli"), institution, year,
                operations=data.get("operations"), narratives=data.get("narratives"),
            )  # fmt: skip
        except ServiceError as exc:
            raise _report_problems(source, exc) from None
    console.print(f"saved disclosure inputs of institution {institution} for {year}")


# --- green credit statistics and the PBOC evaluation (issue #5) ------------------------------
statistics_app = typer.Typer(help="Green credit statistics (绿色贷款统计)", no_args_is_help=True)
app.add_typer(statistics_app, name="statistics")
evaluation_app = typer.Typer(help="PBOC green-finance evaluation of banks", no_args_is_help=True)
app.add_typer(evaluation_app, name="evaluation")


@statistics_app.command("export")
def statistics_export(
    out: Annotated[Path, typer.Option("--out", help="Where to write the .xlsx")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Reporting date (default: the latest)")
    ] = None,
    bank: Annotated[
        str | None, typer.Option(help="One bank (id or 统一社会信用代码); default all")
    ] = None,
    structure: Annotated[str, typer.Option(help="Use structure: 2025 or 2019")] = "2025",
    basis: Annotated[str, typer.Option(help="bank (as reported), platform, platform_strict")] = (
        "bank"
    ),
) -> None:
    """Export the green credit statistics of every bank (or one) to Excel."""
    from greenfin.services import statistics

    reporting_date = None
    if as_of is not None:
        try:
            reporting_date = date.fromisoformat(as_of)
        except ValueError:
            raise _fail(f"as-of: {as_of!r} is not a date (YYYY-MM-DD)") from None
    with _database().session() as session:
        bank_id = _organisation_id(session, bank) if bank else None
        try:
            stats = statistics.green_credit_statistics(
                session, SystemActor(username="cli"), bank_organisation_id=bank_id,
                as_of=reporting_date, structure=structure, basis=basis,
                data_dir=get_settings().data_dir,
            )  # fmt: skip
        except ServiceError as exc:
            raise _report_problems(out, exc) from None
    out.write_bytes(statistics.workbook_bytes(stats))
    if stats.empty:
        console.print(f"no analysed loan books yet; empty workbook → {out}")
    else:
        console.print(f"green credit statistics as of {stats.as_of} → {out}")


@evaluation_app.command("run")
def evaluation_run(
    quarter: Annotated[str, typer.Option(help="Quarter, e.g. 2026Q3")],
    scheme: Annotated[str, typer.Option(help="pboc_2021 or chongqing_2023")] = "pboc_2021",
    basis: Annotated[str, typer.Option(help="bank (as reported), platform, platform_strict")] = (
        "bank"
    ),
) -> None:
    """Evaluate every bank for a quarter: points, grade, rank and the priority list."""
    from greenfin.services import evaluation

    with _database().session() as session:
        try:
            result = evaluation.run_evaluation(
                session, SystemActor(username="cli"), quarter, scheme, basis,
                data_dir=get_settings().data_dir,
            )  # fmt: skip
        except ServiceError as exc:
            raise _fail(exc.detail) from None
    title = f"{result.quarter} · {result.scheme_name_zh} ({result.scheme})"
    if result.synthetic:
        title += " · 示例 synthetic"
    table = Table(title=title)
    for col in ("rank", "bank", "quantitative", "qualitative", "total", "grade", "priority"):
        table.add_column(col)
    for r in result.results:
        table.add_row(
            str(r.rank if r.rank is not None else f"({r.quantitative_rank})"), r.bank_name,
            f"{r.quantitative_points:.2f}",
            "—" if r.qualitative_points is None else f"{r.qualitative_points:.2f}",
            "—" if r.total_points is None else f"{r.total_points:.2f}", r.grade or "pending",
            "✓" if r.priority else "",
        )  # fmt: skip
    console.print(table)
    for x in result.excluded:
        console.print(f"not evaluated: {x.bank_name}: {'; '.join(x.reasons)}")
    if not result.graded:
        console.print("grades pending: qualitative scores missing for "
                      + ", ".join(p.bank_name for p in result.qualitative_pending))  # fmt: skip
    if result.priority_list:
        names = " > ".join(p.bank_name for p in result.priority_list)
        console.print(f"priority list (京绿融/京绿通): {names}")


# --- green project library (issue #6 part A): bulk import and one project -------------------
projects_app = typer.Typer(help="Green project library (绿色项目库)", no_args_is_help=True)
app.add_typer(projects_app, name="projects")


@projects_app.command("import")
def projects_import(
    source: Annotated[Path, typer.Argument(metavar="FILE", help="Filled template: XLSX or CSV")],
    enterprise: Annotated[str, typer.Option(help="Enterprise id or 统一社会信用代码")],
    submit: Annotated[
        bool, typer.Option("--submit", help="Submit at once: screening, reduction, grade")
    ] = False,
) -> None:
    """Import projects for an enterprise: every row valid or nothing (as the operator)."""
    from greenfin.services import project_import

    if not source.is_file():
        raise _fail(f"{source}: file not found")
    with _database().session() as session:
        org_id = _organisation_id(session, enterprise)
        try:
            result = project_import.import_projects(
                session, SystemActor(username="cli"), source.read_bytes(), source.name,
                organisation_id=org_id, submit=submit,
            )  # fmt: skip
        except ServiceError as exc:
            raise _report_problems(source, exc) from None
    table = Table(title=f"{result.created} project(s) imported for organisation {org_id}")
    for column in ("row", "id", "name", "status", "proposed grade"):
        table.add_column(column)
    for p in result.projects:
        table.add_row(str(p.row), str(p.project_id), p.name, p.status, p.proposed_grade or "—")
    console.print(table)


@projects_app.command("show")
def projects_show(project_id: Annotated[int, typer.Argument(help="Project id")]) -> None:
    """One project: status, screening, reduction working and grade points."""
    from greenfin.services import projects

    with _database().session() as session:
        try:
            p = projects.get_project(session, SystemActor(username="cli"), project_id)
        except ServiceError as exc:
            raise _fail(exc.detail) from None
    console.print(f"[bold]{p.name}[/] (#{p.id}, {p.organisation_name}) — {p.status}, "
                  f"version {p.version}")  # fmt: skip
    source = " (set by the reviewer)" if p.item_source == "reviewer" else ""
    console.print(f"item {p.item_code or '—'} {p.item_name_zh or ''}{source} · verdict "
                  f"{p.verdict or '—'} · proposed {p.proposed_grade or '—'} · grade "
                  f"{p.grade or '—'}")  # fmt: skip
    if p.reduction:
        value = p.reduction.get("annual_reduction_tco2e")
        console.print(
            f"reduction: {value:,.3f} tCO2e/yr ({p.reduction.get('method_id')})"
            if value is not None else f"reduction: none — {p.reduction.get('reason')}"
        )  # fmt: skip
    if p.grading:
        table = Table(title=f"grade points: {p.grading['total_points']:g} / "
                            f"{p.grading['max_points']:g} → {p.grading['grade']}")  # fmt: skip
        for column in ("criterion", "points", "how obtained"):
            table.add_column(column)
        for c in p.grading["criteria"]:
            table.add_row(c["criterion"], f"{c['points']:g} / {c['max_points']:g}", c["how"])
        console.print(table)
    if p.certificate:
        console.print(f"certificate {p.certificate.verification_code}"
                      + (" (revoked)" if p.certificate.revoked_at else ""))  # fmt: skip


@projects_app.command("template")
def projects_template(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the .xlsx")],
) -> None:
    """The bulk-upload template (项目 + 填写说明)."""
    from greenfin.services import project_import

    output.write_bytes(project_import.template_bytes())
    console.print(f"template → {output}")


# --- end green project library ---------------------------------------------------------------


# --- marketplace and matching (issue #6 part B) ---------------------------------------------
market_app = typer.Typer(help="Green products and project matching", no_args_is_help=True)
app.add_typer(market_app, name="market")


@market_app.command("match")
def market_match(
    project_id: Annotated[int, typer.Argument(help="Project id")],
    limit: Annotated[int, typer.Option(help="How many products to show")] = 20,
    all_products: Annotated[
        bool, typer.Option("--all", help="Also show products the project does not fit")
    ] = False,
    reasons: Annotated[bool, typer.Option(help="Print the reasons of each product")] = False,
) -> None:
    """Products for a project, ranked and explained (as the operator: any project)."""
    from greenfin.services import market

    with _database().session() as session:
        try:
            result = market.matches_for_project(
                session, SystemActor(username="cli"), project_id,
                include_ineligible=all_products, limit=limit,
            )  # fmt: skip
        except ServiceError as exc:
            raise _fail(exc.detail) from None
    p = result.project
    console.print(
        f"[bold]{p.name}[/] · {p.item_code or '—'} {p.item_name_zh or ''} · {p.grade or '—'}"
        f"{' (proposed)' if p.grade_is_proposed else ''} · {p.district_name_zh} · "
        f"{result.eligible_count} eligible products"
    )
    table = Table("#", "product", "institution", "eligible", "score", "failed")
    for n, m in enumerate(result.matches, start=1):
        table.add_row(
            str(n), m.product.name, m.product.organisation_name, "yes" if m.eligible else "no",
            f"{m.score:.1f}", ", ".join(m.failed),
        )  # fmt: skip
    console.print(table)
    if reasons:
        for m in result.matches:
            console.print(f"[bold]{m.product.name}[/]")
            for r in m.reasons:
                mark = {"fail": "✗", "unknown": "?"}.get(r.outcome, "✓")
                console.print(f"  {mark} {r.text_zh} (+{r.points:g})")


# --- end marketplace and matching ------------------------------------------------------------


@app.command()
def serve(
    demo_data: Annotated[bool, typer.Option("--demo", help="Load demo data on first run")] = False,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Migrate the database, optionally load demo data, and serve web + API."""
    import uvicorn

    from greenfin.app import create_app

    settings = get_settings()
    upgrade_database(settings.database_url)
    database = Database(settings.database_url)
    base_url = f"http://{host}:{port}"
    if demo_data:
        _print_logins(_load_demo(database, 20261127), base_url)
    else:
        console.print(f"[bold green]greenfin is running at {base_url}[/]")
    uvicorn.run(create_app(settings, database), host=host, port=port, log_level="info")


if __name__ == "__main__":
    app()
