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
            return demo.load_demo(session, seed=seed, progress=tick)


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
