"""PCAF financed emissions (PCAF Part A 2nd ed.): worked examples, denominators, fallbacks, data
quality, scope-3 phase-in, invariants and input errors."""

from __future__ import annotations

import csv
import math
from importlib import resources
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenfin.carbon import pcaf

NUMERIC = set(pcaf.NUMERIC_COLUMNS) | set(pcaf.OPTIONAL_NUMERIC_COLUMNS)


def book(rows: list[dict[str, Any]], extra: tuple[str, ...] = ()) -> pl.DataFrame:
    """A position frame with every contract column (null where a row does not give it)."""
    columns = [*pcaf.CONTRACT_COLUMNS, *extra]
    ids = [r.get("position_id", f"P{i + 1}") for i, r in enumerate(rows)]
    data = {c: [r.get(c) for r in rows] for c in columns}
    data["position_id"] = ids
    schema = {
        c: (pl.Float64 if c in NUMERIC else pl.Boolean if c == "issuer_listed" else pl.String)
        for c in columns
    }
    return pl.DataFrame(data, schema=schema)


def company(**kw: Any) -> dict[str, Any]:
    row = {"scope1_tco2e": 1000.0, "scope2_tco2e": 100.0, "dq_option": "1b", "sector": "47"}
    row.update(kw)
    return row


def run(rows: list[dict[str, Any]], year: int = 2024, extra: tuple[str, ...] = (), **cfg: Any):
    config = pcaf.PcafConfig(**cfg) if cfg else pcaf.DEFAULT_CONFIG
    return pcaf.financed_emissions(book(rows, extra), year, config)


def problems_of(rows: list[dict[str, Any]], year: int = 2024, extra: tuple[str, ...] = (), **cfg):
    with pytest.raises(pcaf.PcafInputError) as info:
        run(rows, year, extra, **cfg)
    return {(p.row, p.field) for p in info.value.problems}, info.value


# ----------------------------------------------------------------------------- worked examples


def test_box5_evic_attributes_100_percent_where_ev_would_exceed_it():
    """PCAF Box 5 (section 5.1): Equity 50, Debt 50, Cash 20."""
    equity, debt, cash = 50.0, 50.0, 20.0
    evic = equity + debt  # no deduction of cash
    ev = equity + debt - cash
    emissions = 1000.0
    rows = [
        company(position_id="shares", asset_class="listed_equity", outstanding=equity, evic=evic),
        company(position_id="bond", asset_class="corporate_bond", outstanding=debt, evic=evic),
    ]
    out = run([{**r, "scope1_tco2e": emissions} for r in rows])
    assert out["attribution_factor"].to_list() == [0.5, 0.5]  # 50 % each
    assert out["attribution_factor"].sum() == 1.0  # total 100 %
    assert out["financed_scope1_tco2e"].sum() == emissions
    # The same book on EV excluding cash: 50/80 = 63 % each, together more than 100 %.
    on_ev = run([{**r, "scope1_tco2e": emissions, "evic": ev} for r in rows])
    assert on_ev["attribution_factor"].to_list() == [0.625, 0.625]
    assert [math.floor(a * 100 + 0.5) for a in on_ev["attribution_factor"]] == [63, 63]  # half-up
    assert on_ev["attribution_factor"].sum() > 1.0
    assert on_ev["financed_scope1_tco2e"].sum() > emissions


@pytest.mark.parametrize(
    ("emissions_mt", "nominal_gdp", "ppp_gdp", "printed_nominal", "printed_ppp"),
    [
        (11_535, 14_279_937, 23_487_798, 0.81, 0.49),  # China, 2019
        (5_107, 21_433_226, 21_433_226, 0.24, 0.24),  # United States, 2019
    ],
)
def test_table_5_23_production_intensity_per_gdp(
    emissions_mt, nominal_gdp, ppp_gdp, printed_nominal, printed_ppp
):
    """PCAF Table 5-23: (emissions / GDP) × 1,000, Mt CO2e and $M."""
    assert round(pcaf.intensity_per_gdp(emissions_mt, nominal_gdp), 2) == printed_nominal
    assert round(pcaf.intensity_per_gdp(emissions_mt, ppp_gdp), 2) == printed_ppp
    # Through the engine: a sovereign bond's financed emissions per unit lent equal the
    # country's emissions per unit of the denominator GDP (attribution = exposure / GDP).
    for gdp, printed in ((ppp_gdp, printed_ppp), (nominal_gdp, printed_nominal)):
        row = {
            "asset_class": "sovereign_debt",
            "outstanding": 1_000_000.0,  # USD
            "ppp_gdp": gdp * 1e6,  # USD
            "scope1_tco2e": emissions_mt * 1e6,
            "scope1_excl_lulucf_tco2e": emissions_mt * 1e6,
            "dq_option": "1a",
        }
        summary = pcaf.summarise(run([row], extra=("scope1_excl_lulucf_tco2e",)))
        total = summary.filter(pl.col("grouping") == "total").row(0, named=True)
        # tCO2e per $M lent / 1,000 = Mt per $M × 1,000 (the table's unit)
        assert round(total["economic_intensity_tco2e_per_million"] / 1000, 2) == printed


