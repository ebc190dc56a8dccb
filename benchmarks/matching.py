"""Matching projects and products (issue #6): one project against 1,000 products, and one bank's
products against 100,000 library projects.

Target (issue #6): matching one project against 1,000 products ≤ 50 ms. Measured three ways:

1. the domain (``greenfin.library.matching``) on frames already in memory, with the top 20
   explained;
2. the service (``services.market.matches_for_project``) end to end on a database: 1,000 products
   read, parsed, matched, the top 50 explained and rendered as outputs — on PostgreSQL when
   ``--db`` names one (a fresh schema is created and dropped), else on a temporary SQLite file;
3. a naive baseline: the same rules as a Python loop over (project, product) pairs, checked
   against the columnar result on every pair it computes.

The bank direction (one bank's ``--bank-products`` products against ``--projects`` projects) is
timed on the domain and the baseline (the baseline on a 10,000-project sample, extrapolated), and
with ``--bank-db`` also through ``services.market.projects_for_bank`` on the database.

    python benchmarks/matching.py [--products 1000] [--projects 100000] [--bank-products 20]
                                  [--db postgresql://postgres@127.0.0.1:5432/test] [--bank-db]

Timings on a shared 2-core machine are noisy: the script reports median and p95 of repeats.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

import polars as pl

from greenfin import reference
from greenfin.library import matching, products
from greenfin.taxonomy import load_catalogue

GRADES = products.GRADES
FINANCING = list(products.financing_types())


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def summary(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{label:<58} median {statistics.median(times):9.2f} ms   p95 {p95:9.2f} ms"


def catalogue_codes() -> tuple[list[str], list[str]]:
    items = load_catalogue(products.EDITION).items.values()
    level3 = [i.code for i in items if i.level == 3]
    categories = [i.code for i in items if i.level in (1, 2)]
    return level3, categories


def random_rules(rng: random.Random, level3: list[str], categories: list[str]) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    if rng.random() < 0.5:
        rules["items"] = rng.sample(level3, rng.randint(1, 6))
    if rng.random() < 0.6:
        rules["categories"] = rng.sample(categories, rng.randint(1, 3))
    if rng.random() < 0.7:
        rules["min_grade"] = rng.choice(GRADES[1:])
    if rng.random() < 0.7:
        low = rng.choice([10**7, 5 * 10**7, 10**8, 10**9])
        rules["amount_min_fen"], rules["amount_max_fen"] = low, low * rng.choice([10, 100, 1000])
    if rng.random() < 0.5:
        rules["term_min_months"], rules["term_max_months"] = 6, rng.choice([36, 60, 120, 240])
    if rng.random() < 0.2:
        rules["districts"] = rng.sample([d.code for d in reference.districts()], 3)
    if rng.random() < 0.05:
        rules["sub_centre_only"] = True
        rules.pop("districts", None)
    if rng.random() < 0.3:
        rules["financing_types"] = rng.sample(FINANCING, 2)
    return rules


def random_products(n: int, seed: int) -> list[matching.ProductSpec]:
    rng = random.Random(seed)
    level3, categories = catalogue_codes()
    types = list(products.product_types())
    return [
        matching.ProductSpec(
            product_id=i + 1,
            organisation_id=1 + i % 40,
            product_type=rng.choice(types),
            rules=products.validate_rules(random_rules(rng, level3, categories)),
            rate_min_pct=round(rng.uniform(2.5, 6.5), 2) if rng.random() < 0.8 else None,
            cerf_eligible=rng.random() < 0.3,
            jinglvrong_eligible=rng.random() < 0.2,
            jinglvtong_eligible=rng.random() < 0.1,
        )
        for i in range(n)
    ]


def random_projects(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    level3, _ = catalogue_codes()
    districts = [d.code for d in reference.districts()]
    out = []
    for i in range(n):
        district = rng.choice(districts)
        out.append({
            "project_id": i + 1, "item_code": rng.choice(level3), "category_code": None,
            "grade": rng.choice(GRADES[1:]), "amount_fen": rng.randint(10**6, 10**11),
            "term_months": rng.choice([12, 36, 60, 96, 120, 180]),
            "financing_type": rng.choice(FINANCING), "district_code": district,
            "in_city_sub_centre": district == "110112" and rng.random() < 0.5,
        })  # fmt: skip
    return out


# --- the naive baseline -----------------------------------------------------------------------


def naive_pair(project: dict[str, Any], p: matching.ProductSpec, w: dict[str, float],
               direct: set[str]) -> tuple[bool, float]:  # fmt: skip
    """The same rules, one pair at a time, in plain Python."""
    r = p.rules
    ptype = products.product_types()[p.product_type]
    item = project["item_code"]
    l2 = ".".join(item.split(".")[:2])
    l1 = item.split(".")[0]
    pts, ok = 0.0, True
    if not r.items and not r.categories:
        pts += w["catalogue_open"]
    elif item in r.items:
        pts += w["catalogue_item_exact"]
    elif l2 in r.categories:
        pts += w["catalogue_level2"]
    elif l1 in r.categories:
        pts += w["catalogue_level1"]
    else:
        ok = False
    rank = products.GRADE_RANK[project["grade"]]
    minimum = products.GRADE_RANK[r.min_grade] if r.min_grade else None
    if minimum is not None and rank < minimum:
        ok = False
    else:
        base = minimum if minimum is not None else int(w["grade_open_baseline_rank"])
        pts += w["grade_pass"] + w["grade_margin_step"] * max(rank - base, 0)
    for value, low, high, inside, open_ in (
        (project["amount_fen"], r.amount_min_fen, r.amount_max_fen, "amount_in_range",
         "amount_open"),
        (project["term_months"], r.term_min_months, r.term_max_months, "term_in_range",
         "term_open"),
    ):  # fmt: skip
        if low is None and high is None:
            pts += w[open_]
        elif (low is None or value >= low) and (high is None or value <= high):
            pts += w[inside]
        else:
            ok = False
    outside = r.districts and project["district_code"] not in r.districts
    if (r.sub_centre_only and not project["in_city_sub_centre"]) or outside:
        ok = False
    elif r.sub_centre_only:
        pts += w["sub_centre_targeted"]
    elif r.districts:
        pts += w["district_targeted"]
    served = r.financing_types or ptype.serves_financing_types
    if "*" not in served:
        if project["financing_type"] in served:
            pts += w["financing_type_match"]
        else:
            ok = False
    if p.cerf_eligible and item in direct:
        pts += w["cerf_direct_reduction"]
    if p.jinglvrong_eligible or p.jinglvtong_eligible:
        pts += w["jinglv_tool"]
    if ptype.rate_meaning == "interest" and p.rate_min_pct is not None:
        span = w["rate_worst_pct"] - w["rate_best_pct"]
        share = min(max((w["rate_worst_pct"] - p.rate_min_pct) / span, 0.0), 1.0)
        pts += round(share * w["rate_max_points"], 2)
    return ok, round(pts, 2) if ok else 0.0


def naive(projects: list[dict[str, Any]], specs: list[matching.ProductSpec]) -> dict:
    from greenfin.carbon.cerf import direct_reduction_items

    w, direct = matching.weights(), set(direct_reduction_items())
    return {
        (pr["project_id"], p.product_id): naive_pair(pr, p, w, direct)
        for pr in projects
        for p in specs
    }


def check(frame: pl.DataFrame, expected: dict) -> None:
    got = {
        (a, b): (e, s)
        for a, b, e, s in frame.select("project_id", "product_id", "eligible", "score").iter_rows()
        if (a, b) in expected
    }
    bad = [k for k, v in expected.items() if got.get(k) != v]
    if bad:
        raise SystemExit(f"columnar and naive results differ on {len(bad)} pairs, e.g. {bad[:3]}")


# --- the service on a database ----------------------------------------------------------------


def service_bench(url: str | None, specs: list[matching.ProductSpec], projects: list[dict],
                  repeat: int, bank_db: bool, bank_products: int) -> None:  # fmt: skip
    import json

    from sqlalchemy import create_engine, insert, text

    from greenfin.identity.principal import Principal
    from greenfin.identity.roles import OrgKind, Role
    from greenfin.services import market
    from greenfin.store import Database, upgrade_database
    from greenfin.store.models import Organisation, Product, Project

    schema = None
    if url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        target = url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    else:
        target = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    try:
        upgrade_database(target)
        db = Database(target)
        with db.session() as session:
            orgs = [
                Organisation(
                    uscc=f"91110000BENCH{i:05d}",
                    name_zh=f"基准机构{i}",
                    kind="bank",
                    district_code="110105",
                )
                for i in range(41)
            ]
            session.add_all(orgs)
            session.flush()
            session.execute(insert(Product), [
                {"organisation_id": orgs[s.organisation_id].id, "name": f"基准产品{s.product_id}",
                 "product_type": s.product_type, "description": "",
                 "rules_json": json.dumps(s.rules.to_json(), ensure_ascii=False),
                 "rate_min_pct": s.rate_min_pct, "cerf_eligible": s.cerf_eligible,
                 "jinglvrong_eligible": s.jinglvrong_eligible,
                 "jinglvtong_eligible": s.jinglvtong_eligible, "is_active": True}
                for s in specs
            ])  # fmt: skip
            rows = projects if bank_db else projects[:1]
            for start in range(0, len(rows), 10_000):
                session.execute(insert(Project), [
                    {"organisation_id": orgs[0].id, "name": f"基准项目{p['project_id']}",
                     "description": "", "industry_code": "4416",
                     "district_code": p["district_code"],
                     "in_city_sub_centre": p["in_city_sub_centre"],
                     "total_investment_fen": p["amount_fen"] * 2,
                     "financing_amount_fen": p["amount_fen"],
                     "financing_term_months": p["term_months"],
                     "financing_type": p["financing_type"], "status": "approved",
                     "item_code": p["item_code"], "category_code": p["item_code"].split(".")[0],
                     "grade": p["grade"]}
                    for p in rows[start:start + 10_000]
                ])  # fmt: skip
            first = session.execute(text("SELECT min(id) FROM projects")).scalar_one()
            bank_org = orgs[1].id
        viewer = Principal(1, "bench", "bench", Role.REGULATOR, orgs[0].id, OrgKind.REGULATOR,
                           "bench")  # fmt: skip
        with db.session() as session:
            times, result = timed(
                lambda: market.matches_for_project(session, viewer, first), repeat
            )
        where = "PostgreSQL" if url else "SQLite"
        print(summary(f"service matches_for_project, {len(specs)} products ({where})", times))
        print(f"  eligible {result.eligible_count}, explained {len(result.matches)}")
        if bank_db:
            bank = Principal(2, "bank", "bank", Role.BANK, bank_org, OrgKind.BANK, "bank")
            with db.session() as session:
                n = sum(1 for s in specs if orgs[s.organisation_id].id == bank_org)
                times, page = timed(lambda: market.projects_for_bank(session, bank), 3)
            print(summary(f"service projects_for_bank, {n} products × {len(rows):,} ({where})",
                          times))  # fmt: skip
            print(f"  projects with an eligible product: {page.total:,}")
        db.dispose()
    finally:
        if schema:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--bank-products", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--sample", type=int, default=10_000, help="naive bank baseline sample")
    parser.add_argument("--db", default=None, help="PostgreSQL URL for the service timing")
    parser.add_argument("--bank-db", action="store_true", help="also time projects_for_bank")
    parser.add_argument("--seed", type=int, default=20261130)
    args = parser.parse_args()

    specs = random_products(args.products, args.seed)
    project_rows = random_projects(args.projects, args.seed + 1)
    one = project_rows[:1]
    print(f"{args.products} products, {args.projects:,} projects (seed {args.seed})")

    times, product_frame = timed(lambda: matching.products_frame(specs), 5)
    print(summary(f"products_frame({args.products})", times))
    project_frame = matching.projects_frame(one)

    def one_project() -> pl.DataFrame:
        ranked = matching.rank_for_project(matching.match(project_frame, product_frame))
        for row in ranked.head(20).iter_rows(named=True):
            matching.explain(row, one[0], specs[row["product_id"] - 1])
        return ranked

    one_project()  # warm-up (catalogue, weights, CERF marks are cached)
    times, ranked = timed(one_project, args.repeat)
    print(summary(f"domain: 1 project × {args.products} products, top 20 explained", times))
    verdict = "meets" if statistics.median(times) <= 50 else "MISSES"
    print(f"  target ≤ 50 ms: {verdict}; eligible {int(ranked['eligible'].sum())}")
    times, expected = timed(lambda: naive(one, specs), 5)
    print(summary(f"naive Python loop: 1 project × {args.products} products", times))
    check(ranked, expected)

    bank = specs[: args.bank_products]
    bank_frame = matching.products_frame(bank)
    times, projects_frame = timed(lambda: matching.projects_frame(project_rows), 1)
    print(summary(f"projects_frame({args.projects:,})", times))

    def bank_run() -> pl.DataFrame:
        return matching.best_per_project(matching.match(projects_frame, bank_frame))

    times, best = timed(bank_run, 3)
    pairs = args.bank_products * args.projects
    print(summary(f"domain: {args.bank_products} products × {args.projects:,} projects "
                  f"({pairs:,} pairs)", times))  # fmt: skip
    print(f"  projects with an eligible product: {best.height:,}")
    sample = project_rows[: args.sample]
    times, expected = timed(lambda: naive(sample, bank), 1)
    scale = args.projects / len(sample)
    print(summary(f"naive Python loop: {args.bank_products} × {len(sample):,} (sample)", times))
    print(f"  extrapolated to {args.projects:,} projects: {times[0] * scale / 1000:.1f} s")
    check(matching.match(matching.projects_frame(sample), bank_frame), expected)
    print("columnar and naive results agree on every pair the baseline computed")

    service_bench(args.db, specs, project_rows, max(5, args.repeat // 3), args.bank_db,
                  args.bank_products)  # fmt: skip


if __name__ == "__main__":
    main()
