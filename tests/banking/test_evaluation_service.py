"""Evaluation service on the two-bank world (tests/banking/two_banks.py): inputs derived from
the books, both schemes through the same code (grades differ by configuration), qualitative
entry with evidence (permissions, validation, ledger), a bank sees its own result only.

Inputs for 2026Q3 (万元): A green 70, loans 100, NPL 30; B green 20, loans 30, NPL 0.
PBOC 2021 (each indicator 8 own + 12 peer points; no own history yet → the peer fraction):
    ratio A .70 > B .667 → A 20, B 0; share A .778 → A 20, B 0; y/y A 1.0, B 0 → A 20, B 0;
    risk (lower is better) A .429, B 0 → A 0, B 20. Quantitative A 60, B 20.
    Qualitative A 100/100/100 → 20 → 80 良好; B 50/50/50 → 10 → 30 较差.
Chongqing 2023 (each indicator 5.6 own + 8.4 peer; own history = the year-end a year earlier,
    2025Q3: ratio A 1.0, B 1.0; share A .636, B .364; NPL ratio 0 both; rate 3.45 % both):
    ratio A .70 → own 0 (below its 1.0) + peer 8.4; B 0 + 0. Share A 5.6 + 8.4, B 0.
    Growth (no own value yet → peer fraction) A 14, B 0. Credit cost tied everywhere → 2.8 + 4.2
    each. NPL ratio A .429 (worse than its 0) → 0 + 0; B 0 = its history (tie .5) → 2.8 + 8.4.
    Quantitative A 43.4, B 18.2. Qualitative (5 × 6 points) A 100s → 30 → 73.4 二级;
    B 50s → 15 → 33.2 四级.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from greenfin.banking import evaluation as ev
from greenfin.identity.roles import OrgKind, Role
from greenfin.services import evaluation
from greenfin.services.errors import Forbidden, InvalidInput, NotFound
from greenfin.store.models import AuditRecord, BankPeriodInput
from tests.banking import two_banks as tb
from tests.banking.two_banks import ACTOR

QUARTER = "2026Q3"


@pytest.fixture
def world(db, tmp_path):
    with db.session() as session:
        built = tb.build(session, tmp_path)
    return db, tmp_path, built


def scores(
    scheme_id: str, value: float, note: str = "现场检查（示例）"
) -> evaluation.QualitativeIn:
    items = ev.load_scheme(scheme_id).qualitative_items
    return evaluation.QualitativeIn(
        scheme=scheme_id,
        scores=[
            evaluation.QualitativeScoreIn(item=q.id, score=value, evidence=note) for q in items
        ],
    )


def by_bank(result: evaluation.EvaluationOut) -> dict[int, evaluation.BankResultOut]:
    return {r.bank_organisation_id: r for r in result.results}


def test_quantitative_inputs_are_derived_from_the_books(world):
    db, data_dir, w = world
    with db.session() as session:
        result = evaluation.run_evaluation(session, ACTOR, QUARTER, data_dir=data_dir)
    a, b = by_bank(result)[w.bank_a], by_bank(result)[w.bank_b]
    assert a.inputs == {
        "green_loans_10k_cny": 70.0, "green_bonds_10k_cny": 0.0, "total_assets_10k_cny": 100.0,
        "green_loans_npl_10k_cny": 30.0, "green_bonds_default_10k_cny": 0.0,
    }  # fmt: skip
    assert b.inputs["green_loans_10k_cny"] == 20.0 and b.inputs["total_assets_10k_cny"] == 30.0
    values = {i.id: i.value for i in a.indicators}
    assert values["green_business_market_share"] == pytest.approx(70 / 90)
    assert values["green_business_yoy"] == pytest.approx(1.0)
    assert values["green_business_risk_ratio"] == pytest.approx(3 / 7)
    assert (a.quantitative_points, b.quantitative_points) == (60.0, 20.0)
    # no qualitative scores yet: ranked on quantitative points, no grades, pending listed
    assert not result.graded and a.grade is None and a.rank is None
    assert (a.quantitative_rank, b.quantitative_rank) == (1, 2)
    assert {p.bank_organisation_id for p in result.qualitative_pending} == {w.bank_a, w.bank_b}
    assert result.priority_list == []
    derived = {d.field: d.derived for d in result.derivations}
    assert derived["green_loans_10k_cny"] and not derived["total_assets_10k_cny"]
    assert not derived["green_bonds_10k_cny"]


def test_both_schemes_grade_through_configuration(world):
    db, data_dir, w = world
    with db.session() as session:
        for scheme_id in ("pboc_2021", "chongqing_2023"):
            evaluation.enter_qualitative(session, ACTOR, QUARTER, w.bank_a, scores(scheme_id, 100))
            evaluation.enter_qualitative(session, ACTOR, QUARTER, w.bank_b, scores(scheme_id, 50))
    with db.session() as session:
        pboc = evaluation.run_evaluation(session, ACTOR, QUARTER, "pboc_2021", data_dir=data_dir)
        cq = evaluation.run_evaluation(session, ACTOR, QUARTER, "chongqing_2023",
                                       data_dir=data_dir)  # fmt: skip
    assert pboc.graded and cq.graded
    pa, pb = by_bank(pboc)[w.bank_a], by_bank(pboc)[w.bank_b]
    assert (pa.total_points, pa.grade, pa.rank, pa.priority) == (80.0, "良好", 1, True)
    assert (pb.total_points, pb.grade, pb.rank, pb.priority) == (30.0, "较差", 2, False)
    ca, cb = by_bank(cq)[w.bank_a], by_bank(cq)[w.bank_b]
    assert (ca.quantitative_points, cb.quantitative_points) == (43.4, 18.2)
    assert (ca.total_points, ca.grade) == (73.4, "二级")
    assert (cb.total_points, cb.grade) == (33.2, "四级")
    assert [p.bank_organisation_id for p in pboc.priority_list] == [w.bank_a, w.bank_b]
    assert len(pa.indicators) == 4 and len(ca.indicators) == 5
    assert all(i.explanation for i in pa.indicators)
    assert "no own history" in pa.indicators[0].explanation  # fallback explained
    assert pa.qualitative[0].evidence == "现场检查（示例）"


def test_a_quarter_without_books_or_prior_year(world):
    db, data_dir, w = world
    with db.session() as session:
        with pytest.raises(NotFound):
            evaluation.run_evaluation(session, ACTOR, "2026Q2", data_dir=data_dir)
        early = evaluation.run_evaluation(session, ACTOR, "2025Q3", data_dir=data_dir)
        assert early.results == []
        assert {x.bank_organisation_id for x in early.excluded} == {w.bank_a, w.bank_b}
        assert "2024Q3" in early.excluded[0].reasons[0]  # no book a year earlier
        with pytest.raises(InvalidInput) as bad:
            evaluation.run_evaluation(session, ACTOR, "2026-09", data_dir=data_dir)
        assert bad.value.problems[0].field == "quarter"
        with pytest.raises(InvalidInput) as scheme:
            evaluation.run_evaluation(session, ACTOR, QUARTER, "nope", data_dir=data_dir)
        assert scheme.value.problems[0].field == "scheme"


def test_qualitative_entry_permissions_validation_and_ledger(world):
    db, _data_dir, w = world
    regulator = tb.principal(Role.REGULATOR, w.regulator, OrgKind.REGULATOR)
    with db.session() as session:
        for role, org, kind in (
            (Role.BANK, w.bank_a, OrgKind.BANK),
            (Role.ENTERPRISE, w.enterprise, OrgKind.ENTERPRISE),
            (Role.REVIEWER, w.regulator, OrgKind.REGULATOR),
        ):
            with pytest.raises(Forbidden):
                evaluation.enter_qualitative(
                    session, tb.principal(role, org, kind), QUARTER, w.bank_a,
                    scores("pboc_2021", 90),
                )  # fmt: skip
        bad = evaluation.QualitativeIn(
            scheme="pboc_2021",
            scores=[
                evaluation.QualitativeScoreIn(item="policy_execution", score=101, evidence="x"),
                evaluation.QualitativeScoreIn(item="unknown_item", score=5, evidence="x"),
            ],
        )
        with pytest.raises(InvalidInput) as invalid:
            evaluation.enter_qualitative(session, regulator, QUARTER, w.bank_a, bad)
        fields = {p.field for p in invalid.value.problems}
        assert {"scores[0].score", "scores[1].item", "scores"} <= fields
        with pytest.raises(NotFound):  # not a bank
            evaluation.enter_qualitative(session, regulator, QUARTER, w.enterprise,
                                         scores("pboc_2021", 90))  # fmt: skip
        assert session.execute(select(func.count()).select_from(BankPeriodInput)).scalar() == 0
    with pytest.raises(ValidationError):  # an evidence note is required
        evaluation.QualitativeScoreIn(item="policy_execution", score=80, evidence="  ")
    with db.session() as session:
        first = evaluation.enter_qualitative(session, regulator, "2026q3", w.bank_a,
                                             scores("pboc_2021", 90, "初次"))  # fmt: skip
        evaluation.enter_qualitative(session, regulator, QUARTER, w.bank_a,
                                     scores("chongqing_2023", 60))  # fmt: skip
        again = evaluation.enter_qualitative(session, regulator, QUARTER, w.bank_a,
                                             scores("pboc_2021", 95, "复核"))  # fmt: skip
    assert first.quarter == QUARTER and first.scores[0].score == 90
    assert again.scores[0].evidence == "复核"
    with db.session() as session:
        assert session.execute(select(func.count()).select_from(BankPeriodInput)).scalar() == 1
        kept = evaluation.get_qualitative(session, regulator, QUARTER, w.bank_a, "chongqing_2023")
        assert kept is not None and kept.scores[0].score == 60  # the other scheme is kept
        ledger = (
            session.execute(
                select(AuditRecord).where(AuditRecord.action == "evaluation.qualitative_entered")
            )
            .scalars()
            .all()
        )
        assert len(ledger) == 3 and all(r.actor_username == "u-regulator" for r in ledger)
        assert "复核" in ledger[-1].payload_json


def test_a_bank_sees_its_own_result_only(world):
    db, data_dir, w = world
    bank_user = tb.principal(Role.BANK, w.bank_b, OrgKind.BANK)
    with db.session() as session:
        for scheme_id, value in (("pboc_2021", 100), ("pboc_2021", 50)):
            bank = w.bank_a if value == 100 else w.bank_b
            evaluation.enter_qualitative(session, ACTOR, QUARTER, bank, scores(scheme_id, value))
    with db.session() as session:
        own = evaluation.run_evaluation(session, bank_user, QUARTER, data_dir=data_dir)
        assert [r.bank_organisation_id for r in own.results] == [w.bank_b]
        assert own.results[0].rank == 2  # ranked among all banks
        assert [p.bank_organisation_id for p in own.priority_list] == [w.bank_b]
        assert evaluation.get_qualitative(session, bank_user, QUARTER, w.bank_b, "pboc_2021")
        with pytest.raises(NotFound):
            evaluation.get_qualitative(session, bank_user, QUARTER, w.bank_a, "pboc_2021")
        with pytest.raises(Forbidden):
            evaluation.run_evaluation(
                session, tb.principal(Role.ENTERPRISE, w.enterprise, OrgKind.ENTERPRISE),
                QUARTER, data_dir=data_dir,
            )  # fmt: skip
