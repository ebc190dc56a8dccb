"""Green project library services on SQLite and PostgreSQL: submission → screening → grading →
review (four eyes, optimistic locking, concurrent reviewers), bad input, visibility, search,
statistics, certificates, bulk import, demo data."""

from __future__ import annotations

import io
import json
import re
import threading
from decimal import Decimal

import polars as pl
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from greenfin import ledger
from greenfin.identity.principal import Principal, SystemActor
from greenfin.services import auth, project_certificates, project_import, project_library, projects
from greenfin.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from greenfin.store.models import (
    AuditRecord,
    Organisation,
    Project,
    ProjectCertificate,
    ProjectDocument,
    User,
)

PDF = b"%PDF-1.4\n% evidence\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 8


def who(session, username: str) -> Principal:
    uid = session.execute(select(User.id).where(User.username == username)).scalar_one()
    principal = auth.principal_by_id(session, uid)
    assert principal is not None
    return principal


def pv_input(**overrides) -> projects.ProjectIn:
    data = dict(
        name="通州物流园屋顶分布式光伏（测试）",
        description="在物流园区仓库屋顶建设10MW分布式光伏电站，所发电量自发自用、余电上网",
        industry_code="4416", district="通州", in_city_sub_centre=True,
        total_investment_10k_cny=Decimal("4000"), financing_amount_10k_cny=Decimal("3000"),
        financing_term_months=120, financing_type="project_loan",
        expected_outputs={"annual_generation_mwh": 11000},
    )  # fmt: skip
    data.update(overrides)
    return projects.ProjectIn(**data)


def credit_points(session, principal) -> float:
    """The rubric's environmental-credit points for the enterprise's latest graded carbon account
    (the neutral no-record band without one), read from the rubric file, not restated here."""
    from greenfin.library.grading import NO_RECORD, rubric

    grade, _ = projects.credit_record(session, principal.organisation_id)
    bands = rubric().criterion_bands("environmental_credit")
    return next(b.points for b in bands if b.category == (grade or NO_RECORD))


def count(session, model, *where) -> int:
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def submitted_pv(db, tmp_path, username: str = "demo-enterprise") -> int:
    """A submitted (screened) rooftop-PV project with two of the three required documents."""
    with db.session() as session:
        enterprise = who(session, username)
        docs = [projects.DocumentUpload("feasibility_study", "可研.pdf", PDF),
                projects.DocumentUpload("eia_approval", "环评.png", PNG)]  # fmt: skip
        created = projects.create_project(session, enterprise, pv_input(), documents=docs,
                                          data_dir=tmp_path)  # fmt: skip
        return projects.submit(session, enterprise, created.id, created.version).id


def test_submission_screens_estimates_and_grades_with_working(demo_db, tmp_path):
    project_id = submitted_pv(demo_db, tmp_path)
    with demo_db.session() as session:
        enterprise = who(session, "demo-enterprise")
        p = projects.get_project(session, enterprise, project_id)
        assert (p.status, p.version) == ("screening", 3)
        assert (p.item_code, p.category_code, p.verdict) == ("4.2.2", "4", "needs_evidence")
        # 11,000 MWh × 0.6361 tCO2/MWh (North China grid, data year 2023) = 6,997.1 t/yr
        assert round(p.reduction_tco2e_per_year, 6) == 6997.1
        assert p.reduction["working"]["factors"][0]["value"] == 0.6361
        # 25 (match) + 10 (qualitative) + 25 (1.75 t/万元) + 13 (2 of 3 documents) + the
        # environmental-credit points: 5 without a carbon account (other tests sharing the demo
        # database may have filed one for demo-enterprise; then its band counts) → 78 → 中绿
        points = {c["criterion"]: c["points"] for c in p.grading["criteria"]}
        assert points == {"catalogue_match": 25, "criteria_met": 10, "reduction_intensity": 25,
                          "evidence_completeness": 13,
                          "environmental_credit": credit_points(session, enterprise)}  # fmt: skip
        assert p.grading["total_points"] == 73 + credit_points(session, enterprise)
        if credit_points(session, enterprise) == 5:
            assert p.proposed_grade == "中绿"
        assert [e.action for e in p.events] == ["create", "submit", "screen"]
        assert [d.kind for d in p.documents] == ["feasibility_study", "eia_approval"]
        actions = (
            session.execute(
                select(AuditRecord.action).where(AuditRecord.object_id == str(project_id))
            )
            .scalars()
            .all()
        )
        assert sorted(actions) == sorted([
            "project.create", "project.document_added", "project.document_added",
            "project.submit", "project.screen",
        ])  # fmt: skip
        assert ledger.verify(session).ok
        assert "光伏" in session.get(Project, project_id).search_text.split(" ")


