"""Loading the synthetic (示例) library projects: screened in one batch, graded, stored in bulk.

Called once from ``services.demo.load_demo``. The projects of ``greenfin.demo.projects`` are
screened together with ``taxonomy.batch.screen_frame`` (not one by one), assessed with the same
functions as a real submission (``library.assessment``), and inserted with bulk INSERTs; each
project gets the events of the path it took (create → submit → screen → claim → approve …), the
approved ones a certificate. The ledger gets one record for the whole load (its payload counts the
projects per state and carries the SHA-256 of the generated data), not one per synthetic event.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from greenfin import ledger
from greenfin.demo.generate import DemoPopulation
from greenfin.demo.projects import DemoProject, generate_projects
from greenfin.identity.principal import SystemActor
from greenfin.library import assessment, evidence
from greenfin.library.workflow import Grade, Status
from greenfin.services.projects import (
    FEN_PER_10K_CNY,
    assessment_values,
    known_parameters,
    new_verification_code,
    project_search_text,
    screen_batch,
)
from greenfin.store.models import (
    CarbonAccountRecord,
    Organisation,
    Project,
    ProjectCertificate,
    ProjectDocument,
    ProjectEvent,
    User,
)

DEMO_ACTOR = SystemActor(username="demo-loader")
REVIEWERS = ("demo-reviewer", "demo-reviewer2")
SEED = 20261128


def _document_rows(project_id: int, kinds: tuple[str, ...], at: datetime) -> list[dict[str, Any]]:
    labels = evidence.document_kinds()
    rows = []
    for kind in kinds:
        filename = f"{labels[kind].label_zh}（示例）.pdf"
        rows.append({
            "project_id": project_id, "kind": kind, "filename": filename,
            "media_type": "application/pdf", "size_bytes": 0,
            "sha256": hashlib.sha256(f"demo:{project_id}:{kind}".encode()).hexdigest(),
            "storage_path": "", "uploaded_by_user_id": None, "created_at": at,
        })  # fmt: skip
    return rows


class _Path:
    """The events and columns of one project's review path."""

    def __init__(self, start: datetime) -> None:
        self.at = start
        self.events: list[dict[str, Any]] = []
        self.status = Status.DRAFT.value

    def step(self, action: str, to: str, actor: int | None, days: float,
             comment: str | None = None, requested: str | None = None) -> datetime:  # fmt: skip
        self.at += timedelta(days=days)
        self.events.append({
            "action": action, "from_status": None if action == "create" else self.status,
            "to_status": to, "actor_user_id": actor, "comment": comment,
            "requested_evidence": requested, "created_at": self.at,
        })  # fmt: skip
        self.status = to
        return self.at