def test_box8_weighted_data_quality_score():
    """PCAF Box 8: business loans 3.03, oil & gas 3.53 (scores 3, 5, 1, 1, 2, 5)."""
    option = {1: "1a", 2: "1b", 3: "2b", 5: "3b"}
    loans = [
        ("A", "06", 522_425, 3),
        ("B", "06", 187_449, 5),
        ("C", "01", 82_778, 1),
        ("D", "01", 108_997, 1),
        ("E", "01", 67_556, 2),
        ("F", "01", 54_762, 5),
    ]
    rows = [
        company(
            position_id=name,
            asset_class="business_loan",
            sector=sector,
            outstanding=float(amount),
            total_equity_plus_debt=float(amount) * 4,
            dq_option=option[score],
        )
        for name, sector, amount, score in loans
    ]
    summary = pcaf.summarise(run(rows))
    by_class = summary.filter(pl.col("grouping") == "asset_class").row(0, named=True)
    assert by_class["asset_class"] == "business_loan"
    assert round(by_class["dq_score_weighted"], 2) == 3.03
    oil_gas = summary.filter((pl.col("grouping") == "sector") & (pl.col("sector") == "06"))
    assert round(oil_gas["dq_score_weighted"].item(), 2) == 3.53


def test_tables_5_5_and_5_9_portfolio_example():
    """Scope 1 6,100; scope 2 1,260; scope 3 10,000 at attribution 10 %, 25 %, 20 %."""
    companies = [
        ("forestry", 1_000, 100, 5_000, 0.10),
        ("industrial", 20_000, 5_000, 30_000, 0.25),
        ("energy", 5_000, 0, 10_000, 0.20),
    ]
    rows = [
        company(
            position_id=name,
            asset_class="unlisted_equity",
            sector="02",
            outstanding=af * 1_000,
            total_equity_plus_debt=1_000.0,
            scope1_tco2e=float(s1),
            scope2_tco2e=float(s2),
            scope3_tco2e=float(s3),
        )
        for name, s1, s2, s3, af in companies
    ]
    total = pcaf.summarise(run(rows)).filter(pl.col("grouping") == "total").row(0, named=True)
    assert total["financed_scope1_tco2e"] == pytest.approx(6_100)
    assert total["financed_scope2_tco2e"] == pytest.approx(1_260)
    assert total["financed_scope3_tco2e"] == pytest.approx(10_000)


# ----------------------------------------------------------------------------- denominators

DENOMINATOR_CASES = [
    ("listed_equity", {"evic": 200.0}, 0.25, "evic"),
    ("corporate_bond", {"evic": 200.0}, 0.25, "evic"),
    ("corporate_bond", {"total_equity_plus_debt": 100.0}, 0.5, "total_equity_plus_debt"),
    ("business_loan", {"total_equity_plus_debt": 100.0}, 0.5, "total_equity_plus_debt"),
    ("business_loan", {"evic": 400.0}, 0.125, "evic"),
    ("unlisted_equity", {"total_equity_plus_debt": 500.0}, 0.1, "total_equity_plus_debt"),
    ("project_finance", {"total_equity_plus_debt": 250.0}, 0.2, "total_equity_plus_debt"),
    (
        "commercial_real_estate",
        {"property_value_at_origination": 80.0},
        0.625,
        "property_value_at_origination",
    ),
    ("mortgage", {"property_value_at_origination": 62.5}, 0.8, "property_value_at_origination"),
    (
        "motor_vehicle_loan",
        {"vehicle_value_at_origination": 125.0},
        0.4,
        "vehicle_value_at_origination",
    ),
    ("sovereign_debt", {"ppp_gdp": 5_000.0}, 0.01, "ppp_gdp"),
]


