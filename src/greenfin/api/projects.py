"""API v1: the green project library (issue #6 part A) — projects, evidence, review workflow,
library search and statistics, certificates. Thin: every route calls one service function.

State changes carry the ``version`` the client last saw; a stale one answers 409 (problem+json
naming ``version``).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path as FsPath
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from greenfin.api.deps import SessionDep, allow, public
from greenfin.api.problems import PROBLEM_RESPONSES
from greenfin.identity.principal import Principal
from greenfin.identity.roles import Role
from greenfin.library import evidence
from greenfin.library.workflow import Grade, Status
from greenfin.services import project_certificates, project_import, project_library, projects
from greenfin.services.errors import FieldProblem, InvalidInput

router = APIRouter(prefix="/api/v1", tags=["projects"], responses=PROBLEM_RESPONSES)
ProjectId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1, description="the version last seen")]
WORKERS = (Role.ENTERPRISE, Role.REVIEWER, Role.REGULATOR, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _data_dir(request: Request) -> FsPath:
    return request.app.state.settings.data_dir


class ProjectEditIn(projects.ProjectIn):
    version: Version


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Version


class AssignIn(VersionIn):
    reviewer_id: Annotated[int, Field(ge=1, le=2**31 - 1)]


class ApproveIn(VersionIn):
    grade: Grade | None = Field(None, description="default: the proposed grade")
    comment: Annotated[str | None, Field(max_length=2000)] = None


class ReturnIn(VersionIn):
    comment: Annotated[str, Field(min_length=1, max_length=2000)]
    requested_evidence: Annotated[str | None, Field(max_length=2000)] = None


class RejectIn(VersionIn):
    comment: Annotated[str, Field(min_length=1, max_length=2000)]


class ReclassifyIn(VersionIn):
    item_code: Annotated[
        str, Field(min_length=1, max_length=20, description="a level-3 item of the edition")
    ]
    comment: Annotated[str, Field(min_length=1, max_length=2000, description="the reason")]


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class ProjectPage(BaseModel):
    items: list[projects.ProjectCard]
    total: int = Field(description="exact, or a lower bound when total_capped is true")
    offset: int
    limit: int
    total_capped: bool = Field(
        False, description="library search: more results follow and total is only a lower bound"
    )


@router.get("/projects", response_model=ProjectPage)
def list_projects(
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(*WORKERS))],
    scope: Annotated[str, Query(pattern="^(mine|queue|all)$")] = "mine",
    status: Status | None = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ProjectPage:
    """Work lists: an enterprise's own projects; a reviewer's queue; everything for oversight."""
    page = projects.list_projects(
        session, principal, scope=scope, status=status.value if status else None,
        offset=offset, limit=limit,
    )  # fmt: skip
    return ProjectPage(items=page.items, total=page.total, offset=page.offset, limit=page.limit)


@router.post("/projects", response_model=projects.ProjectOut, status_code=201)
def create_project(
    body: projects.ProjectIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.ENTERPRISE))],
) -> projects.ProjectOut:
    """A new draft of the caller's enterprise (upload evidence, then submit)."""
    out = projects.create_project(session, principal, body)
    session.commit()
    return out


@router.get(
    "/projects/import/template",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def import_template(_: Annotated[Principal, Depends(allow(Role.ENTERPRISE))]) -> Response:
    """The bulk-upload template (项目 + 填写说明)."""
    return Response(
        project_import.template_bytes(), media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="project-import-template.xlsx"'},
    )  # fmt: skip


@router.post("/projects/import", response_model=project_import.ImportOut, status_code=201)
async def import_projects(
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.ENTERPRISE))],
    file: Annotated[UploadFile, File(description="The filled template (XLSX or CSV)")],
    submit: Annotated[bool, Form()] = False,
) -> project_import.ImportOut:
    """All rows or nothing; every problem named by row and field."""
    data = await file.read(project_import.MAX_FILE_BYTES + 1)
    if len(data) > project_import.MAX_FILE_BYTES:
        raise InvalidInput.on("file", f"larger than {project_import.MAX_FILE_BYTES // 2**20} MiB")
    out = project_import.import_projects(
        session, principal, data, evidence.safe_filename(file.filename or "upload.xlsx"),
        submit=submit,
    )  # fmt: skip
    session.commit()
    return out