def test_deep_green_needs_four_eyes_then_a_verifiable_certificate(demo_db, tmp_path):
    project_id = submitted_pv(demo_db, tmp_path)
    with demo_db.session() as session:
        first, second = who(session, "demo-reviewer"), who(session, "demo-reviewer2")
        regulator = who(session, "demo-regulator")
        p = projects.claim(session, first, project_id, 3)
        p = projects.approve(session, first, project_id, p.version, grade="深绿", comment="好")
        assert p.status == "in_review" and p.awaiting_second_approval and p.grade is None
        assert p.certificate is None
        with pytest.raises(Forbidden):
            projects.approve(session, first, project_id, p.version)
        p = projects.approve(session, second, project_id, p.version)
        assert (p.status, p.grade, p.second_approver_id) == ("approved", "深绿", second.user_id)
        assert [e.action for e in p.events][-2:] == ["approve.first", "approve.second"]
        code = p.certificate.verification_code
        assert code.startswith("GF-") and len(code) == 27
        info = project_certificates.verify(session, code.lower().replace("-", "- "))
        assert info.valid and info.grade == "深绿" and info.item_code == "4.2.2"
        assert info.project_name == p.name
        assert set(info.model_dump()) == {
            "verification_code",
            "valid",
            "project_name",
            "enterprise_name",
            "grade",
            "item_code",
            "item_name_zh",
            "edition",
            "issued_on",
            "revoked_on",
            "is_synthetic",
        }  # nothing confidential: no money, documents, reviewers or comments
        with pytest.raises(Forbidden):
            project_certificates.revoke(session, first, project_id, "x")
        revoked = project_certificates.revoke(session, regulator, project_id, "材料造假（测试）")
        assert not revoked.valid and project_certificates.verify(session, code).revoked_on
        with pytest.raises(NotFound):
            project_certificates.verify(session, "GF-AAAA-AAAA-AAAA-AAAA-AAAA")
        assert ledger.verify(session).ok


def test_return_edit_resubmit_and_reject(demo_db, tmp_path):
    project_id = submitted_pv(demo_db, tmp_path)
    with demo_db.session() as session:
        enterprise, reviewer = who(session, "demo-enterprise"), who(session, "demo-reviewer")
        p = projects.claim(session, reviewer, project_id, 3)
        with pytest.raises(InvalidInput) as missing:
            projects.return_for_revision(session, reviewer, project_id, p.version, "  ")
        assert missing.value.problems[0].field == "comment"
        p = projects.return_for_revision(session, reviewer, project_id, p.version,
                                         "请补充节能审查意见", "节能审查意见")  # fmt: skip
        assert p.status == "returned" and p.events[-1].requested_evidence == "节能审查意见"
        projects.upload_documents(
            session, enterprise, project_id,
            [projects.DocumentUpload("energy_saving_review", "节能.pdf", PDF)], tmp_path,
        )  # fmt: skip
        p = projects.update_project(session, enterprise, project_id,
                                    pv_input(name="屋顶光伏二期（测试）"), p.version)  # fmt: skip
        p = projects.submit(session, enterprise, project_id, p.version)
        # all three documents now: 25 + 10 + 25 + 20 + credit (≥ 0) ≥ 80 → 深绿 proposed
        credit = credit_points(session, enterprise)
        assert p.status == "screening" and p.grading["total_points"] == 80 + credit
        assert p.proposed_grade == "深绿" and p.assigned_reviewer_id is None
        p = projects.claim(session, reviewer, project_id, p.version)
        p = projects.reject(session, reviewer, project_id, p.version, "重复申报（测试）")
        assert p.status == "rejected" and p.allowed_actions == []
        with pytest.raises(Conflict):
            projects.submit(session, enterprise, project_id, p.version)


def test_stale_version_is_a_conflict_naming_the_field(demo_db, tmp_path):
    with demo_db.session() as session:
        enterprise = who(session, "demo-enterprise")
        p = projects.create_project(session, enterprise, pv_input())
        projects.update_project(session, enterprise, p.id, pv_input(location="A"), p.version)
        with pytest.raises(Conflict) as stale:
            projects.update_project(session, enterprise, p.id, pv_input(location="B"), p.version)
        assert stale.value.status == 409 and stale.value.problems[0].field == "version"
        # the guard itself: UPDATE … WHERE version = :seen affects no row when stale
        project = session.get(Project, p.id)
        step = projects._plan(projects.Action.EDIT, project, enterprise)
        with pytest.raises(Conflict):
            projects._apply(session, enterprise, project, 1, step, {"location": "C"})
        assert session.get(Project, p.id).location == "A"