@pytest.mark.parametrize(("asset_class", "given", "expected", "used"), DENOMINATOR_CASES)
def test_each_asset_class_uses_its_denominator(asset_class, given, expected, used):
    options = {"commercial_real_estate": "3", "mortgage": "3"}
    row = {
        "asset_class": asset_class,
        "outstanding": 50.0,
        "scope1_tco2e": 10.0,
        "scope2_tco2e": 4.0,
        "dq_option": options.get(asset_class, "1a"),
        "sector": "47",
        **given,
    }
    extra: tuple[str, ...] = ()
    if asset_class == "sovereign_debt":
        row["scope1_excl_lulucf_tco2e"] = 9.0
        extra = ("scope1_excl_lulucf_tco2e",)
    out = run([row], extra=extra).row(0, named=True)
    assert out["attribution_factor"] == pytest.approx(expected)
    assert out["denominator_used"] == used
    assert out["financed_scope1_tco2e"] == pytest.approx(expected * 10.0)
    assert out["financed_scope2_tco2e"] == pytest.approx(expected * 4.0)
    assert out["fallback_applied"] is None


def test_issuer_listed_flag_decides_between_evic_and_balance_sheet():
    rows = [
        company(
            asset_class="corporate_bond",
            outstanding=10.0,
            evic=100.0,
            total_equity_plus_debt=50.0,
            issuer_listed=False,
        ),
        company(
            asset_class="business_loan",
            outstanding=10.0,
            evic=100.0,
            total_equity_plus_debt=50.0,
            issuer_listed=True,
        ),
    ]
    out = run(rows, extra=("issuer_listed",))
    assert out["denominator_used"].to_list() == ["total_equity_plus_debt", "evic"]
    assert out["attribution_factor"].to_list() == [0.2, 0.1]
    _, err = problems_of(
        [company(asset_class="corporate_bond", outstanding=1.0, issuer_listed=True)],
        extra=("issuer_listed",),
    )
    assert (1, "evic") in {(p.row, p.field) for p in err.problems}


def test_sovereign_scope1_with_and_without_lulucf():
    row = {
        "asset_class": "sovereign_debt",
        "outstanding": 1.0,
        "ppp_gdp": 100.0,
        "scope1_tco2e": 1_000.0,  # including LULUCF
        "scope1_excl_lulucf_tco2e": 1_200.0,  # a net sink makes "including" smaller
        "scope2_tco2e": 50.0,
        "scope3_tco2e": 300.0,
        "dq_option": "1a",
    }
    out = run([row], extra=("scope1_excl_lulucf_tco2e",)).row(0, named=True)
    assert out["financed_scope1_tco2e"] == pytest.approx(10.0)
    assert out["financed_scope1_excl_lulucf_tco2e"] == pytest.approx(12.0)
    assert out["financed_scope3_tco2e"] == pytest.approx(3.0)
    # "shall report both": the excluding figure is required on sovereign rows by default …
    missing = {k: v for k, v in row.items() if k != "scope1_excl_lulucf_tco2e"}
    found, _ = problems_of([missing])
    assert (1, "scope1_excl_lulucf_tco2e") in found
    # … unless configured otherwise; scope 2 of a sovereign may be blank ("should").
    lenient = run([{**missing, "scope2_tco2e": None}], require_sovereign_excl_lulucf=False)
    assert lenient["financed_scope1_excl_lulucf_tco2e"].to_list() == [None]
    assert lenient["financed_scope2_tco2e"].to_list() == [None]
    # and only sovereigns carry it
    found, _ = problems_of(
        [
            company(
                asset_class="business_loan",
                outstanding=1.0,
                total_equity_plus_debt=2.0,
                scope1_excl_lulucf_tco2e=1.0,
            )
        ],
        extra=("scope1_excl_lulucf_tco2e",),
    )
    assert (1, "scope1_excl_lulucf_tco2e") in found


# ----------------------------------------------------------------------------- fallbacks