@router.get("/projects/{project_id}", response_model=projects.ProjectOut)
def get_project(
    project_id: ProjectId,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow())],
) -> projects.ProjectOut:
    """One project with its screening, reduction working, grade points, documents and events
    (banks and other enterprises: the library view, without documents' content and events)."""
    return projects.get_project(session, principal, project_id)


@router.put("/projects/{project_id}", response_model=projects.ProjectOut)
def update_project(
    project_id: ProjectId,
    body: ProjectEditIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.ENTERPRISE))],
) -> projects.ProjectOut:
    """Edit a draft or returned project at the version last seen."""
    data = projects.ProjectIn(**body.model_dump(exclude={"version"}))
    out = projects.update_project(session, principal, project_id, data, body.version)
    session.commit()
    return out


@router.post(
    "/projects/{project_id}/documents", response_model=list[projects.DocumentOut], status_code=201
)
async def upload_document(
    project_id: ProjectId,
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.ENTERPRISE))],
    kind: Annotated[str, Form(max_length=40, examples=["feasibility_study"])],
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, XLSX or DOCX")],
) -> list[projects.DocumentOut]:
    """Add an evidence document; the bytes must be of the type the file name declares."""
    data = await file.read(evidence.max_upload_bytes() + 1)
    upload = projects.DocumentUpload(kind, file.filename or "", data)
    out = projects.upload_documents(session, principal, project_id, [upload], _data_dir(request))
    session.commit()
    return out


@router.get(
    "/projects/{project_id}/documents/{document_id}",
    response_class=Response,
    responses={200: {"content": {t.media_type: {} for t in evidence.document_types()}}},
)
def download_document(
    project_id: ProjectId,
    document_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(*WORKERS))],
) -> Response:
    """The document as an attachment (never rendered inline)."""
    data, name, media_type = projects.document_file(
        session, principal, project_id, document_id, _data_dir(request)
    )
    return attachment(data, name, media_type)