def race(db, calls) -> list[str]:
    """Run ``calls`` (functions of a session) at the same moment, each in its own thread,
    session and connection; returns "ok" or "conflict" per call."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = []

    def run(call) -> None:
        session = db.new_session()
        try:
            barrier.wait(timeout=30)
            call(session)
            session.commit()
            results.append("ok")
        except Conflict:
            session.rollback()
            results.append("conflict")
        finally:
            session.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    return sorted(results)


def test_two_reviewers_racing_exactly_one_wins(demo_db, tmp_path):
    project_id = submitted_pv(demo_db, tmp_path)
    with demo_db.session() as session:
        a, b = who(session, "demo-reviewer"), who(session, "demo-reviewer2")
        before = count(session, AuditRecord)
    results = race(demo_db, [lambda s: projects.claim(s, a, project_id, 3),
                             lambda s: projects.claim(s, b, project_id, 3)])  # fmt: skip
    assert results == ["conflict", "ok"]
    with demo_db.session() as session:
        project = session.get(Project, project_id)
        assert project.status == "in_review" and project.version == 4
        assert project.assigned_reviewer_id in (a.user_id, b.user_id)
        assert count(session, AuditRecord) == before + 1  # the loser left no ledger record
        reviewer = a if project.assigned_reviewer_id == a.user_id else b
    # the same reviewer approving and rejecting at once (two tabs): one decision only
    results = race(demo_db, [
        lambda s: projects.approve(s, reviewer, project_id, 4, grade="中绿"),
        lambda s: projects.reject(s, reviewer, project_id, 4, "不符合（测试）"),
    ])  # fmt: skip
    assert results == ["conflict", "ok"]
    with demo_db.session() as session:
        project = session.get(Project, project_id)
        assert project.version == 5 and project.status in ("approved", "rejected")
        certificates = count(
            session, ProjectCertificate, ProjectCertificate.project_id == project_id
        )
        assert certificates == (1 if project.status == "approved" else 0)
        assert ledger.verify(session).ok


def test_bad_input_names_the_field_and_creates_nothing(demo_db, tmp_path):
    with pytest.raises(ValidationError) as missing:
        projects.ProjectIn()
    fields = {e["loc"][0] for e in missing.value.errors()}
    assert {"name", "description", "industry_code", "district",
            "total_investment_10k_cny"} <= fields  # fmt: skip
    for overrides, field in (
        ({"industry_code": "9999"}, "industry_code"),
        ({"total_investment_10k_cny": Decimal("0")}, "total_investment_10k_cny"),
        ({"total_investment_10k_cny": Decimal("-5")}, "total_investment_10k_cny"),
        ({"financing_amount_10k_cny": Decimal("5000")}, "financing_amount_10k_cny"),
        ({"district": "朝阳", "in_city_sub_centre": True}, "in_city_sub_centre"),
        ({"technical_parameters": {"colour": "green"}}, "technical_parameters"),
        ({"expected_outputs": {"annual_generation_mwh": -1}}, "expected_outputs"),
    ):
        with pytest.raises(ValidationError) as bad:
            pv_input(**overrides)
        assert bad.value.errors()[0]["loc"][0] == field, (overrides, bad.value.errors())
    with demo_db.session() as session:
        enterprise = who(session, "demo-enterprise")
        before = (count(session, Project), count(session, ProjectDocument),
                  count(session, AuditRecord))  # fmt: skip
        for uploads, field, words in (
            ([projects.DocumentUpload("feasibility_study", "fs.pdf", PNG)],
             "documents[0].file", "不符"),
            ([projects.DocumentUpload("feasibility_study", "ok.pdf", PDF),
              projects.DocumentUpload("eia_approval", "big.pdf", PDF + b"\0" * 21 * 2**20)],
             "documents[1].file", "limit"),
        ):  # fmt: skip
            with pytest.raises(InvalidInput) as refused:
                projects.create_project(session, enterprise, pv_input(), documents=uploads,
                                        data_dir=tmp_path)  # fmt: skip
            assert refused.value.problems[0].field == field
            assert words in refused.value.problems[0].message
        after = (count(session, Project), count(session, ProjectDocument),
                 count(session, AuditRecord))  # fmt: skip
        assert after == before  # no half-created project, document or ledger record
        assert not (tmp_path / "documents").exists()


def test_visibility_by_role(demo_db, tmp_path):
    with demo_db.session() as session:
        one, two = who(session, "demo-enterprise"), who(session, "demo-enterprise2")
        bank, reviewer = who(session, "demo-bank"), who(session, "demo-reviewer")
        regulator = who(session, "demo-regulator")
        draft = projects.create_project(session, one, pv_input(name="草稿项目（测试）"))
    submitted = submitted_pv(demo_db, tmp_path)
    with demo_db.session() as session:
        for other in (two, bank, reviewer):
            with pytest.raises(NotFound):
                projects.get_project(session, other, draft.id)
        assert projects.get_project(session, regulator, draft.id).full_view
        for other in (two, bank):
            with pytest.raises(NotFound):
                projects.get_project(session, other, submitted)
        assert projects.get_project(session, reviewer, submitted).status == "screening"
        approved = session.execute(
            select(Project.id).where(Project.status == "approved", Project.organisation_id
                                     != two.organisation_id).limit(1)
        ).scalar_one()  # fmt: skip
        library_view = projects.get_project(session, bank, approved)
        assert not library_view.full_view and library_view.events == []
        assert library_view.assigned_reviewer_id is None
        assert all(not d.downloadable for d in library_view.documents)
        # the library shows that evidence exists (kind, size, hash), not what the files are called
        with_documents = session.execute(
            select(ProjectDocument.project_id).join(Project).where(
                Project.status == "approved", Project.organisation_id != bank.organisation_id
            ).limit(1)
        ).scalar_one()  # fmt: skip
        outside = projects.get_project(session, bank, with_documents).documents
        assert outside and all(d.filename == "" and d.kind_label_zh for d in outside)
        inside = projects.get_project(session, regulator, with_documents).documents
        assert all(d.filename for d in inside)
        # an enterprise's list holds its own projects only, in any state
        mine = projects.list_projects(session, two, scope="all", limit=500)
        own = session.execute(select(Organisation.id).where(
            Organisation.id == two.organisation_id)).scalar_one()  # fmt: skip
        assert mine.items and all(
            session.get(Project, c.id).organisation_id == own for c in mine.items
        )
        assert projects.list_projects(session, bank).total == 0
        queue = projects.list_projects(session, reviewer, scope="all", limit=200)
        assert all(c.status != "draft" for c in queue.items)
        # banks and enterprises search the approved library only
        for principal in (bank, two):
            page = project_library.search_library(
                session, principal, project_library.LibraryQuery(limit=100)
            )
            assert page.items and {c.status for c in page.items} == {"approved"}
        with pytest.raises(InvalidInput) as status:
            project_library.search_library(
                session, bank, project_library.LibraryQuery(status="draft")
            )
        assert status.value.problems[0].field == "status"
        with pytest.raises(NotFound):
            projects.document_file(session, bank, approved, 1, tmp_path)


def test_documents_are_stored_by_hash_and_downloaded_as_uploaded(demo_db, tmp_path):
    with demo_db.session() as session:
        enterprise, bank = who(session, "demo-enterprise"), who(session, "demo-bank")
        p = projects.create_project(session, enterprise, pv_input())
        (doc,) = projects.upload_documents(
            session, enterprise, p.id, [projects.DocumentUpload("other", "x.pdf", PDF)], tmp_path
        )
        data, name, media = projects.document_file(session, enterprise, p.id, doc.id, tmp_path)
        assert (data, name, media) == (PDF, "x.pdf", "application/pdf")
        stored = session.get(ProjectDocument, doc.id).storage_path
        assert stored == f"documents/{doc.sha256[:2]}/{doc.sha256}"
        with pytest.raises(NotFound):
            projects.document_file(session, bank, p.id, doc.id, tmp_path)
        (tmp_path / stored).write_bytes(b"%PDF-tampered")
        with pytest.raises(Conflict):
            projects.document_file(session, enterprise, p.id, doc.id, tmp_path)


def test_library_search_filters_and_statistics(demo_db):
    with demo_db.session() as session:
        regulator = who(session, "demo-regulator")

        def search(**kw):
            return project_library.search_library(
                session, regulator, project_library.LibraryQuery(limit=100, **kw)
            )

        pv = search(q="光伏")
        assert pv.items
        for card in pv.items:
            text = session.get(Project, card.id).search_text.split(" ")
            assert "光伏" in text
        sub = search(district="sub_centre")
        assert sub.items and all(c.in_city_sub_centre for c in sub.items)
        tongzhou = search(district="通州")
        assert tongzhou.total >= sub.total
        assert all(c.category_code == "4" for c in search(category="4").items)
        assert all(c.grade == "中绿" for c in search(grade="中绿").items)
        money = search(financing_min_10k_cny=Decimal("1000"), financing_max_10k_cny=Decimal("5000"))
        assert all(1000 <= c.financing_amount_10k_cny <= 5000 for c in money.items)
        assert {c.status for c in search(status="returned").items} <= {"returned"}
        with pytest.raises(ValidationError):
            project_library.LibraryQuery(category="4.2")
        stats = project_library.statistics(session, regulator)
        assert sum(r.projects for r in stats.by_status) == count(session, Project)
        approved = count(session, Project, Project.status == "approved")
        assert stats.library_projects == approved
        assert sum(r.projects for r in stats.by_category) == approved
        assert sum(r.projects for r in stats.by_district if r.key != "sub_centre") == approved
        assert any(r.key == "sub_centre" for r in stats.by_district)
        with pytest.raises(Forbidden):
            project_library.statistics(session, who(session, "demo-bank"))


def test_demo_projects_cover_every_state_district_and_category(demo_db):
    with demo_db.session() as session:
        synthetic = Project.is_synthetic.is_(True)
        assert count(session, Project, synthetic) >= 300
        statuses = set(session.execute(select(Project.status).where(synthetic)).scalars())
        assert statuses == {"draft", "submitted", "screening", "in_review", "approved",
                            "returned", "rejected"}  # fmt: skip
        districts = set(session.execute(select(Project.district_code).where(synthetic)).scalars())
        assert len(districts) == 16
        assert count(session, Project, synthetic, Project.in_city_sub_centre.is_(True)) > 0
        categories = set(session.execute(
            select(Project.category_code).where(synthetic, Project.category_code.is_not(None))
        ).scalars())  # fmt: skip
        assert len(categories) >= 8
        approved = count(session, Project, synthetic, Project.status == "approved")
        certified = count(
            session,
            ProjectCertificate,
            ProjectCertificate.project_id.in_(
                select(Project.id).where(synthetic, Project.status == "approved")
            ),
        )
        assert approved == certified
        assert (
            count(
                session,
                Project,
                synthetic,
                Project.status == "in_review",
                Project.first_approver_id.is_not(None),
            )
            > 0
        )  # awaiting four eyes
        grades = set(session.execute(
            select(Project.grade).where(synthetic, Project.status == "approved")
        ).scalars())  # fmt: skip
        assert grades <= {"深绿", "中绿", "浅绿"} and len(grades) == 3
        deep = (
            session.execute(
                select(Project).where(
                    synthetic, Project.status == "approved", Project.grade == "深绿"
                )
            )
            .scalars()
            .all()
        )
        assert all(p.second_approver_id and p.second_approver_id != p.first_approver_id
                   for p in deep)  # fmt: skip
        names = session.execute(select(Project.name).where(synthetic)).scalars().all()
        assert all("示例" in n for n in names)


def test_bulk_import_is_all_or_nothing_with_rows_and_fields(demo_db):
    with demo_db.session() as session:
        enterprise = who(session, "demo-enterprise2")
        good = {"name": "顺义临空区屋顶光伏（导入测试）",
                "description": "建设2MW屋顶分布式光伏电站，自发自用",
                "industry_code": "4416", "district": "顺义", "in_city_sub_centre": "否",
                "total_investment_10k_cny": "800", "annual_generation_mwh": "2200",
                "technical_parameters": ""}  # fmt: skip
        bad = dict(good, industry_code="9999", total_investment_10k_cny="0",
                   in_city_sub_centre="也许", technical_parameters="nonsense")  # fmt: skip
        frame = pl.DataFrame([good, dict(good, name="第二个（导入测试）"), bad])
        before = count(session, Project)
        with pytest.raises(InvalidInput) as refused:
            project_import.import_projects(session, enterprise, frame.write_csv().encode(),
                                           "projects.csv")  # fmt: skip
        problems = {(p.row, p.field) for p in refused.value.problems}
        assert {(3, "in_city_sub_centre"), (3, "technical_parameters")} <= problems
        assert count(session, Project) == before
        frame = pl.DataFrame([good, dict(good, name="第二个（导入测试）")])
        buffer = io.BytesIO()
        frame.write_excel(buffer)
        result = project_import.import_projects(
            session, enterprise, buffer.getvalue(), "projects.xlsx", submit=True
        )
        assert result.created == 2 and {p.status for p in result.projects} == {"screening"}
        assert all(p.proposed_grade for p in result.projects)
        assert count(session, Project) == before + 2
        with pytest.raises(InvalidInput) as columns:
            project_import.import_projects(session, enterprise, b"name,colour\nx,y\n", "x.csv")
        assert {p.field for p in columns.value.problems} >= {"colour", "description"}
        template = pl.read_excel(io.BytesIO(project_import.template_bytes()), sheet_name="填写说明")
        assert template.height > 20


def test_operator_creates_for_a_named_enterprise_only(demo_db):
    with demo_db.session() as session:
        operator = SystemActor(username="cli")
        bank_org = session.execute(
            select(Organisation.id).where(Organisation.kind == "bank").limit(1)
        ).scalar_one()
        with pytest.raises(NotFound):
            projects.create_project(session, operator, pv_input(), organisation_id=bank_org)
        with pytest.raises(InvalidInput):
            projects.create_project(session, operator, pv_input())
        with pytest.raises(Forbidden):
            projects.create_project(session, who(session, "demo-bank"), pv_input())
        session.rollback()


@pytest.mark.parametrize("window", [5, 40, 3000])
def test_search_returns_exactly_the_newest_matches(demo_db, monkeypatch, window):
    """Both phases of the search (recent window, then full query) give the reference answer:
    every project holding all query tokens, newest decision first."""
    from greenfin.library.search import matches, query_tokens

    monkeypatch.setattr(project_library, "RECENT_WINDOW", window)
    with demo_db.session() as session:
        bank = who(session, "demo-bank")
        approved = session.execute(
            select(Project.id, Project.search_text, Project.decided_at, Project.district_code)
            .where(Project.status == "approved")
        ).all()  # fmt: skip
        for q, district, offset in (("光伏", None, 0), ("光伏", None, 5), ("热泵", "通州", 0),
                                    ("污水处理", None, 0), ("通州", None, 10), ("风电", None, 0),
                                    ("不存在的词", None, 0)):  # fmt: skip
            tokens = query_tokens(q)
            code = "110112" if district else None
            expected = [
                r.id
                for r in sorted(approved, key=lambda r: (r.decided_at, r.id), reverse=True)
                if matches(r.search_text, tokens) and (code is None or r.district_code == code)
            ]
            page = project_library.search_library(
                session, bank,
                project_library.LibraryQuery(q=q, district=district, offset=offset, limit=5),
            )  # fmt: skip
            assert [c.id for c in page.items] == expected[offset : offset + 5], (q, window)
            assert page.extra["total_capped"] == (len(expected) > offset + 5)
            if not page.extra["total_capped"]:
                assert page.total == len(expected)


def test_cli_import_and_show(demo_db, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from greenfin.cli import app
    from greenfin.settings import get_settings

    monkeypatch.setenv("GREENFIN_DATABASE_URL", demo_db.url)
    monkeypatch.setenv("GREENFIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GREENFIN_SECRET_KEY", "test")
    get_settings.cache_clear()
    with demo_db.session() as session:
        org = session.execute(
            select(Organisation.uscc).where(Organisation.kind == "enterprise").limit(1)
        ).scalar_one()
    good, bad = tmp_path / "p.csv", tmp_path / "bad.csv"
    row = {
        "name": "CLI导入屋顶光伏（测试）", "description": "建设1MW屋顶分布式光伏电站，自发自用",
        "industry_code": "4416", "district": "通州", "in_city_sub_centre": "是",
        "total_investment_10k_cny": "420", "annual_generation_mwh": "1100",
    }  # fmt: skip
    pl.DataFrame([row]).write_csv(good)
    broken = {"name": "x", "description": "短", "industry_code": "9999", "district": "通州",
              "total_investment_10k_cny": "0"}  # fmt: skip
    pl.DataFrame([broken]).write_csv(bad)
    runner = CliRunner()
    try:
        refused = runner.invoke(app, ["projects", "import", str(bad), "--enterprise", org])
        assert refused.exit_code == 1
        assert "row 1, field industry_code" in refused.output
        imported = runner.invoke(
            app, ["projects", "import", str(good), "--enterprise", org, "--submit"]
        )
        assert imported.exit_code == 0, imported.output
        project_id = int(re.search(r"│ 1\s+│ (\d+)", imported.output).group(1))
        shown = runner.invoke(app, ["projects", "show", str(project_id)])
        # 1,100 MWh × 0.6361 tCO2/MWh = 699.71 t
        assert shown.exit_code == 0 and "699.710 tCO2e/yr" in shown.output
        assert "set by the reviewer" not in shown.output  # the screening set this item
        assert runner.invoke(app, ["projects", "show", "999999"]).exit_code == 1
    finally:
        get_settings.cache_clear()


def test_library_search_pages_never_outlive_a_write(demo_db, tmp_path):
    """Search pages are cached by the ledger head: an approval (a ledgered write) makes the next
    identical search see the new project; a repeated search with no write in between is served
    from the cache (the same page object)."""
    query = project_library.LibraryQuery(q="物流园屋顶分布式光伏", limit=100)
    project_id = submitted_pv(demo_db, tmp_path)
    with demo_db.session() as session:
        bank, reviewer = who(session, "demo-bank"), who(session, "demo-reviewer")
        before = project_library.search_library(session, bank, query)
        assert project_library.search_library(session, bank, query) is before
        assert project_id not in {c.id for c in before.items}
        p = projects.claim(session, reviewer, project_id, 3)
        p = projects.approve(session, reviewer, project_id, p.version, grade="中绿")
        assert p.status == "approved"
        after = project_library.search_library(session, bank, query)
        assert project_id in {c.id for c in after.items}
        uncached = project_library.search_library_uncached(session, bank, query)
        assert [c.id for c in after.items] == [c.id for c in uncached.items]


def test_outsiders_do_not_see_the_enterprise_environmental_credit(demo_db):
    """The grading's environmental-credit row shows the enterprise's carbon-account grade: the
    owner and reviewers see it, a bank or another enterprise gets it withheld."""
    with demo_db.session() as session:
        bank, other = who(session, "demo-bank"), who(session, "demo-enterprise2")
        reviewer = who(session, "demo-reviewer")
        approved = session.execute(
            select(Project).where(Project.status == "approved", Project.grading_json.is_not(None),
                                  Project.organisation_id != other.organisation_id).limit(1)
        ).scalar_one()  # fmt: skip

        def credit_rows(principal):
            out = projects.get_project(session, principal, approved.id)
            return out.grading, [
                c for c in out.grading["criteria"] if c["criterion"] == "environmental_credit"
            ]

        stored = json.loads(approved.grading_json)
        (own,) = [c for c in stored["criteria"] if c["criterion"] == "environmental_credit"]
        grading, rows = credit_rows(reviewer)
        assert rows == [own] and grading["total_points"] == stored["total_points"]
        for outsider in (bank, other):
            grading, rows = credit_rows(outsider)
            assert rows == [] and grading["total_points"] is None
            assert grading["grade"] == stored["grade"] and len(grading["criteria"]) == 4


@pytest.mark.parametrize("word", ["null", "NULL", "光伏"])
def test_search_clause_matches_every_word_literally(demo_db, word):
    # on PostgreSQL an unquoted NULL inside an array literal is a null element, not the word
    from sqlalchemy import literal, select

    token = word.lower()
    with demo_db.session() as session:
        dialect = session.get_bind().dialect.name
        matches = project_library._text_clause(dialect, [token], literal(f"a {token} b"))
        misses = project_library._text_clause(dialect, [token], literal("a b"))
        assert session.execute(select(matches)).scalar_one() is True
        assert session.execute(select(misses)).scalar_one() is False


def test_approved_classifications_become_checked_examples(demo_db, monkeypatch, tmp_path):
    """An approved, non-synthetic project is exported (CLI) as a labelled example of the item
    reviewers approved; synthetic demo projects are not; enterprises may not export; the
    curator's merge script checks every row and names file, row and field."""
    from benchmarks.taxonomy_examples import FIELDS, included_rows
    from typer.testing import CliRunner

    from greenfin.cli import app
    from greenfin.settings import get_settings

    project_id = submitted_pv(demo_db, tmp_path)
    with demo_db.session() as session:
        reviewer = who(session, "demo-reviewer")
        p = projects.claim(session, reviewer, project_id, 3)
        p = projects.approve(session, reviewer, project_id, p.version, grade="中绿")
        item_code = session.get(Project, project_id).item_code
        with pytest.raises(Forbidden):
            project_library.approved_classifications(session, who(session, "demo-enterprise"))
        assert any(
            row["example_id"] == f"library:{project_id}"
            for row in project_library.approved_classifications(session, who(session, "demo-admin"))
        )
    monkeypatch.setenv("GREENFIN_DATABASE_URL", demo_db.url)
    monkeypatch.setenv("GREENFIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GREENFIN_SECRET_KEY", "test")
    get_settings.cache_clear()
    out = tmp_path / "confirmed.csv"
    try:
        done = CliRunner().invoke(app, ["taxonomy", "export-examples", "-o", str(out)])
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    rows = included_rows(out)
    exported = {int(r["example_id"].removeprefix("library:")): r for r in rows}
    with demo_db.session() as session:  # only approved, non-synthetic projects (other tests'
        states = session.execute(  # approvals may be there too); no synthetic demo project
            select(Project.id, Project.status, Project.is_synthetic).where(Project.id.in_(exported))
        ).all()
        assert count(session, Project, Project.is_synthetic, Project.status == "approved") > 0
    assert {(status, synthetic) for _, status, synthetic in states} == {("approved", False)}
    ours = exported[project_id]
    assert ours["codes"] == item_code and ours["edition"] == "green-finance-2025"
    assert ours["text"].startswith("通州物流园屋顶分布式光伏（测试）。在物流园区")
    broken = pl.read_csv(out, infer_schema=False).with_columns(pl.lit("9.9.9").alias("codes"))
    broken.select(FIELDS).write_csv(tmp_path / "broken.csv")
    with pytest.raises(ValueError, match=r"broken.csv, row 2, field codes"):
        included_rows(tmp_path / "broken.csv")