def test_total_assets_fallback_is_applied_and_reported():
    rows = [company(asset_class="business_loan", outstanding=10.0, total_assets=200.0)]
    out = run(rows, extra=("total_assets",)).row(0, named=True)
    assert out["attribution_factor"] == pytest.approx(0.05)
    assert out["denominator_used"] == "total_assets"
    assert out["fallback_applied"] == pcaf.FALLBACK_TOTAL_ASSETS
    assert "no score change" in out["fallback_dq_effect"]
    assert out["dq_score"] == 2  # option 1b kept
    floored = run(
        rows, extra=("total_assets",), fallback_dq_score={pcaf.FALLBACK_TOTAL_ASSETS: 4}
    ).row(0, named=True)
    assert floored["dq_score"] == 4
    assert floored["fallback_dq_effect"] == "score floored at 4 by configuration"


def test_negative_book_equity_is_set_to_zero_for_debt_and_gives_equity_nothing():
    extra = ("total_equity", "total_debt")
    loan = company(
        asset_class="business_loan", outstanding=30.0, total_equity=-40.0, total_debt=120.0
    )
    stake = company(
        position_id="stake",
        asset_class="unlisted_equity",
        outstanding=5.0,
        total_equity=-40.0,
        total_debt=120.0,
    )
    out = run([loan, stake], extra=extra)
    first, second = out.row(0, named=True), out.row(1, named=True)
    assert first["attribution_factor"] == pytest.approx(30.0 / 120.0)  # equity counted as 0
    assert first["fallback_applied"] == pcaf.FALLBACK_NEGATIVE_EQUITY
    assert second["attribution_factor"] == 0.0
    assert second["financed_scope1_tco2e"] == 0.0
    assert second["fallback_applied"] == pcaf.FALLBACK_EQUITY_HOLDER
    # positive equity: plain total equity + debt, no fallback
    healthy = run([{**loan, "total_equity": 80.0}], extra=extra).row(0, named=True)
    assert healthy["attribution_factor"] == pytest.approx(30.0 / 200.0)
    assert healthy["fallback_applied"] is None


def test_project_finance_with_negative_equity_needs_position_type():
    extra = ("total_equity", "total_debt", "position_type")
    base = company(
        asset_class="project_finance", outstanding=10.0, total_equity=-5.0, total_debt=50.0
    )
    found, _ = problems_of([base], extra=extra)
    assert (1, "position_type") in found
    out = run(
        [
            {**base, "position_type": "debt"},
            {**base, "position_id": "e", "position_type": "equity"},
        ],
        extra=extra,
    )
    assert out["attribution_factor"].to_list() == [pytest.approx(0.2), 0.0]


def test_negative_total_equity_plus_debt_without_components_is_refused():
    found, _ = problems_of(
        [company(asset_class="business_loan", outstanding=1.0, total_equity_plus_debt=-10.0)]
    )
    assert (1, "total_equity_plus_debt") in found


def test_unknown_vehicle_value_means_full_attribution_and_zero_once_repaid():
    rows = [
        {
            "asset_class": "motor_vehicle_loan",
            "outstanding": 5_000.0,
            "scope1_tco2e": 2.0,
            "scope2_tco2e": 0.0,
            "dq_option": "3b",
        },
        {
            "asset_class": "motor_vehicle_loan",
            "outstanding": 0.0,
            "scope1_tco2e": 2.0,
            "scope2_tco2e": 0.0,
            "dq_option": "3b",
        },
    ]
    out = run(rows)
    assert out["attribution_factor"].to_list() == [1.0, 0.0]
    assert out["financed_scope1_tco2e"].to_list() == [2.0, 0.0]
    assert out["denominator_used"].to_list() == ["none_vehicle_value_unknown"] * 2
    assert out["fallback_applied"].to_list() == [pcaf.FALLBACK_VEHICLE] * 2
    floored = run(rows, fallback_dq_score={pcaf.FALLBACK_VEHICLE: 5})
    assert floored["dq_score"].to_list() == [5, 5]


def test_attribution_above_one_is_refused_by_default_and_capped_on_request():
    row = {
        "asset_class": "mortgage",
        "outstanding": 110.0,
        "property_value_at_origination": 100.0,
        "scope1_tco2e": 3.0,
        "scope2_tco2e": 1.0,
        "dq_option": "2a",
    }
    found, _ = problems_of([row])
    assert found == {(1, "outstanding")}
    out = run([row], attribution_above_one="cap").row(0, named=True)
    assert out["attribution_factor"] == 1.0
    assert out["financed_scope1_tco2e"] == 3.0
    assert out["fallback_applied"] == pcaf.FALLBACK_CAPPED
    assert "configuration cap" in out["fallback_dq_effect"]