def attachment(data: bytes, filename: str, media_type: str) -> Response:
    """A download that browsers neither render nor sniff."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        data, media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                   f"filename*=UTF-8''{quote(filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )  # fmt: skip


@router.post("/projects/{project_id}/submit", response_model=projects.ProjectOut)
def submit(
    project_id: ProjectId, body: VersionIn, session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.ENTERPRISE))],
) -> projects.ProjectOut:  # fmt: skip
    """Submit; the screening, reduction estimate and proposed grade run at once."""
    out = projects.submit(session, principal, project_id, body.version)
    session.commit()
    return out


@router.post("/projects/{project_id}/screen", response_model=projects.ProjectOut)
def screen(
    project_id: ProjectId, body: VersionIn, session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.REVIEWER, Role.ADMIN))],
) -> projects.ProjectOut:  # fmt: skip
    """Run the screening of a project left ``submitted``."""
    out = projects.screen(session, principal, project_id, body.version)
    session.commit()
    return out


@router.post("/projects/{project_id}/claim", response_model=projects.ProjectOut)
def claim(
    project_id: ProjectId, body: VersionIn, session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.REVIEWER))],
) -> projects.ProjectOut:  # fmt: skip
    """A reviewer takes a screened project."""
    out = projects.claim(session, principal, project_id, body.version)
    session.commit()
    return out


@router.post("/projects/{project_id}/assign", response_model=projects.ProjectOut)
def assign(
    project_id: ProjectId, body: AssignIn, session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.REGULATOR, Role.ADMIN))],
) -> projects.ProjectOut:  # fmt: skip
    """Assign (or reassign, before any approval) a reviewer."""
    out = projects.assign(session, principal, project_id, body.version, body.reviewer_id)
    session.commit()
    return out


@router.post("/projects/{project_id}/approve", response_model=projects.ProjectOut)
def approve(
    project_id: ProjectId, body: ApproveIn, session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.REVIEWER))],
) -> projects.ProjectOut:  # fmt: skip
    """Approve with a grade; 深绿 needs a second, different reviewer (four eyes)."""
    grade = body.grade.value if body.grade else None
    out = projects.approve(session, principal, project_id, body.version, grade, body.comment)
    session.commit()
    return out


@router.post("/projects/{project_id}/reclassify", response_model=projects.ProjectOut)
def reclassify(
    project_id: ProjectId, body: ReclassifyIn, session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.REVIEWER))],
) -> projects.ProjectOut:  # fmt: skip
    """The assigned reviewer sets another catalogue item (before any approval), with the reason;
    criteria, reduction estimate and proposed grade are redone for it."""
    out = projects.reclassify(
        session, principal, project_id, body.version, body.item_code, body.comment
    )
    session.commit()
    return out


@router.post("/projects/{project_id}/return", response_model=projects.ProjectOut)
def return_for_revision(
    project_id: ProjectId, body: ReturnIn, session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.REVIEWER))],
) -> projects.ProjectOut:  # fmt: skip
    """Return for revision with comments and the evidence requested."""
    out = projects.return_for_revision(
        session, principal, project_id, body.version, body.comment, body.requested_evidence
    )
    session.commit()
    return out


@router.post("/projects/{project_id}/reject", response_model=projects.ProjectOut)
def reject(
    project_id: ProjectId, body: RejectIn, session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.REVIEWER))],
) -> projects.ProjectOut:  # fmt: skip
    out = projects.reject(session, principal, project_id, body.version, body.comment)
    session.commit()
    return out


@router.get(
    "/projects/{project_id}/certificate.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def certificate_pdf(
    project_id: ProjectId, request: Request, session: SessionDep,
    principal: Annotated[Principal, Depends(allow())],
) -> Response:  # fmt: skip
    """The certificate of an approved project (PDF)."""
    pdf, name = project_certificates.certificate_pdf(
        session, principal, project_id, str(request.base_url)
    )
    return attachment(pdf, name, "application/pdf")


@router.post(
    "/projects/{project_id}/certificate/revoke",
    response_model=project_certificates.VerificationOut,
)
def revoke_certificate(
    project_id: ProjectId, body: RevokeIn, session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.REGULATOR, Role.ADMIN))],
) -> project_certificates.VerificationOut:  # fmt: skip
    """Revoke a certificate; the public verification then says so."""
    out = project_certificates.revoke(session, principal, project_id, body.reason)
    session.commit()
    return out


@router.get(
    "/certificates/{code}",
    response_model=project_certificates.VerificationOut,
    dependencies=[Depends(public)],
)
def verify_certificate(
    code: Annotated[str, Path(max_length=60)], session: SessionDep
) -> project_certificates.VerificationOut:
    """Public: check a verification code (nothing confidential is returned)."""
    return project_certificates.verify(session, code)


@router.get("/library/search", response_model=ProjectPage)
def library_search(
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow())],
    q: Annotated[str | None, Query(max_length=100, description="Chinese full text")] = None,
    category: Annotated[str | None, Query(max_length=10, description="2025 level-1 code")] = None,
    grade: Grade | None = None,
    district: Annotated[
        str | None, Query(max_length=40, description="code, name or sub_centre")
    ] = None,
    financing_min_10k_cny: Annotated[Decimal | None, Query(ge=0)] = None,
    financing_max_10k_cny: Annotated[Decimal | None, Query(ge=0)] = None,
    status: Annotated[Status | None, Query(description="reviewers/regulators only")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=project_library.MAX_PAGE)] = 20,
) -> ProjectPage:
    """Approved library projects (reviewers and regulators may ask for another status)."""
    query = library_query(
        q=q, category=category, grade=grade, district=district,
        financing_min_10k_cny=financing_min_10k_cny,
        financing_max_10k_cny=financing_max_10k_cny, status=status, offset=offset, limit=limit,
    )  # fmt: skip
    page = project_library.search_library(session, principal, query)
    return ProjectPage(
        items=page.items, total=page.total, offset=page.offset, limit=page.limit,
        total_capped=bool(page.extra.get("total_capped")),
    )  # fmt: skip


def library_query(**values: object) -> project_library.LibraryQuery:
    """Build the query; field rule violations become 422 naming the field."""
    try:
        return project_library.LibraryQuery(**values)
    except ValidationError as exc:
        problems = [
            FieldProblem(str(e["loc"][0]) if e["loc"] else "query",
                         str(e["msg"]).removeprefix("Value error, "))
            for e in exc.errors()
        ]  # fmt: skip
        detail = "; ".join(f"{p.field}: {p.message}" for p in problems)
        raise InvalidInput(detail, problems) from None


@router.get("/library/statistics", response_model=project_library.StatisticsOut)
def library_statistics(
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.REGULATOR, Role.ADMIN))],
) -> project_library.StatisticsOut:
    """Counts and investment by catalogue category, grade, district (city sub-centre) and
    status."""
    return project_library.statistics(session, principal)