def load_demo_projects(
    session: Session,
    population: DemoPopulation,
    organisation_ids: dict[str, int],
    seed: int = SEED,
) -> int:
    """Insert the demo projects once (a second call finds them and adds nothing)."""
    present = session.execute(
        select(func.count()).select_from(Project).where(Project.is_synthetic)
    ).scalar_one()
    if present:
        return 0
    demo = generate_projects(population, seed)
    rng = random.Random(seed)
    users = dict(
        session.execute(select(User.username, User.id).where(User.username.in_(REVIEWERS))).all()
    )
    reviewer_ids = [users[u] for u in REVIEWERS if u in users]
    org_names = _org_names(session, organisation_ids)
    credit = _credit_grades(session)
    unknown = {k for p in demo for k in p.technical_parameters} - known_parameters()
    if unknown:
        raise ValueError(f"demo technical parameters not known: {sorted(unknown)}")
    to_screen = [
        {"id": i, "name": p.name, "description": p.description,
         "industry_code": p.industry_code, "technical_parameters": p.technical_parameters}
        for i, p in enumerate(demo) if p.target_status != Status.DRAFT.value
        and p.target_status != Status.SUBMITTED.value
    ]  # fmt: skip
    screenings = dict(zip((r["id"] for r in to_screen), screen_batch(to_screen), strict=True))
    rows, paths, kinds_of, final = [], [], [], []
    for i, p in enumerate(demo):
        row, path, status = _project_row(p, i, screenings.get(i), organisation_ids, org_names,
                                         credit, reviewer_ids, rng)  # fmt: skip
        rows.append(row)
        paths.append(path)
        kinds_of.append((p.documents, p.created_at))
        final.append(status)
    ids = (
        session.execute(insert(Project).returning(Project.id, sort_by_parameter_order=True), rows)
        .scalars()
        .all()
    )
    events, documents, certificates = [], [], []
    for project_id, row, path, (kinds, created) in zip(ids, rows, paths, kinds_of, strict=True):
        events += [{"project_id": project_id, **e} for e in path.events]
        documents += _document_rows(project_id, kinds, created)
        if row["status"] == Status.APPROVED.value:
            certificates.append({
                "project_id": project_id, "verification_code": new_verification_code(),
                "grade": row["grade"], "item_code": row["item_code"],
                "edition": assessment.EDITION, "issued_at": row["decided_at"],
            })  # fmt: skip
    session.execute(insert(ProjectEvent), events)
    if documents:
        session.execute(insert(ProjectDocument), documents)
    if certificates:
        session.execute(insert(ProjectCertificate), certificates)
    digest = hashlib.sha256(
        json.dumps(rows, ensure_ascii=False, default=str, sort_keys=True).encode()
    ).hexdigest()
    ledger.append(
        session, DEMO_ACTOR, "project.demo_loaded", "project", "demo",
        {"projects": len(ids), "by_status": dict(Counter(final)), "events": len(events),
         "certificates": len(certificates), "sha256": digest, "synthetic": True},
    )  # fmt: skip
    return len(ids)


def _org_names(session: Session, organisation_ids: dict[str, int]) -> dict[str, str]:
    names = dict(session.execute(select(Organisation.id, Organisation.name_zh)).all())
    return {key: names.get(oid, "") for key, oid in organisation_ids.items()}


def _credit_grades(session: Session) -> dict[int, tuple[str, str]]:
    rows = session.execute(
        select(CarbonAccountRecord.organisation_id, CarbonAccountRecord.year,
               CarbonAccountRecord.grade)
        .where(CarbonAccountRecord.grade.is_not(None))
        .order_by(CarbonAccountRecord.year)
    ).all()  # fmt: skip
    return {r.organisation_id: (r.grade, f"企业碳账户 {r.year} 年等级 {r.grade}") for r in rows}