def test_options_3b_3c_can_carry_emissions_estimated_on_the_outstanding_amount():
    row = company(
        asset_class="business_loan",
        outstanding=1_000.0,
        scope1_tco2e=7.0,
        scope2_tco2e=1.0,
        dq_option="3b",
        emissions_basis="outstanding",
    )
    out = run([row], extra=("emissions_basis",)).row(0, named=True)
    assert out["attribution_factor"] is None
    assert out["denominator_used"] == "none_emissions_on_outstanding"
    assert out["financed_scope1_tco2e"] == 7.0
    assert out["dq_score"] == 5
    found, _ = problems_of([{**row, "dq_option": "1a"}], extra=("emissions_basis",))
    assert (1, "emissions_basis") in found
    # without the flag a 3b row still needs a denominator
    found, _ = problems_of([{**row, "emissions_basis": None}], extra=("emissions_basis",))
    assert (1, "total_equity_plus_debt") in found


# ----------------------------------------------------------------------------- data quality


def test_reference_files_carry_source_and_edition_and_cover_every_class():
    for name in (pcaf.DQ_FILE, pcaf.PHASE_IN_FILE):
        path = resources.files("greenfin.reference").joinpath("data", "carbon", name)
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
        assert rows
        assert all(r["source"] and r["edition"] == pcaf.EDITION for r in rows)
    scores = pcaf.dq_scores()
    assert {ac for ac, _ in scores} == set(pcaf.ASSET_CLASSES)
    assert set(scores.values()) <= {1, 2, 3, 4, 5}
    for ac in pcaf.ASSET_CLASSES:
        options = {opt: s for (a, opt), s in scores.items() if a == ac}
        assert options["1a"] == 1
        assert max(options.values()) == 5
    info = pcaf.provenance()
    assert info["method"] == pcaf.EDITION and len(info["files"]) == 2


@pytest.mark.parametrize(
    ("asset_class", "expected"),
    [
        ("listed_equity", {"1a": 1, "1b": 2, "2a": 2, "2b": 3, "3a": 4, "3b": 5, "3c": 5}),
        ("business_loan", {"1a": 1, "1b": 2, "2a": 2, "2b": 3, "3a": 4, "3b": 5, "3c": 5}),
        ("project_finance", {"1a": 1, "1b": 2, "2a": 2, "2b": 3, "3a": 4, "3b": 5, "3c": 5}),
        ("commercial_real_estate", {"1a": 1, "1b": 2, "2a": 3, "2b": 4, "3": 5}),
        ("mortgage", {"1a": 1, "1b": 2, "2a": 3, "2b": 4, "3": 5}),
        # Table 5-16 / Annex 10.1-6 as read from the standard's text (see PCAF.md)
        ("motor_vehicle_loan", {"1a": 1, "1b": 1, "2a": 2, "2b": 3, "3a": 4, "3b": 5}),
        ("sovereign_debt", {"1a": 1, "1b": 2, "2a": 3, "3a": 4, "3b": 5}),
    ],
)
def test_data_quality_tables(asset_class, expected):
    got = {opt: s for (a, opt), s in pcaf.dq_scores().items() if a == asset_class}
    assert got == expected


def test_scope3_data_quality_is_separate_and_option_2a_excludes_scope3():
    row = company(
        asset_class="listed_equity",
        outstanding=10.0,
        evic=100.0,
        sector="06",
        scope3_tco2e=500.0,
        dq_option="2a",
    )
    found, _ = problems_of([row])
    assert (1, "scope3_dq_option") in found
    out = run([{**row, "scope3_dq_option": "3a"}], extra=("scope3_dq_option",))
    first = out.row(0, named=True)
    assert (first["dq_score"], first["scope3_dq_score"]) == (2, 4)
    summary = pcaf.summarise(out).filter(pl.col("grouping") == "total").row(0, named=True)
    assert (summary["dq_score_weighted"], summary["dq_score_scope3_weighted"]) == (2.0, 4.0)