def test_the_assigned_reviewer_reclassifies_before_approval_and_the_export_says_so(
    demo_db, tmp_path
):
    """In review, the assigned reviewer replaces the screening's item: criteria, reduction and
    proposed grade are redone, the event keeps the reason and the ledger both items, only that
    reviewer may do it and only before an approval, choosing the screening's item again restores
    its record; a bank sees the item but not the reason; the exported example says the reviewer
    set it."""
    project_id = submitted_pv(demo_db, tmp_path)
    with demo_db.session() as session:
        reviewer, other = who(session, "demo-reviewer"), who(session, "demo-reviewer2")
        enterprise, admin = who(session, "demo-enterprise"), who(session, "demo-admin")
        p = projects.claim(session, reviewer, project_id, 3)
        assert "reclassify" in p.allowed_actions and p.item_source == "screening"
        machine_item, machine_grade = p.item_code, p.proposed_grade
        candidates = [c["code"] for c in p.screening["candidates"]]
        target = next(c for c in candidates if c != machine_item)
        for actor in (other, enterprise):
            with pytest.raises(Forbidden):
                projects.reclassify(session, actor, project_id, p.version, target, "理由")
        refused = [("6.1", "理由", "item_code"), (machine_item, "理由", "item_code"),
                   (target, " ", "comment")]  # fmt: skip
        for code, reason, field in refused:
            with pytest.raises(InvalidInput) as bad:
                projects.reclassify(session, reviewer, project_id, p.version, code, reason)
            assert bad.value.problems[0].field == field
        assert stored_item(session, project_id) == (machine_item, "screening")  # nothing written
        machine_record = p.screening
        p = projects.reclassify(session, reviewer, project_id, p.version, target, "改判一（测试）")
        assert (p.item_code, p.item_source) == (target, "reviewer")
        p = projects.reclassify(session, reviewer, project_id, p.version, machine_item, "改回")
        assert (p.item_code, p.item_source, p.screening) == (
            machine_item, "screening", machine_record,
        )  # fmt: skip
        p = projects.reclassify(session, reviewer, project_id, p.version, target,
                                "屋顶光伏随建筑一体化设计（测试）")  # fmt: skip
        assert (p.status, p.item_code, p.item_source) == ("in_review", target, "reviewer")
        assert p.category_code == target.split(".")[0]
        assert p.screening["screened_item"] == machine_item
        assert p.screening["candidates"][0]["code"] == target
        match = next(c for c in p.grading["criteria"] if c["criterion"] == "catalogue_match")
        assert match["band"] == "reviewer_set" and p.proposed_grade is not None
        event = p.events[-1]
        assert (event.action, event.comment) == ("reclassify", "屋顶光伏随建筑一体化设计（测试）")
        record = session.execute(
            select(AuditRecord).where(AuditRecord.action == "project.reclassify")
            .order_by(AuditRecord.seq.desc()).limit(1)
        ).scalar_one()  # fmt: skip
        payload = json.loads(record.payload_json)
        assert (payload["item"], payload["previous_item"]) == (target, machine_item)
        assert payload["proposed_grade"] == p.proposed_grade
        with pytest.raises(Conflict):  # stale version
            projects.reclassify(session, reviewer, project_id, p.version - 1, machine_item, "x")
        grade = "中绿" if machine_grade != "中绿" else "浅绿"
        p = projects.approve(session, reviewer, project_id, p.version, grade=grade)
        assert p.status == "approved" and "reclassify" not in p.allowed_actions
        assert p.certificate is not None
        assert project_certificates.verify(session, p.certificate.verification_code).item_code == (
            target
        )
        exported = {
            r["example_id"]: r for r in project_library.approved_classifications(session, admin)
        }
        ours = exported[f"library:{project_id}"]
        assert ours["codes"] == target and "set by the reviewer" in ours["source"]
        seen_by_bank = projects.get_project(session, who(session, "demo-bank"), project_id)
        assert seen_by_bank.item_code == target and not seen_by_bank.full_view
        assert "屋顶光伏随建筑一体化设计" not in seen_by_bank.model_dump_json()
        assert ledger.verify(session).ok