def _project_row(
    p: DemoProject,
    index: int,
    screening: dict[str, Any] | None,
    organisation_ids: dict[str, int],
    org_names: dict[str, str],
    credit: dict[int, tuple[str, str]],
    reviewer_ids: list[int],
    rng: random.Random,
) -> tuple[dict[str, Any], _Path, str]:
    org_id = organisation_ids[p.enterprise_key]
    shadow = Project(
        organisation_id=org_id, name=p.name, description=p.description,
        industry_code=p.industry_code, district_code=p.district,
        in_city_sub_centre=p.in_city_sub_centre, location=p.location,
        total_investment_fen=round(p.total_investment_10k_cny * FEN_PER_10K_CNY),
        financing_amount_fen=None if p.financing_amount_10k_cny is None
        else round(p.financing_amount_10k_cny * FEN_PER_10K_CNY),
        technical_parameters_json=json.dumps(p.technical_parameters, ensure_ascii=False),
        expected_outputs_json=json.dumps(p.expected_outputs, ensure_ascii=False),
    )  # fmt: skip
    row: dict[str, Any] = {
        "organisation_id": org_id, "name": p.name, "description": p.description,
        "industry_code": p.industry_code, "district_code": p.district,
        "in_city_sub_centre": p.in_city_sub_centre, "location": p.location,
        "total_investment_fen": shadow.total_investment_fen,
        "financing_amount_fen": shadow.financing_amount_fen,
        "financing_term_months": p.financing_term_months, "financing_type": p.financing_type,
        "technical_parameters_json": shadow.technical_parameters_json,
        "expected_outputs_json": shadow.expected_outputs_json,
        "edition": assessment.EDITION, "is_synthetic": True, "created_by_user_id": None,
        "created_at": p.created_at, "submitted_at": None, "decided_at": None,
        "assigned_reviewer_id": None, "first_approver_id": None, "second_approver_id": None,
        "grade": None, "verdict": None, "item_code": None, "item_source": None,
        "category_code": None,
        "screening_json": None, "reduction_tco2e_per_year": None, "reduction_json": None,
        "proposed_grade": None, "grading_json": None,
        "search_text": project_search_text(shadow, org_names[p.enterprise_key]),
    }  # fmt: skip
    path = _Path(p.created_at)
    path.step("create", Status.DRAFT.value, None, 0)
    target = p.target_status
    if target != Status.DRAFT.value:
        row["submitted_at"] = path.step("submit", Status.SUBMITTED.value, None,
                                        rng.uniform(1, 10))  # fmt: skip
    if screening is not None:
        grade, note = credit.get(org_id, (None, ""))
        result = assessment.assess(
            screening, expected_outputs=p.expected_outputs,
            technical_parameters=p.technical_parameters, year=row["submitted_at"].year,
            total_investment_10k_cny=p.total_investment_10k_cny,
            document_kinds=frozenset(p.documents), credit_grade=grade, credit_note=note,
        )  # fmt: skip
        row.update(assessment_values(shadow, result, org_names[p.enterprise_key]))
        path.step("screen", Status.SCREENING.value, None, 0.01)
    proposed = row["proposed_grade"]
    if target == Status.APPROVED.value and proposed == Grade.NOT_GREEN.value:
        target = Status.REJECTED.value  # a reviewer does not approve a 非绿 project
    reviewer = rng.choice(reviewer_ids) if reviewer_ids else None
    second = next((r for r in reviewer_ids if r != reviewer), None)
    if target in (Status.IN_REVIEW.value, Status.APPROVED.value, Status.RETURNED.value,
                  Status.REJECTED.value):  # fmt: skip
        row["assigned_reviewer_id"] = reviewer
        path.step("claim", Status.IN_REVIEW.value, reviewer, rng.uniform(0.5, 5))
    deep = proposed == Grade.DEEP.value
    if target == Status.IN_REVIEW.value and deep and rng.random() < 0.5:
        row["first_approver_id"] = reviewer
        path.step("approve.first", Status.IN_REVIEW.value, reviewer, rng.uniform(1, 7),
                  "材料齐全，建议评为深绿（示例）")  # fmt: skip
    elif target == Status.APPROVED.value:
        row["first_approver_id"] = reviewer
        if deep:
            path.step("approve.first", Status.IN_REVIEW.value, reviewer, rng.uniform(1, 7),
                      "材料齐全，建议评为深绿（示例）")  # fmt: skip
            row["second_approver_id"] = second
            row["decided_at"] = path.step("approve.second", Status.APPROVED.value, second,
                                          rng.uniform(1, 5), "复核同意（示例）")  # fmt: skip
        else:
            row["decided_at"] = path.step("approve", Status.APPROVED.value, reviewer,
                                          rng.uniform(1, 10), "同意入库（示例）")  # fmt: skip
        row["grade"] = proposed
    elif target == Status.RETURNED.value:
        missing = sorted(evidence.required_kinds() - set(p.documents))
        labels = evidence.document_kinds()
        requested = "、".join(labels[k].label_zh for k in missing) or "补充技术参数证明材料"
        row["decided_at"] = path.step("return", Status.RETURNED.value, reviewer,
                                      rng.uniform(1, 10), "请补充材料后重新提交（示例）",
                                      requested)  # fmt: skip
    elif target == Status.REJECTED.value:
        reason = (
            f"评级为非绿：{(json.loads(row['screening_json'] or '{}')).get('reason', '')}（示例）"
            if proposed == Grade.NOT_GREEN.value else "项目材料与目录条件不符（示例）"
        )  # fmt: skip
        row["decided_at"] = path.step("reject", Status.REJECTED.value, reviewer,
                                      rng.uniform(1, 10), reason)  # fmt: skip
    row["status"] = path.status
    row["version"] = len(path.events)
    row["updated_at"] = path.at
    return row, path, path.status