# ----------------------------------------------------------------------------- scope-3 phase-in


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2020, [False, False, False, False, False]),
        (2021, [True, True, False, False, False]),
        (2022, [True, True, False, False, False]),
        (2023, [True, True, True, False, False]),
        (2025, [True, True, True, True, False]),
    ],
)
def test_scope3_phase_in_by_nace_division_and_year(year, expected):
    sectors = ["06", "B.19", "C24.10", "47", "06"]
    classes = [
        "listed_equity",
        "business_loan",
        "corporate_bond",
        "unlisted_equity",
        "project_finance",
    ]
    rows = [
        company(asset_class=ac, sector=s, outstanding=1.0, evic=10.0, total_equity_plus_debt=10.0)
        for ac, s in zip(classes, sectors, strict=True)
    ]
    out = run(rows, year)
    assert out["scope3_required"].to_list() == expected
    assert out["scope3_reported"].to_list() == [False] * 5
    summary = pcaf.summarise(out).filter(pl.col("grouping") == "total").row(0, named=True)
    assert summary["scope3_missing_positions"] == sum(expected)


def test_phase_in_needs_a_nace_sector_until_every_sector_is_covered():
    row = company(
        asset_class="business_loan", outstanding=1.0, total_equity_plus_debt=10.0, sector="retail"
    )
    found, _ = problems_of([row], 2024)
    assert (1, "sector") in found
    assert run([row], 2025)["scope3_required"].to_list() == [True]
    mortgage = {
        "asset_class": "mortgage",
        "outstanding": 1.0,
        "property_value_at_origination": 2.0,
        "scope1_tco2e": 1.0,
        "scope2_tco2e": 1.0,
        "dq_option": "3",
    }
    assert run([mortgage], 2024)["scope3_required"].to_list() == [False]


def test_scope3_is_not_part_of_the_building_methods():
    found, _ = problems_of(
        [
            {
                "asset_class": "mortgage",
                "outstanding": 1.0,
                "property_value_at_origination": 2.0,
                "scope1_tco2e": 1.0,
                "scope2_tco2e": 1.0,
                "scope3_tco2e": 5.0,
                "dq_option": "3",
            }
        ]
    )
    assert found == {(1, "scope3_tco2e")}


# ----------------------------------------------------------------------------- summary


def test_summary_intensity_and_waci_by_hand():
    rows = [
        company(
            position_id="a",
            asset_class="listed_equity",
            sector="06",
            outstanding=2e6,
            evic=20e6,
            scope1_tco2e=900.0,
            scope2_tco2e=100.0,
            revenue=10e6,
        ),
        company(
            position_id="b",
            asset_class="listed_equity",
            sector="06",
            outstanding=6e6,
            evic=12e6,
            scope1_tco2e=300.0,
            scope2_tco2e=100.0,
            revenue=2e6,
        ),
        company(
            position_id="c",
            asset_class="business_loan",
            sector="47",
            outstanding=2e6,
            total_equity_plus_debt=4e6,
            scope1_tco2e=50.0,
            scope2_tco2e=50.0,
        ),
    ]
    summary = pcaf.summarise(run(rows))
    eq = summary.filter(pl.col("grouping") == "asset_class").row(0, named=True)
    # financed: 0.1 × 1000 + 0.5 × 400 = 300 t on 8 $M
    assert eq["financed_scope12_tco2e"] == pytest.approx(300.0)
    assert eq["economic_intensity_tco2e_per_million"] == pytest.approx(300.0 / 8.0)
    # WACI: 2/8 × 1000/10 + 6/8 × 400/2 = 25 + 150
    assert eq["waci_tco2e_per_million_revenue"] == pytest.approx(175.0)
    assert eq["waci_coverage"] == pytest.approx(1.0)
    total = summary.filter(pl.col("grouping") == "total").row(0, named=True)
    assert total["waci_tco2e_per_million_revenue"] == pytest.approx(175.0)
    assert total["waci_coverage"] == pytest.approx(0.8)
    assert summary["grouping"].unique(maintain_order=True).to_list() == list(pcaf.SUMMARY_GROUPINGS)


# ----------------------------------------------------------------------------- invariants

OPTIONS = {ac: sorted({o for a, o in pcaf.dq_scores() if a == ac}) for ac in pcaf.ASSET_CLASSES}
money = st.floats(min_value=1.0, max_value=1e12, allow_nan=False, allow_infinity=False)
share = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
tonnes = st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False)


