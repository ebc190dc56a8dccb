"""Green project library (绿色项目库, issue #6 part A): submission, evidence, automatic screening,
reduction estimate, grade proposal and the review workflow.

Every state change is ``UPDATE projects … WHERE id = :id AND version = :seen`` (optimistic lock:
a stale version is a :class:`Conflict`, 409), one ``ProjectEvent`` and one ledger record, all in
the caller's transaction. Who sees what:

- enterprise: its own projects in any state, and the approved library;
- bank: the approved library only;
- reviewer: every project past draft;
- regulator, admin: everything;
- anything else answers 404 (existence is not revealed).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated, Any

import polars as pl
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from greenfin import ledger, reference
from greenfin.identity.principal import Actor, Principal, SystemActor
from greenfin.identity.roles import OrgKind, Role
from greenfin.library import assessment, evidence, search
from greenfin.library import reduction as reduction_inputs
from greenfin.library.workflow import (
    EDITABLE,
    STATUS_LABELS,
    Action,
    ActorRef,
    ProjectState,
    Status,
    Step,
    WorkflowError,
    allowed_actions,
    plan,
)
from greenfin.reference.taxonomy import cached_rows
from greenfin.services.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound, Page
from greenfin.services.types import UtcDatetime
from greenfin.store.models import (
    CarbonAccountRecord,
    Membership,
    Organisation,
    Project,
    ProjectCertificate,
    ProjectDocument,
    ProjectEvent,
    User,
)
from greenfin.taxonomy import batch
from greenfin.taxonomy.catalogue import load_catalogue
from greenfin.taxonomy.screening import InputError, ScreeningInput, screener

FEN_PER_10K_CNY = 1_000_000  # 1 万元 = 10,000 CNY = 1,000,000 fen
SCREENING_ACTOR = SystemActor(username="greenfin-screening")
DOCUMENT_DIR = "documents"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud without doubt
CODE_GROUPS, CODE_GROUP_LENGTH = 5, 4
FULL_VIEW_ROLES = frozenset({Role.REVIEWER, Role.REGULATOR, Role.ADMIN})


# --- reference lists ---------------------------------------------------------------------------


def financing_types() -> dict[str, tuple[str, str]]:
    """Financing type code → (Chinese, English) label (``financing_types.csv``)."""
    return {
        r["code"]: (r["label_zh"], r["label_en"])
        for r in reference.data_rows("library", "financing_types.csv")
    }


def screening_parameters() -> dict[str, dict[str, str]]:
    """Technical parameters the screening criteria read (``technical_parameters.csv``)."""
    return {r["parameter"]: r for r in cached_rows("technical_parameters.csv")}


def known_parameters() -> set[str]:
    return set(screening_parameters()) | set(reduction_inputs.parameter_keys())


# --- input -------------------------------------------------------------------------------------

Money10k = Annotated[Decimal, Field(gt=0, le=Decimal("1e9"), decimal_places=6)]


class ProjectIn(BaseModel):
    """A project as the enterprise enters it. Money in 万元 (10,000 CNY); ``district`` is a
    GB/T 2260 code or a district name; ``technical_parameters`` keys are the screening
    parameters (``technical_parameters.csv``) or reduction parameters; ``expected_outputs``
    keys are the output fields of ``reduction_inputs.csv`` (numbers ≥ 0, e.g. MWh/yr)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: Annotated[str, Field(min_length=2, max_length=200, examples=["通州物流园屋顶光伏"])]
    description: Annotated[str, Field(min_length=10, max_length=5000)]
    industry_code: Annotated[str, Field(min_length=2, max_length=4, examples=["4416"])]
    district: Annotated[str, Field(min_length=2, max_length=40, examples=["110112"])]
    in_city_sub_centre: bool = False
    location: Annotated[str | None, Field(max_length=200)] = None
    total_investment_10k_cny: Money10k
    financing_amount_10k_cny: Money10k | None = None
    financing_term_months: Annotated[int | None, Field(ge=1, le=600)] = None
    financing_type: Annotated[str | None, Field(max_length=40)] = None
    technical_parameters: Annotated[dict[str, str | float | int], Field(max_length=60)] = Field(
        default_factory=dict
    )
    expected_outputs: Annotated[
        dict[str, Annotated[float, Field(ge=0, le=1e12)]], Field(max_length=30)
    ] = Field(default_factory=dict)

    @field_validator("industry_code")
    @classmethod
    def _known_industry(cls, value: str) -> str:
        code = reference.industry_codes().get(value)
        if code is None or code.level < 2:
            raise ValueError(
                f"{value!r} is not a GB/T 4754-2017 大类/中类/小类 code / 行业代码不存在"
            )
        return value

    @field_validator("district")
    @classmethod
    def _known_district(cls, value: str) -> str:
        district = reference.find_district(value)
        if district is None:
            raise ValueError(f"unknown Beijing district {value!r} / 未知的北京市辖区")
        return district.code

    @field_validator("in_city_sub_centre")
    @classmethod
    def _sub_centre_only_in_tongzhou(cls, value: bool, info: ValidationInfo) -> bool:
        district = reference.find_district(info.data.get("district") or "")
        if value and not (district and district.has_city_sub_centre):
            raise ValueError("the city sub-centre (城市副中心) lies in 通州区 only")
        return value

    @field_validator("financing_type")
    @classmethod
    def _known_financing_type(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if value not in financing_types():
            raise ValueError(
                f"unknown financing type {value!r}; known: {', '.join(financing_types())}"
            )
        return value

    @field_validator("technical_parameters")
    @classmethod
    def _known_parameters(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - known_parameters())
        if unknown:
            raise ValueError(
                f"unknown technical parameter(s) {', '.join(unknown)} / 未知的技术参数"
            )
        return {k: v for k, v in value.items() if v not in (None, "")}

    @field_validator("expected_outputs")
    @classmethod
    def _known_outputs(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(reduction_inputs.output_keys()))
        if unknown:
            raise ValueError(f"unknown expected output(s) {', '.join(unknown)} / 未知的产出指标")
        return value

    @field_validator("financing_amount_10k_cny")
    @classmethod
    def _financing_within_investment(
        cls, value: Decimal | None, info: ValidationInfo
    ) -> Decimal | None:
        total = info.data.get("total_investment_10k_cny")
        if value is not None and total is not None and value > total:
            raise ValueError(
                "the financing need exceeds the total investment / 融资需求不能超过总投资"
            )
        return value


def _fen(amount: Decimal | None) -> int | None:
    if amount is None:
        return None
    return int((amount * FEN_PER_10K_CNY).to_integral_value(rounding=ROUND_HALF_UP))


def wan(fen: int | None) -> float | None:
    """Fen → 万元."""
    return None if fen is None else fen / FEN_PER_10K_CNY


@dataclass(frozen=True)
class DocumentUpload:
    kind: str
    filename: str
    data: bytes


# --- output ------------------------------------------------------------------------------------


class DocumentOut(BaseModel):
    id: int
    kind: str
    kind_label_zh: str
    filename: str = Field(
        description="the uploaded file name; empty outside the full view (a file name can say "
        "more than its owner meant to share: the library shows kind, size and hash only)"
    )
    media_type: str
    size_bytes: int
    sha256: str
    downloadable: bool
    created_at: UtcDatetime


class EventOut(BaseModel):
    id: int
    action: str
    from_status: str | None
    to_status: str | None
    actor: str
    comment: str | None
    requested_evidence: str | None
    created_at: UtcDatetime


class CertificateOut(BaseModel):
    verification_code: str
    grade: str
    item_code: str | None
    issued_at: UtcDatetime
    revoked_at: UtcDatetime | None


class ProjectOut(BaseModel):
    id: int
    organisation_id: int
    organisation_name: str
    name: str
    description: str
    industry_code: str
    industry_name_zh: str
    district_code: str
    district_name_zh: str
    district_name_en: str
    in_city_sub_centre: bool
    location: str | None
    total_investment_10k_cny: float
    financing_amount_10k_cny: float | None
    financing_term_months: int | None
    financing_type: str | None
    technical_parameters: dict[str, Any]
    expected_outputs: dict[str, Any]
    status: str
    status_label_zh: str
    status_label_en: str
    version: int
    edition: str
    item_code: str | None
    item_name_zh: str | None
    item_source: str | None  # "screening" or "reviewer" (reclassified)
    category_code: str | None
    category_name_zh: str | None
    verdict: str | None
    screening: dict[str, Any] | None
    reduction_tco2e_per_year: float | None
    reduction: dict[str, Any] | None
    proposed_grade: str | None
    grade: str | None
    grading: dict[str, Any] | None
    assigned_reviewer_id: int | None
    assigned_reviewer_name: str | None
    first_approver_id: int | None
    second_approver_id: int | None
    awaiting_second_approval: bool
    documents: list[DocumentOut]
    events: list[EventOut]
    certificate: CertificateOut | None
    allowed_actions: list[str]
    full_view: bool  # False: the library view of a bank or another enterprise
    is_synthetic: bool
    created_at: UtcDatetime
    submitted_at: UtcDatetime | None
    decided_at: UtcDatetime | None
    updated_at: UtcDatetime


# --- access ------------------------------------------------------------------------------------


def actor_ref(actor: Actor) -> ActorRef:
    if isinstance(actor, Principal):
        return ActorRef(actor.user_id, actor.role, actor.organisation_id)
    return ActorRef(None, None, None)


def visible_clause(actor: Actor) -> ColumnElement[bool]:
    """Which projects ``actor`` may see at all (see the module docstring)."""
    if not isinstance(actor, Principal):
        return true()
    if actor.role is Role.ENTERPRISE:
        return or_(
            Project.organisation_id == actor.organisation_id,
            Project.status == Status.APPROVED.value,
        )
    if actor.role is Role.BANK:
        return Project.status == Status.APPROVED.value
    if actor.role is Role.REVIEWER:
        return Project.status != Status.DRAFT.value
    if actor.role in (Role.REGULATOR, Role.ADMIN):
        return true()
    return false()


def full_view(actor: Actor, project: Project) -> bool:
    """Owner, reviewers, regulators, admins and the operator see documents and review events."""
    if not isinstance(actor, Principal):
        return True
    if actor.role in FULL_VIEW_ROLES:
        return True
    return actor.role is Role.ENTERPRISE and actor.organisation_id == project.organisation_id


def load(session: Session, actor: Actor, project_id: int) -> Project:
    project = session.execute(
        select(Project).where(Project.id == project_id, visible_clause(actor))
    ).scalar_one_or_none()
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project


def _state(project: Project) -> ProjectState:
    return ProjectState(
        Status(project.status), project.organisation_id, project.assigned_reviewer_id,
        project.first_approver_id,
    )  # fmt: skip


def _workflow_error(exc: WorkflowError) -> Exception:
    problems = [FieldProblem(exc.field, exc.message)]
    if exc.kind == "conflict":
        return Conflict(exc.message, problems)
    if exc.kind == "forbidden":
        return Forbidden(exc.message, problems)
    return InvalidInput(f"{exc.field}: {exc.message}", problems)


# --- helpers -----------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _item_name(item_code: str | None) -> str | None:
    if not item_code:
        return None
    item = load_catalogue(assessment.EDITION).items.get(item_code)
    return item.name_zh if item else None


def project_search_text(project: Project, organisation_name: str) -> str:
    district = reference.find_district(project.district_code)
    industry = reference.industry_codes().get(project.industry_code)
    return search.search_text(
        project.name, project.description, project.location, organisation_name,
        district.name_zh if district else None,
        "城市副中心" if project.in_city_sub_centre else None,
        industry.name_zh if industry else None,
        _item_name(project.item_code), _item_name(project.category_code), project.item_code,
    )  # fmt: skip


def _record(
    session: Session,
    actor: Actor,
    project: Project,
    action: str,
    from_status: str | None,
    to_status: str | None,
    comment: str | None = None,
    requested_evidence: str | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """The project event and the ledger record of one step (same transaction)."""
    session.add(
        ProjectEvent(
            project_id=project.id, actor_user_id=actor.user_id, action=action,
            from_status=from_status, to_status=to_status, comment=comment,
            requested_evidence=requested_evidence,
        )
    )  # fmt: skip
    session.flush()
    ledger.append(
        session, actor, f"project.{action}", "project", project.id,
        {"from": from_status, "to": to_status, "comment": comment,
         "requested_evidence": requested_evidence, **(payload or {})},
    )  # fmt: skip


def _apply(
    session: Session,
    actor: Actor,
    project: Project,
    seen_version: int,
    step: Step,
    values: dict[str, Any] | None = None,
    comment: str | None = None,
    requested_evidence: str | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Write a step with the optimistic lock, then its event and ledger record."""
    changes = {
        "status": step.to_status.value, "updated_at": _now(), **step.changes, **(values or {}),
    }  # fmt: skip
    result = session.execute(
        update(Project)
        .where(Project.id == project.id, Project.version == seen_version)
        .values(version=Project.version + 1, **changes)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _stale(project.id, seen_version)
    session.expire(project)
    _record(
        session, actor, project, step.event, step.from_status.value, step.to_status.value,
        comment, requested_evidence, {"version": seen_version + 1, **(payload or {})},
    )  # fmt: skip


def _stale(project_id: int, seen: int) -> Conflict:
    return Conflict.on(
        "version",
        f"project {project_id} was changed by someone else since version {seen}; reload and try "
        "again / 项目已被他人修改，请刷新后重试",
    )


def _check_version(project: Project, seen: int) -> None:
    if project.version != seen:
        raise _stale(project.id, seen)


def _plan(action: Action, project: Project, actor: Actor, **kwargs: Any) -> Step:
    try:
        return plan(action, _state(project), actor_ref(actor), **kwargs)
    except WorkflowError as exc:
        raise _workflow_error(exc) from None


# --- documents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CheckedDocument:
    upload: DocumentUpload
    media_type: str
    filename: str
    sha256: str


def check_documents(
    uploads: list[DocumentUpload], prefix: str = "documents"
) -> list[_CheckedDocument]:
    """Check every upload before anything is written; all problems at once."""
    checked, problems = [], []
    for i, upload in enumerate(uploads):
        where = f"{prefix}[{i}]." if prefix else ""
        try:
            doc_type, name = evidence.check_document(
                upload.filename, upload.data, upload.kind, where
            )
        except evidence.EvidenceError as exc:
            problems.append(FieldProblem(exc.field, exc.message))
            continue
        digest = hashlib.sha256(upload.data).hexdigest()
        checked.append(_CheckedDocument(upload, doc_type.media_type, name, digest))
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.message}" for p in problems), problems)
    return checked


def _store_file(data_dir: Path, document: _CheckedDocument) -> str:
    """Write under ``documents/<sha[:2]>/<sha>`` (content-addressed, no user-chosen path)."""
    relative = Path(DOCUMENT_DIR) / document.sha256[:2] / document.sha256
    target = data_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{secrets.token_hex(4)}.tmp")
        temporary.write_bytes(document.upload.data)
        temporary.replace(target)
    return str(relative)


def _add_documents(
    session: Session, actor: Actor, project: Project, documents: list[_CheckedDocument],
    data_dir: Path,
) -> list[ProjectDocument]:  # fmt: skip
    rows = []
    for document in documents:
        row = ProjectDocument(
            project_id=project.id, kind=document.upload.kind, filename=document.filename,
            media_type=document.media_type, size_bytes=len(document.upload.data),
            sha256=document.sha256, storage_path=_store_file(data_dir, document),
            uploaded_by_user_id=actor.user_id,
        )  # fmt: skip
        session.add(row)
        rows.append(row)
    session.flush()
    for row in rows:
        ledger.append(
            session, actor, "project.document_added", "project", project.id,
            {"document": row.id, "kind": row.kind, "file": row.filename, "sha256": row.sha256,
             "bytes": row.size_bytes},
        )  # fmt: skip
    return rows


def upload_documents(
    session: Session,
    actor: Actor,
    project_id: int,
    uploads: list[DocumentUpload],
    data_dir: Path,
) -> list[DocumentOut]:
    """Add evidence to a draft or returned project (its owner); nothing is kept if one fails.

    The project row is locked (FOR UPDATE on PostgreSQL) and its state re-read, so an upload
    racing a submission either lands before the screening reads the documents or is refused
    once the project has left draft/returned."""
    project = load(session, actor, project_id)
    locked = session.get(Project, project.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    _plan(Action.EDIT, locked, actor)
    if not uploads:
        raise InvalidInput.on("file", "no file was uploaded / 未选择文件")
    checked = check_documents(uploads, prefix="documents" if len(uploads) > 1 else "")
    rows = _add_documents(session, actor, project, checked, data_dir)
    return [_document_out(r, True) for r in rows]


def document_file(
    session: Session, actor: Actor, project_id: int, document_id: int, data_dir: Path
) -> tuple[bytes, str, str]:
    """(bytes, file name, media type) of an evidence document, for a download only."""
    project = load(session, actor, project_id)
    if not full_view(actor, project):
        raise NotFound(f"document {document_id} not found")
    document = session.get(ProjectDocument, document_id)
    if document is None or document.project_id != project.id:
        raise NotFound(f"document {document_id} not found")
    if not document.storage_path:
        raise NotFound(f"document {document_id} is a 示例 record without a file")
    path = (data_dir / document.storage_path).resolve()
    if not path.is_relative_to(data_dir.resolve()) or not path.is_file():
        raise NotFound(f"the file of document {document_id} is missing")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise Conflict.on("document", "the stored file does not match its recorded hash")
    return data, document.filename, document.media_type


# --- create / edit -----------------------------------------------------------------------------


def _owner_organisation(
    session: Session, actor: Actor, organisation_id: int | None
) -> Organisation:
    if isinstance(actor, Principal):
        if actor.role is not Role.ENTERPRISE:
            raise Forbidden("only enterprises submit projects")
        if organisation_id not in (None, actor.organisation_id):
            raise NotFound(f"enterprise {organisation_id} not found")
        organisation_id = actor.organisation_id
    if organisation_id is None:
        raise InvalidInput.on("enterprise", "name the enterprise the project belongs to")
    org = session.get(Organisation, organisation_id)
    if org is None or org.kind != OrgKind.ENTERPRISE.value:
        raise NotFound(f"enterprise {organisation_id} not found")
    return org


def _set_fields(project: Project, data: ProjectIn) -> None:
    project.name = data.name
    project.description = data.description
    project.industry_code = data.industry_code
    project.district_code = data.district
    project.in_city_sub_centre = data.in_city_sub_centre
    project.location = data.location or None
    project.total_investment_fen = _fen(data.total_investment_10k_cny) or 0
    project.financing_amount_fen = _fen(data.financing_amount_10k_cny)
    project.financing_term_months = data.financing_term_months
    project.financing_type = data.financing_type
    project.technical_parameters_json = json.dumps(data.technical_parameters, ensure_ascii=False)
    project.expected_outputs_json = json.dumps(data.expected_outputs, ensure_ascii=False)


def create_project(
    session: Session,
    actor: Actor,
    data: ProjectIn,
    *,
    organisation_id: int | None = None,
    documents: list[DocumentUpload] | None = None,
    data_dir: Path | None = None,
) -> ProjectOut:
    """A new draft of the actor's enterprise (the operator names one), with its evidence.

    The documents are checked before anything is written: one bad file → no project."""
    org = _owner_organisation(session, actor, organisation_id)
    checked = check_documents(documents or [])
    if checked and data_dir is None:
        raise InvalidInput.on("documents", "no storage configured for documents")
    project = Project(
        organisation_id=org.id, status=Status.DRAFT.value, version=1,
        edition=assessment.EDITION, is_synthetic=False, created_by_user_id=actor.user_id,
    )  # fmt: skip
    _set_fields(project, data)
    project.search_text = project_search_text(project, org.name_zh)
    session.add(project)
    session.flush()
    _record(session, actor, project, "create", None, Status.DRAFT.value,
            payload={"name": project.name, "organisation": org.id})  # fmt: skip
    if checked:
        assert data_dir is not None
        _add_documents(session, actor, project, checked, data_dir)
    return project_out(session, actor, project)


def update_project(
    session: Session, actor: Actor, project_id: int, data: ProjectIn, version: int
) -> ProjectOut:
    """Edit a draft or returned project (its owner) at the version the editor saw."""
    project = load(session, actor, project_id)
    step = _plan(Action.EDIT, project, actor)
    _check_version(project, version)
    org = session.get(Organisation, project.organisation_id)
    draft = Project(
        organisation_id=project.organisation_id, item_code=project.item_code,
        category_code=project.category_code,
    )  # fmt: skip
    _set_fields(draft, data)
    values = {
        column: getattr(draft, column)
        for column in (
            "name", "description", "industry_code", "district_code", "in_city_sub_centre",
            "location", "total_investment_fen", "financing_amount_fen", "financing_term_months",
            "financing_type", "technical_parameters_json", "expected_outputs_json",
        )
    }  # fmt: skip
    values["search_text"] = project_search_text(draft, org.name_zh if org else "")
    _apply(session, actor, project, version, step, values, payload={"fields": sorted(values)})
    return project_out(session, actor, project)


# --- submission and screening ------------------------------------------------------------------


CREDIT_CRITERION = "environmental_credit"


def _grading_for(grading_json: str | None, full: bool) -> dict[str, Any] | None:
    """The grading as stored; outside the full view (banks, other enterprises) the
    environmental-credit row is withheld together with the totals (its points, or the total
    minus the other rows, would give it away): it shows the enterprise's carbon-account grade,
    which only the enterprise, reviewers and regulators may see (services/carbon_accounts)."""
    if not grading_json:
        return None
    grading = json.loads(grading_json)
    if not full:
        grading["criteria"] = [
            row for row in grading.get("criteria", []) if row.get("criterion") != CREDIT_CRITERION
        ]
        grading.update(total_points=None, max_points=None, withheld=[CREDIT_CRITERION])
    return grading


def credit_record(session: Session, organisation_id: int) -> tuple[str | None, str]:
    """The enterprise's environmental-credit input: its latest graded carbon account."""
    record = session.execute(
        select(CarbonAccountRecord.year, CarbonAccountRecord.grade)
        .where(
            CarbonAccountRecord.organisation_id == organisation_id,
            CarbonAccountRecord.grade.is_not(None),
        )
        .order_by(CarbonAccountRecord.year.desc())
        .limit(1)
    ).first()
    if record is None:
        return None, "无企业碳账户分级记录，计中性分 / no graded carbon account: neutral"
    return record.grade, f"企业碳账户 {record.year} 年等级 {record.grade}"


def _document_kinds(session: Session, project_id: int) -> frozenset[str]:
    return frozenset(
        session.execute(
            select(ProjectDocument.kind).where(ProjectDocument.project_id == project_id)
        ).scalars()
    )


def assessment_values(
    project: Project, result: assessment.Assessment, organisation_name: str
) -> dict[str, Any]:
    """The columns an assessment sets (also used by the batch loaders)."""
    values = {
        "verdict": result.verdict,
        "item_code": result.item_code,
        "item_source": (result.screening.get("item_source") or assessment.SCREENING)
        if result.item_code
        else None,
        "category_code": result.category_code,
        "screening_json": json.dumps(result.screening, ensure_ascii=False),
        "reduction_tco2e_per_year": result.reduction.annual_reduction_tco2e,
        "reduction_json": json.dumps(result.reduction.as_dict(), ensure_ascii=False, default=str),
        "proposed_grade": result.grading.grade,
        "grading_json": json.dumps(result.grading.as_dict(), ensure_ascii=False),
    }
    shadow = Project(
        name=project.name, description=project.description, location=project.location,
        district_code=project.district_code, in_city_sub_centre=project.in_city_sub_centre,
        industry_code=project.industry_code, item_code=result.item_code,
        category_code=result.category_code,
    )  # fmt: skip
    values["search_text"] = project_search_text(shadow, organisation_name)
    return values


def assess_project(
    session: Session, project: Project, screening: dict[str, Any], year: int
) -> dict[str, Any]:
    params = json.loads(project.technical_parameters_json or "{}")
    outputs = json.loads(project.expected_outputs_json or "{}")
    grade, note = credit_record(session, project.organisation_id)
    result = assessment.assess(
        screening, expected_outputs=outputs, technical_parameters=params, year=year,
        total_investment_10k_cny=project.total_investment_fen / FEN_PER_10K_CNY,
        document_kinds=_document_kinds(session, project.id), credit_grade=grade,
        credit_note=note,
    )  # fmt: skip
    org = session.get(Organisation, project.organisation_id)
    return assessment_values(project, result, org.name_zh if org else "")


def _screen(session: Session, actor: Actor, project: Project) -> None:
    """submitted → screening: screening, reduction estimate and proposed grade."""
    step = _plan(Action.SCREEN, project, actor)
    params = json.loads(project.technical_parameters_json or "{}")
    record = ScreeningInput(
        id=str(project.id), name=project.name, description=project.description,
        industry_code=project.industry_code, params=params,
    )  # fmt: skip
    try:
        result = screener(assessment.EDITION).screen(record, top_k=3)
    except InputError as exc:
        raise InvalidInput.on(exc.field, exc.message) from None
    values = assess_project(session, project, assessment.screening_from_result(result), _now().year)
    _apply(
        session, actor, project, project.version, step, values,
        payload={"verdict": values["verdict"], "item": values["item_code"],
                 "reduction_tco2e_per_year": values["reduction_tco2e_per_year"],
                 "proposed_grade": values["proposed_grade"]},
    )  # fmt: skip


def screen_batch(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Screening records for many projects in one ``screen_frame`` pass. ``records``: dicts with
    id, name, description, industry_code, technical_parameters."""
    if not records:
        return []
    params = sorted(
        {k for r in records for k in r["technical_parameters"]} & set(screening_parameters())
    )
    frame = pl.DataFrame(
        {
            "id": [str(r["id"]) for r in records],
            "name": [r["name"] for r in records],
            "description": [r["description"] for r in records],
            "industry_code": [r["industry_code"] for r in records],
            **{
                p: pl.Series(
                    p,
                    [None if (v := r["technical_parameters"].get(p)) is None else str(v)
                     for r in records],
                    dtype=pl.String,
                )
                for p in params
            },
        }
    )  # fmt: skip
    screened = batch.screen_frame(frame, assessment.EDITION, top_k=3)
    by_id = {row["id"]: row for row in screened.iter_rows(named=True)}
    return [
        assessment.screening_from_row(
            by_id[str(r["id"])], r["technical_parameters"], r["industry_code"]
        )
        for r in records
    ]


def submit_many(
    session: Session, actor: Actor, project_ids: list[int], year: int | None = None
) -> None:
    """Submit many drafts at once (bulk import): one screening pass for all of them."""
    loaded = [load(session, actor, pid) for pid in project_ids]
    for project in loaded:
        step = _plan(Action.SUBMIT, project, actor)
        _apply(session, actor, project, project.version, step,
               {"submitted_at": _now(), "grade": None})  # fmt: skip
    records = [
        {"id": p.id, "name": p.name, "description": p.description,
         "industry_code": p.industry_code,
         "technical_parameters": json.loads(p.technical_parameters_json or "{}")}
        for p in loaded
    ]  # fmt: skip
    for project, screening in zip(loaded, screen_batch(records), strict=True):
        step = _plan(Action.SCREEN, project, SCREENING_ACTOR)
        values = assess_project(session, project, screening, year or _now().year)
        _apply(session, SCREENING_ACTOR, project, project.version, step, values,
               payload={"verdict": values["verdict"], "item": values["item_code"],
                        "proposed_grade": values["proposed_grade"], "batch": True})  # fmt: skip


def submit(session: Session, actor: Actor, project_id: int, version: int) -> ProjectOut:
    """Submit (or resubmit) a draft/returned project; the screening runs at once."""
    project = load(session, actor, project_id)
    step = _plan(Action.SUBMIT, project, actor)
    _check_version(project, version)
    _apply(session, actor, project, version, step, {"submitted_at": _now(), "grade": None})
    _screen(session, SCREENING_ACTOR, project)
    return project_out(session, actor, project)


def screen(session: Session, actor: Actor, project_id: int, version: int) -> ProjectOut:
    """Run the screening of a project left ``submitted`` (reviewer, admin or the operator)."""
    project = load(session, actor, project_id)
    _plan(Action.SCREEN, project, actor)
    _check_version(project, version)
    _screen(session, actor, project)
    return project_out(session, actor, project)


# --- review ------------------------------------------------------------------------------------


def claim(session: Session, actor: Actor, project_id: int, version: int) -> ProjectOut:
    """A reviewer takes a screened project."""
    project = load(session, actor, project_id)
    step = _plan(Action.CLAIM, project, actor)
    _check_version(project, version)
    _apply(session, actor, project, version, step, payload={"reviewer": actor.user_id})
    return project_out(session, actor, project)


def reviewers(session: Session) -> list[tuple[int, str]]:
    """Active reviewer accounts (id, display name) for the assignment list."""
    rows = session.execute(
        select(User.id, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.role == Role.REVIEWER.value, User.is_active)
        .order_by(User.id)
    ).all()
    return [(r.id, r.display_name) for r in rows]


def assign(
    session: Session, actor: Actor, project_id: int, version: int, reviewer_id: int
) -> ProjectOut:
    """A regulator or admin assigns a reviewer (before any approval)."""
    project = load(session, actor, project_id)
    if reviewer_id not in {r for r, _ in reviewers(session)}:
        raise InvalidInput.on("reviewer_id", f"user {reviewer_id} is not an active reviewer")
    step = _plan(Action.ASSIGN, project, actor, reviewer_id=reviewer_id)
    _check_version(project, version)
    _apply(session, actor, project, version, step, payload={"reviewer": reviewer_id})
    return project_out(session, actor, project)


def new_verification_code() -> str:
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    )
    return "GF-" + "-".join(groups)


def issue_certificate(session: Session, project: Project) -> ProjectCertificate:
    """The certificate of an approved project, with a random verification code (~98 bits)."""
    certificate = ProjectCertificate(
        project_id=project.id, verification_code=new_verification_code(), grade=project.grade,
        item_code=project.item_code, edition=project.edition,
    )  # fmt: skip
    session.add(certificate)
    session.flush()
    return certificate


def approve(
    session: Session,
    actor: Actor,
    project_id: int,
    version: int,
    grade: str | None = None,
    comment: str | None = None,
) -> ProjectOut:
    """Approve with a grade (default: the proposed one). 深绿 stays in review until a second,
    different reviewer approves; the final approval issues the certificate."""
    project = load(session, actor, project_id)
    step = _plan(
        Action.APPROVE, project, actor, grade=grade or None, proposed_grade=project.proposed_grade
    )
    _check_version(project, version)
    values: dict[str, Any] = {}
    if step.to_status is Status.APPROVED:
        values["decided_at"] = _now()
    chosen = step.changes.get("grade") or grade or project.proposed_grade
    _apply(session, actor, project, version, step, values, comment=comment or None,
           payload={"grade": chosen})  # fmt: skip
    if project.status == Status.APPROVED.value:
        certificate = issue_certificate(session, project)
        ledger.append(
            session, actor, "project.certificate_issued", "project", project.id,
            {"certificate": certificate.id, "grade": certificate.grade,
             "item": certificate.item_code},
        )  # fmt: skip
    return project_out(session, actor, project)


MAX_ITEM_CODE, MAX_COMMENT = 20, 2000  # as the API's ReclassifyIn and the store's columns


def reclassify(
    session: Session,
    actor: Actor,
    project_id: int,
    version: int,
    item_code: str,
    comment: str,
) -> ProjectOut:
    """The assigned reviewer replaces the screening's catalogue item with another (in review,
    before any approval), giving the reason. The item's technical criteria are checked again and
    the reduction estimate and proposed grade are redone for it; the machine's record is kept
    inside the screening record, and choosing the machine's first item again restores it. The
    item is then the reviewer's decision (``item_source`` = reviewer), which the taxonomy's
    example export marks as such. The reason goes to the project's events and the ledger, which
    banks and other enterprises do not see."""
    project = load(session, actor, project_id)
    step = _plan(Action.RECLASSIFY, project, actor, comment=comment)
    _check_version(project, version)
    code, reason = (item_code or "").strip(), (comment or "").strip()
    if len(code) > MAX_ITEM_CODE or len(reason) > MAX_COMMENT:
        field = "item_code" if len(code) > MAX_ITEM_CODE else "comment"
        raise InvalidInput.on(field, "too long / 过长")
    if code == project.item_code:
        raise InvalidInput.on(
            "item_code", f"{code} is already the project's item / 该条目已是项目当前条目"
        )
    previous = project.item_code
    try:
        record = assessment.reclassified(
            json.loads(project.screening_json or "{}"), code,
            json.loads(project.technical_parameters_json or "{}"), project.industry_code,
            f"{project.name}。{project.description}",
        )  # fmt: skip
    except assessment.UnknownItem as exc:
        raise InvalidInput.on("item_code", str(exc)) from None
    values = assess_project(session, project, record, _now().year)
    _apply(
        session, actor, project, version, step, values, comment=reason,
        payload={"item": code, "previous_item": previous, "item_source": values["item_source"],
                 "verdict": values["verdict"],
                 "reduction_tco2e_per_year": values["reduction_tco2e_per_year"],
                 "proposed_grade": values["proposed_grade"]},
    )  # fmt: skip
    return project_out(session, actor, project)


def return_for_revision(
    session: Session,
    actor: Actor,
    project_id: int,
    version: int,
    comment: str,
    requested_evidence: str | None = None,
) -> ProjectOut:
    """Send back to the enterprise with comments and the evidence requested."""
    project = load(session, actor, project_id)
    step = _plan(Action.RETURN, project, actor, comment=comment)
    _check_version(project, version)
    _apply(session, actor, project, version, step, {"decided_at": _now()}, comment=comment,
           requested_evidence=requested_evidence or None)  # fmt: skip
    return project_out(session, actor, project)


def reject(
    session: Session, actor: Actor, project_id: int, version: int, comment: str
) -> ProjectOut:
    project = load(session, actor, project_id)
    step = _plan(Action.REJECT, project, actor, comment=comment)
    _check_version(project, version)
    _apply(session, actor, project, version, step, {"decided_at": _now()}, comment=comment)
    return project_out(session, actor, project)


# --- reading -----------------------------------------------------------------------------------


def _document_out(document: ProjectDocument, full_view: bool) -> DocumentOut:
    kind = evidence.document_kinds().get(document.kind)
    return DocumentOut(
        id=document.id, kind=document.kind, kind_label_zh=kind.label_zh if kind else document.kind,
        filename=document.filename if full_view else "", media_type=document.media_type,
        size_bytes=document.size_bytes, sha256=document.sha256,
        downloadable=full_view and bool(document.storage_path),
        created_at=document.created_at,
    )  # fmt: skip


def _user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return {r.id: r.display_name for r in rows}


def project_out(session: Session, actor: Actor, project: Project) -> ProjectOut:
    """The project as ``actor`` may see it (library view for banks and other enterprises)."""
    session.refresh(project)
    full = full_view(actor, project)
    org = session.get(Organisation, project.organisation_id)
    district = reference.find_district(project.district_code)
    industry = reference.industry_codes().get(project.industry_code)
    documents = session.execute(
        select(ProjectDocument)
        .where(ProjectDocument.project_id == project.id)
        .order_by(ProjectDocument.id)
    ).scalars()
    events = (
        list(
            session.execute(
                select(ProjectEvent)
                .where(ProjectEvent.project_id == project.id)
                .order_by(ProjectEvent.id)
            ).scalars()
        )
        if full
        else []
    )
    names = _user_names(
        session,
        {e.actor_user_id for e in events if e.actor_user_id}
        | ({project.assigned_reviewer_id} if project.assigned_reviewer_id else set()),
    )
    certificate = session.execute(
        select(ProjectCertificate).where(ProjectCertificate.project_id == project.id)
    ).scalar_one_or_none()
    status = Status(project.status)
    reviewer_visible = full
    return ProjectOut(
        id=project.id, organisation_id=project.organisation_id,
        organisation_name=org.name_zh if org else "", name=project.name,
        description=project.description, industry_code=project.industry_code,
        industry_name_zh=industry.name_zh if industry else "",
        district_code=project.district_code,
        district_name_zh=district.name_zh if district else project.district_code,
        district_name_en=district.name_en if district else project.district_code,
        in_city_sub_centre=project.in_city_sub_centre, location=project.location,
        total_investment_10k_cny=wan(project.total_investment_fen) or 0.0,
        financing_amount_10k_cny=wan(project.financing_amount_fen),
        financing_term_months=project.financing_term_months,
        financing_type=project.financing_type,
        technical_parameters=json.loads(project.technical_parameters_json or "{}"),
        expected_outputs=json.loads(project.expected_outputs_json or "{}"),
        status=project.status, status_label_zh=STATUS_LABELS[status][0],
        status_label_en=STATUS_LABELS[status][1], version=project.version,
        edition=project.edition, item_code=project.item_code,
        item_name_zh=_item_name(project.item_code), item_source=project.item_source,
        category_code=project.category_code,
        category_name_zh=_item_name(project.category_code), verdict=project.verdict,
        screening=json.loads(project.screening_json) if project.screening_json else None,
        reduction_tco2e_per_year=project.reduction_tco2e_per_year,
        reduction=json.loads(project.reduction_json) if project.reduction_json else None,
        proposed_grade=project.proposed_grade, grade=project.grade,
        grading=_grading_for(project.grading_json, full),
        assigned_reviewer_id=project.assigned_reviewer_id if reviewer_visible else None,
        assigned_reviewer_name=names.get(project.assigned_reviewer_id or 0)
        if reviewer_visible else None,
        first_approver_id=project.first_approver_id if reviewer_visible else None,
        second_approver_id=project.second_approver_id if reviewer_visible else None,
        awaiting_second_approval=_state(project).awaiting_second_approval,
        documents=[_document_out(d, full) for d in documents],
        events=[
            EventOut(
                id=e.id, action=e.action, from_status=e.from_status, to_status=e.to_status,
                actor=names.get(e.actor_user_id or 0, "greenfin"), comment=e.comment,
                requested_evidence=e.requested_evidence, created_at=e.created_at,
            )
            for e in events
        ],
        certificate=CertificateOut(
            verification_code=certificate.verification_code, grade=certificate.grade,
            item_code=certificate.item_code, issued_at=certificate.issued_at,
            revoked_at=certificate.revoked_at,
        ) if certificate else None,
        allowed_actions=[a.value for a in allowed_actions(_state(project), actor_ref(actor))],
        full_view=full, is_synthetic=project.is_synthetic, created_at=project.created_at,
        submitted_at=project.submitted_at, decided_at=project.decided_at,
        updated_at=project.updated_at,
    )  # fmt: skip


def get_project(session: Session, actor: Actor, project_id: int) -> ProjectOut:
    return project_out(session, actor, load(session, actor, project_id))


def is_editable(project: ProjectOut) -> bool:
    return Status(project.status) in EDITABLE and "edit" in project.allowed_actions


# --- lists -------------------------------------------------------------------------------------


class ProjectCard(BaseModel):
    """One line of a list or search result."""

    id: int
    name: str
    organisation_name: str
    district_code: str
    district_name_zh: str
    in_city_sub_centre: bool
    category_code: str | None
    item_code: str | None
    item_name_zh: str | None
    status: str
    grade: str | None
    proposed_grade: str | None
    total_investment_10k_cny: float
    financing_amount_10k_cny: float | None
    reduction_tco2e_per_year: float | None
    is_synthetic: bool
    updated_at: UtcDatetime


CARD_COLUMNS = (
    Project.id, Project.name, Organisation.name_zh.label("organisation_name"),
    Project.district_code, Project.in_city_sub_centre, Project.category_code, Project.item_code,
    Project.status, Project.grade, Project.proposed_grade, Project.total_investment_fen,
    Project.financing_amount_fen, Project.reduction_tco2e_per_year, Project.is_synthetic,
    Project.updated_at,
)  # fmt: skip


def card_select() -> Select[Any]:
    return select(*CARD_COLUMNS).join(Organisation, Organisation.id == Project.organisation_id)


def card(row: Any) -> ProjectCard:
    district = reference.find_district(row.district_code)
    return ProjectCard(
        id=row.id, name=row.name, organisation_name=row.organisation_name,
        district_code=row.district_code,
        district_name_zh=district.name_zh if district else row.district_code,
        in_city_sub_centre=row.in_city_sub_centre, category_code=row.category_code,
        item_code=row.item_code, item_name_zh=_item_name(row.item_code), status=row.status,
        grade=row.grade, proposed_grade=row.proposed_grade,
        total_investment_10k_cny=row.total_investment_fen / FEN_PER_10K_CNY,
        financing_amount_10k_cny=wan(row.financing_amount_fen),
        reduction_tco2e_per_year=row.reduction_tco2e_per_year, is_synthetic=row.is_synthetic,
        updated_at=row.updated_at,
    )  # fmt: skip


LIST_SCOPES = ("mine", "queue", "all")


def _queue_clause(principal: Principal) -> ColumnElement[bool]:
    in_review = Project.status == Status.IN_REVIEW.value
    if principal.role is not Role.REVIEWER:
        return Project.status.in_(
            [Status.SUBMITTED.value, Status.SCREENING.value, Status.IN_REVIEW.value]
        )
    return or_(
        Project.status.in_([Status.SUBMITTED.value, Status.SCREENING.value]),
        and_(in_review, Project.first_approver_id.is_(None),
             Project.assigned_reviewer_id == principal.user_id),
        and_(in_review, Project.first_approver_id.is_not(None),
             Project.first_approver_id != principal.user_id),
    )  # fmt: skip


def list_projects(
    session: Session,
    principal: Principal,
    *,
    scope: str = "mine",
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[ProjectCard]:
    """Work lists. ``mine``: an enterprise's own projects, a reviewer's assigned ones;
    ``queue``: a reviewer's queue (screened and unclaimed, assigned to them, or awaiting a second
    approval by someone else), for regulators and admins everything in progress; ``all``:
    everything the caller may see. An enterprise always gets its own projects; a bank has no
    work list (it uses the library search)."""
    if status and status not in {s.value for s in Status}:
        raise InvalidInput.on("status", f"unknown status {status!r}")
    if scope not in LIST_SCOPES:
        raise InvalidInput.on("scope", f"one of {', '.join(LIST_SCOPES)}")
    where: list[ColumnElement[bool]] = [visible_clause(principal)]
    if principal.role is Role.ENTERPRISE:
        where.append(Project.organisation_id == principal.organisation_id)
    elif principal.role is Role.BANK:
        where.append(false())
    elif scope == "mine" and principal.role is Role.REVIEWER:
        where.append(Project.assigned_reviewer_id == principal.user_id)
    elif scope == "queue" or scope == "mine":
        where.append(_queue_clause(principal))
    if status:
        where.append(Project.status == status)
    count = session.execute(select(func.count()).select_from(Project).where(*where)).scalar_one()
    rows = session.execute(
        card_select()
        .where(*where)
        .order_by(Project.updated_at.desc(), Project.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return Page([card(r) for r in rows], count, offset, limit)
