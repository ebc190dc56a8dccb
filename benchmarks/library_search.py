"""Library search at scale (issue #6): 100,000 projects on PostgreSQL, 50 concurrent clients.

Target: p95 ≤ 50 ms per search at 50 concurrent clients. Each client is a thread with its own
database connection calling ``services.project_library.search_library`` — the function the API
route ``GET /api/v1/library/search`` calls (HTTP parsing is not measured). The query mix is
Chinese full text (common and rare words), text + district / city sub-centre, category + grade,
financing range and plain browsing, first pages and later pages.

The baseline is the naive way: ``(name || description) LIKE '%词%'`` with no index, the same
filters, ORDER BY and an exact ``count(*)``.

The script creates its own schema (``gf_bench_library_<pid>``) in the database at
``GREENFIN_TEST_PG_URL`` (or the URL argument), migrates it, loads synthetic (示例) projects with
COPY and drops the schema at the end (``--keep`` keeps it).

    python benchmarks/library_search.py [URL] [--projects 100000] [--clients 50] [--queries 40]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from greenfin import ledger, reference
from greenfin.demo.projects import PLACES, TEMPLATES
from greenfin.identity.principal import Principal, SystemActor
from greenfin.identity.roles import OrgKind, Role
from greenfin.library.assessment import category_of
from greenfin.library.search import search_text
from greenfin.services import project_library
from greenfin.store.db import upgrade_database
from greenfin.taxonomy.screening import ScreeningInput, screener

STATUS_SHARE = (("approved", 0.6), ("screening", 0.1), ("in_review", 0.1), ("draft", 0.08),
                ("returned", 0.05), ("rejected", 0.05), ("submitted", 0.02))  # fmt: skip
GRADES = (("深绿", 0.15), ("中绿", 0.55), ("浅绿", 0.30))
COMMON_WORDS = ("光伏", "热泵", "污水处理", "节能改造", "绿色建筑", "充电", "储能", "通州")
RARE_WORDS = ("湿地保护", "超低排放", "土壤污染修复", "生物质热电", "液冷", "海绵城市")
ORGANISATIONS = 2000


def psycopg_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def with_schema(url: str, schema: str) -> str:
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"


def _weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def template_items() -> dict[str, str | None]:
    """The catalogue item each demo template screens to (one screening call per template)."""
    engine = screener()
    out = {}
    for t in TEMPLATES:
        result = engine.screen(ScreeningInput(
            t.key, t.names[0].format(p=""), t.description.format(p="", s=t.size[0], o=1.0),
            t.industry_code,
        ))  # fmt: skip
        ok = result.verdict.value in ("eligible", "needs_evidence")
        out[t.key] = result.candidates[0].code if ok else None
    return out


def load(url: str, projects: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    items = template_items()
    districts = [d.code for d in reference.districts()]
    district_names = {d.code: d.name_zh for d in reference.districts()}
    engine = create_engine(url)
    start = datetime(2025, 10, 1, tzinfo=UTC)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(
            "COPY organisations (uscc, name_zh, kind, district_code, in_city_sub_centre, "
            "is_synthetic, created_at) FROM STDIN"
        ) as copy:
            for i in range(ORGANISATIONS):
                d = districts[i % len(districts)]
                copy.write_row((f"91110000BENCH{i:05d}", f"基准测试企业{i}（示例）", "enterprise",
                                d, False, True, start))  # fmt: skip
        cursor.execute("SELECT id, name_zh FROM organisations ORDER BY id")
        orgs = cursor.fetchall()
        columns = (
            "organisation_id, name, description, industry_code, district_code, "
            "in_city_sub_centre, location, total_investment_fen, financing_amount_fen, "
            "financing_term_months, financing_type, technical_parameters_json, "
            "expected_outputs_json, status, version, edition, item_code, category_code, "
            "verdict, proposed_grade, grade, search_text, is_synthetic, created_at, "
            "submitted_at, decided_at, updated_at"
        )
        with cursor.copy(f"COPY projects ({columns}) FROM STDIN") as copy:
            for i in range(projects):
                t = rng.choices(TEMPLATES, weights=[x.weight for x in TEMPLATES])[0]
                org_id, org_name = orgs[rng.randrange(len(orgs))]
                district = rng.choice(districts)
                sub = district == "110112" and rng.random() < 0.5
                place = rng.choice(PLACES[district])
                size = rng.uniform(*t.size)
                name = f"{rng.choice(t.names).format(p=place)}（{i}号，示例）"
                description = t.description.format(p=place, s=size, o=size * 100)
                status = _weighted(rng, STATUS_SHARE)
                item = items[t.key] if status != "draft" else None
                grade = _weighted(rng, GRADES) if status == "approved" else None
                investment = round(size * t.invest_per_size * 1_000_000)
                need = round(investment * rng.uniform(0.3, 0.8)) if rng.random() < 0.9 else None
                created = start + timedelta(minutes=rng.randrange(400 * 24 * 60))
                decided = created + timedelta(days=rng.uniform(5, 40))
                tokens = search_text(
                    name, description, f"北京市{place}", org_name, district_names[district],
                    "城市副中心" if sub else None,
                )  # fmt: skip
                copy.write_row((
                    org_id, name, description, t.industry_code, district, sub, f"北京市{place}",
                    investment, need, 60 if need else None, "project_loan" if need else None,
                    "{}", "{}", status, 3, "green-finance-2025", item, category_of(item),
                    "needs_evidence" if item else None, grade, grade, tokens, True, created,
                    created + timedelta(days=2),
                    decided if status in ("approved", "returned", "rejected") else None, decided,
                ))  # fmt: skip
        cursor.execute("ANALYZE organisations")
        cursor.execute("ANALYZE projects")
        raw.commit()
    finally:
        raw.close()
    engine.dispose()


def queries(rng: random.Random, n: int) -> list[project_library.LibraryQuery]:
    out = []
    for _ in range(n):
        kind = rng.random()
        offset = rng.choice((0, 0, 0, 20, 40))
        if kind < 0.35:
            q = project_library.LibraryQuery(q=rng.choice(COMMON_WORDS), offset=offset)
        elif kind < 0.5:
            q = project_library.LibraryQuery(q=rng.choice(RARE_WORDS))
        elif kind < 0.62:
            q = project_library.LibraryQuery(q=rng.choice(COMMON_WORDS), district="sub_centre")
        elif kind < 0.74:
            q = project_library.LibraryQuery(
                q=rng.choice(COMMON_WORDS), district=rng.choice(list(PLACES))
            )
        elif kind < 0.86:
            q = project_library.LibraryQuery(
                category=rng.choice("123456789"),
                grade=rng.choice(("深绿", "中绿", "浅绿")),
                offset=offset,
            )
        elif kind < 0.94:
            low = rng.choice((100, 500, 1000, 5000))
            q = project_library.LibraryQuery(
                financing_min_10k_cny=Decimal(low),
                financing_max_10k_cny=Decimal(low * 4),
                offset=offset,
            )
        else:
            q = project_library.LibraryQuery(offset=offset)
        out.append(q)
    return out


def naive(session, query: project_library.LibraryQuery) -> int:
    """Baseline: LIKE over name || description without an index, exact count."""
    where = ["p.status = 'approved'"]
    params: dict[str, object] = {}
    for i, word in enumerate((query.q or "").split()):
        where.append(f"(p.name || p.description) LIKE :w{i}")
        params[f"w{i}"] = f"%{word}%"
    if query.district == "sub_centre":
        where.append("p.in_city_sub_centre")
    elif query.district:
        where.append("p.district_code = :d")
        params["d"] = query.district
    if query.category:
        where.append("p.category_code = :c")
        params["c"] = query.category
    if query.grade:
        where.append("p.grade = :g")
        params["g"] = query.grade.value
    if query.financing_min_10k_cny is not None:
        where.append("p.financing_amount_fen BETWEEN :lo AND :hi")
        params["lo"] = int(query.financing_min_10k_cny * 1_000_000)
        params["hi"] = int((query.financing_max_10k_cny or Decimal(10**9)) * 1_000_000)
    clause = " AND ".join(where)
    rows = session.execute(text(
        f"SELECT p.id, p.name, o.name_zh FROM projects p JOIN organisations o "
        f"ON o.id = p.organisation_id WHERE {clause} ORDER BY p.decided_at DESC NULLS LAST, "
        f"p.id DESC OFFSET {query.offset} LIMIT {query.limit}"
    ), params).all()  # fmt: skip
    session.execute(text(f"SELECT count(*) FROM projects p WHERE {clause}"), params).scalar_one()
    return len(rows)


def ledger_the_load(url: str, projects: int) -> None:
    """One audit record for the bulk load, as every real write leaves one (the page cache keys on
    the ledger head and never caches over an empty ledger)."""
    engine = create_engine(url)
    with sessionmaker(engine)() as session, session.begin():
        actor = SystemActor(username="benchmark")
        ledger.append(session, actor, "project.benchmark_loaded", "project", "benchmark",
                      {"projects": projects, "synthetic": True})  # fmt: skip
    engine.dispose()


def run(url: str, clients: int, per_client: int, call, seed: int) -> tuple[list[float], float]:
    engine = create_engine(url, pool_size=clients, max_overflow=5)
    sessions = sessionmaker(engine)
    principal = Principal(1, "bench-bank", "bench", Role.BANK, 1, OrgKind.BANK, "bench")
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client(k: int) -> None:
        rng = random.Random(seed + k)
        mine = queries(rng, per_client)
        session = sessions()
        call(session, principal, mine[0])  # warm the connection (not measured)
        session.rollback()
        barrier.wait()
        local = []
        for query in mine:
            t0 = time.perf_counter()
            call(session, principal, query)
            session.rollback()
            local.append(time.perf_counter() - t0)
        session.close()
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    engine.dispose()
    return latencies, wall


def report(label: str, latencies: list[float], wall: float) -> float:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1)] * 1000

    print(f"{label}: {len(ordered)} searches in {wall:.2f} s → {len(ordered) / wall:,.0f}/s; "
          f"p50 {pct(50):.1f} ms, p95 {pct(95):.1f} ms, p99 {pct(99):.1f} ms, "
          f"mean {statistics.mean(ordered) * 1000:.1f} ms")  # fmt: skip
    return pct(95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("GREENFIN_TEST_PG_URL"))
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--queries", type=int, default=40, help="searches per client")
    parser.add_argument("--baseline-queries", type=int, default=4, help="per client")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark schema")
    args = parser.parse_args()
    if not args.url:
        parser.error("give a PostgreSQL URL or set GREENFIN_TEST_PG_URL")
    base = psycopg_url(args.url)
    schema = f"gf_bench_library_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = with_schema(base, schema)
    print(f"cores: {os.cpu_count()} (shared with PostgreSQL and anything else running)")
    try:
        t0 = time.perf_counter()
        upgrade_database(url)
        load(url, args.projects)
        ledger_the_load(url, args.projects)
        print(f"loaded {args.projects:,} projects in {time.perf_counter() - t0:.1f} s")
        latencies, wall = run(url, args.clients, args.queries,
                              project_library.search_library, seed=1)  # fmt: skip
        p95 = report(f"greenfin search ({args.clients} clients; page cache, cold at start)",
                     latencies, wall)  # fmt: skip
        print(f"  cold cache (right after a library write): target p95 ≤ 50 ms "
              f"{'met' if p95 <= 50 else 'NOT met'}")  # fmt: skip
        latencies, wall = run(url, args.clients, args.queries,
                              project_library.search_library, seed=1)  # fmt: skip
        p95 = report(f"greenfin search ({args.clients} clients; page cache warm, steady state)",
                     latencies, wall)  # fmt: skip
        print(f"  steady state (no write since the cache filled): target p95 ≤ 50 ms "
              f"{'met' if p95 <= 50 else 'NOT met'}")  # fmt: skip
        latencies, wall = run(url, args.clients, args.queries,
                              project_library.search_library_uncached, seed=1)  # fmt: skip
        report(f"greenfin search without the page cache ({args.clients} clients)", latencies, wall)
        latencies, wall = run(url, args.clients, args.baseline_queries,
                              lambda s, _p, q: naive(s, q), seed=1)  # fmt: skip
        report(f"naive LIKE baseline ({args.clients} clients)", latencies, wall)
        latencies, wall = run(url, 1, args.queries, project_library.search_library_uncached,
                              seed=99)  # fmt: skip
        report("greenfin search without the cache (1 client, no contention)", latencies, wall)
    finally:
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