@st.composite
def position(draw: st.DrawFn) -> dict[str, Any]:
    ac = draw(st.sampled_from(pcaf.ASSET_CLASSES))
    size = draw(money)
    row: dict[str, Any] = {
        "asset_class": ac,
        "outstanding": size * draw(share),
        "scope1_tco2e": draw(tonnes),
        "scope2_tco2e": draw(tonnes),
        "dq_option": draw(st.sampled_from([o for o in OPTIONS[ac] if o != "2a"])),
        "sector": draw(st.sampled_from(["06", "24", "47", "B19", None])),
    }
    if ac in ("listed_equity", "corporate_bond"):
        row["evic"] = size
    elif ac in pcaf.BALANCE_SHEET_CLASSES:
        kind = draw(st.sampled_from(["tepd", "components", "assets"]))
        if kind == "tepd":
            row["total_equity_plus_debt"] = size
        elif kind == "assets":
            row["total_assets"] = size
        else:
            equity = draw(st.floats(min_value=-size, max_value=size, allow_nan=False))
            row["total_equity"], row["total_debt"] = equity, size
            row["position_type"] = draw(st.sampled_from(["debt", "equity"]))
    elif ac in pcaf.BUILDING_CLASSES:
        row["property_value_at_origination"] = size
    elif ac == "motor_vehicle_loan":
        row["vehicle_value_at_origination"] = draw(st.sampled_from([size, None]))
    else:
        row["ppp_gdp"] = size
        row["scope1_excl_lulucf_tco2e"] = draw(tonnes)
    if ac in pcaf.COMPANY_CLASSES:
        row["sector"] = draw(st.sampled_from(["06", "24", "47", "B19"]))
        row["scope3_tco2e"] = draw(st.one_of(st.none(), tonnes))
        row["revenue"] = draw(st.one_of(st.none(), money))
    return row


EXTRA = ("total_equity", "total_debt", "total_assets", "position_type", "scope1_excl_lulucf_tco2e")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(position(), min_size=1, max_size=25), st.integers(2019, 2026))
def test_invariants(rows, year):
    out = run(rows, year, extra=EXTRA)
    af = out["attribution_factor"]
    assert af.null_count() == 0
    assert ((af >= 0) & (af <= 1)).all()
    for scope in ("scope1", "scope2", "scope3"):
        given_e, fin = out[f"{scope}_tco2e"], out[f"financed_{scope}_tco2e"]
        ok = fin.is_null() | (fin <= given_e * (1 + 1e-12))
        assert ok.all()
    assert out["dq_score"].is_between(1, 5).all()
    summary = pcaf.summarise(out)
    for grouping in pcaf.SUMMARY_GROUPINGS:
        part = summary.filter(pl.col("grouping") == grouping)
        assert part["positions"].sum() == out.height
        for column in ("outstanding", "financed_scope1_tco2e", "financed_scope2_tco2e"):
            expect = out[column].sum()
            assert part[column].sum() == pytest.approx(expect, rel=1e-9, abs=1e-6)
        fs3 = out["financed_scope3_tco2e"]
        got3 = part["financed_scope3_tco2e"].sum()
        assert got3 == pytest.approx(
            fs3.sum() if fs3.null_count() < len(fs3) else 0.0, rel=1e-9, abs=1e-6
        )
        dq = part["dq_score_weighted"].drop_nulls()
        assert ((dq >= 1 - 1e-9) & (dq <= 5 + 1e-9)).all()


# ----------------------------------------------------------------------------- errors


def test_every_problem_is_collected_with_row_and_field():
    rows = [
        company(asset_class="listed_equity", outstanding=10.0, evic=100.0),
        company(asset_class="listed_equity", outstanding=-1.0, evic=100.0),
        company(asset_class="business_loan", outstanding=10.0),
        company(asset_class="hedge_fund", outstanding=10.0),
        company(asset_class="mortgage", outstanding=10.0, dq_option="3c", sector=None),
        {
            "asset_class": "sovereign_debt",
            "outstanding": 1.0,
            "scope1_tco2e": 1.0,
            "dq_option": "1a",
            "scope1_excl_lulucf_tco2e": 1.0,
        },
        company(asset_class="listed_equity", outstanding=1.0, evic=100.0, scope1_tco2e=None),
        company(asset_class="listed_equity", outstanding=1.0, evic=100.0, scope2_tco2e=-3.0),
    ]
    found, err = problems_of(rows, extra=("scope1_excl_lulucf_tco2e",))
    assert {
        (2, "outstanding"),
        (3, "total_equity_plus_debt"),
        (4, "asset_class"),
        (5, "dq_option"),
        (5, "property_value_at_origination"),
        (6, "ppp_gdp"),
        (7, "scope1_tco2e"),
        (8, "scope2_tco2e"),
    } <= found
    assert all(p.row != 1 for p in err.problems)
    assert err.total >= 8
    assert "row 2 outstanding" in str(err)