def stored_item(session, project_id: int) -> tuple:
    """What the database holds (a column query, not the session's cached object)."""
    row = session.execute(
        select(Project.item_code, Project.item_source).where(Project.id == project_id)
    ).one()
    return tuple(row)


def test_a_resubmission_screens_again_and_the_screening_sets_the_item(demo_db, tmp_path):
    project_id = submitted_pv(demo_db, tmp_path)
    with demo_db.session() as session:
        reviewer, enterprise = who(session, "demo-reviewer"), who(session, "demo-enterprise")
        p = projects.claim(session, reviewer, project_id, 3)
        machine_item = p.item_code
        target = next(c["code"] for c in p.screening["candidates"] if c["code"] != machine_item)
        p = projects.reclassify(session, reviewer, project_id, p.version, target, "理由（测试）")
        p = projects.return_for_revision(session, reviewer, project_id, p.version, "请补充材料")
        p = projects.submit(session, enterprise, project_id, p.version)
        assert (p.status, p.item_code, p.item_source) == ("screening", machine_item, "screening")
        assert "machine" not in p.screening and "screened_item" not in p.screening


def test_reclassify_is_refused_once_a_deep_green_approval_is_recorded(demo_db, tmp_path):
    project_id = submitted_pv(demo_db, tmp_path)
    with demo_db.session() as session:
        first, second = who(session, "demo-reviewer"), who(session, "demo-reviewer2")
        p = projects.claim(session, first, project_id, 3)
        p = projects.approve(session, first, project_id, p.version, grade="深绿")
        assert p.awaiting_second_approval and "reclassify" not in p.allowed_actions
        target = next(c["code"] for c in p.screening["candidates"] if c["code"] != p.item_code)
        for actor in (first, second):  # the item of a recorded approval is fixed: return instead
            with pytest.raises(Conflict, match="return the project"):
                projects.reclassify(session, actor, project_id, p.version, target, "x")
        assert stored_item(session, project_id) == (p.item_code, "screening")