def test_missing_and_reserved_columns_are_named():
    frame = book([company(asset_class="listed_equity", outstanding=1.0, evic=2.0)])
    with pytest.raises(pcaf.PcafInputError) as info:
        pcaf.financed_emissions(frame.drop("evic", "dq_option"), 2024)
    assert {(p.row, p.field) for p in info.value.problems} == {(None, "evic"), (None, "dq_option")}
    with pytest.raises(pcaf.PcafInputError) as info:
        pcaf.financed_emissions(frame.with_columns(pl.lit(1.0).alias("dq_score")), 2024)
    assert info.value.problems[0].field == "dq_score"


def test_duplicate_position_ids_are_refused():
    rows = [
        company(position_id="X", asset_class="listed_equity", outstanding=1.0, evic=2.0),
        company(position_id="Y", asset_class="listed_equity", outstanding=1.0, evic=2.0),
        company(position_id="X", asset_class="listed_equity", outstanding=1.0, evic=2.0),
    ]
    found, _ = problems_of(rows)
    assert found == {(1, "position_id"), (3, "position_id")}


def test_text_columns_from_csv_are_parsed_and_bad_numbers_reported():
    frame = book([company(asset_class="listed_equity", outstanding=10.0, evic=100.0)] * 2)
    text = frame.with_columns(
        pl.Series("position_id", ["a", "b"]),
        pl.Series("outstanding", ["10", "ten"]),
        pl.Series("evic", [" 100 ", "100"]),
        pl.col("scope3_tco2e").cast(pl.String).fill_null(""),
    )
    with pytest.raises(pcaf.PcafInputError) as info:
        pcaf.financed_emissions(text, 2024)
    assert {(p.row, p.field) for p in info.value.problems} == {(2, "outstanding")}
    fixed = text.with_columns(pl.Series("outstanding", ["10", "20"]))
    out = pcaf.financed_emissions(fixed.lazy(), 2024)
    assert out["attribution_factor"].to_list() == [0.1, 0.2]
    assert out.schema["outstanding"] == pl.Float64
    assert out["financed_scope3_tco2e"].to_list() == [None, None]


def test_non_finite_values_and_bad_arguments():
    found, _ = problems_of([company(asset_class="listed_equity", outstanding=math.inf, evic=100.0)])
    assert (1, "outstanding") in found
    frame = book([company(asset_class="listed_equity", outstanding=1.0, evic=2.0)])
    with pytest.raises(TypeError):
        pcaf.financed_emissions(frame, "2024")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        pcaf.PcafConfig(fallback_dq_score={"negative_equity_set_to_zero": 5})
    with pytest.raises(ValueError):
        pcaf.PcafConfig(attribution_above_one="ignore")  # type: ignore[arg-type]


def test_output_columns_follow_the_contract():
    frame = book([company(asset_class="listed_equity", outstanding=1.0, evic=2.0)])
    out = pcaf.financed_emissions(frame, 2024)
    n = len(pcaf.CONTRACT_COLUMNS)
    assert out.columns[:n] == list(pcaf.CONTRACT_COLUMNS)
    assert out.columns[n : n + 5] == list(pcaf.RESULT_COLUMNS)
    assert out.columns[n + 5 :] == list(pcaf.EXTRA_COLUMNS)


def test_problem_list_is_capped_but_counted():
    rows = [company(asset_class="listed_equity", outstanding=-1.0, evic=2.0)] * 30
    rows = [{**r, "position_id": f"P{i}"} for i, r in enumerate(rows)]
    _, err = problems_of(rows, max_problems=10)
    assert len(err.problems) == 10
    assert err.total == 30


def test_issuer_listed_as_text():
    flags = ["yes", "No", "", "maybe"]
    rows = [
        company(
            asset_class="corporate_bond", outstanding=10.0, evic=100.0, total_equity_plus_debt=50.0
        )
        for _ in flags
    ]
    frame = book(rows).with_columns(pl.Series("issuer_listed", flags))
    with pytest.raises(pcaf.PcafInputError) as info:
        pcaf.financed_emissions(frame, 2024)
    assert {(p.row, p.field) for p in info.value.problems} == {(4, "issuer_listed")}
    out = pcaf.financed_emissions(frame.head(3), 2024)
    # blank: EVIC present, so treated as listed
    assert out["denominator_used"].to_list() == ["evic", "total_equity_plus_debt", "evic"]
