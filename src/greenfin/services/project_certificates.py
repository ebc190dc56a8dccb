"""Certificates of green identification (绿色项目认定证书): PDF, public verification, revocation.

A certificate is issued when a project is finally approved (``services.projects.approve``) with
a random verification code. Anyone can check a code on ``/verify/{code}``: the page shows the
project name, the enterprise, grade, catalogue item, date and whether the certificate is valid or
revoked — nothing confidential (no money, documents, reviewers or comments).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from greenfin import ledger
from greenfin.identity.principal import Actor, Principal
from greenfin.identity.roles import Role
from greenfin.reports.pdf import html_to_pdf
from greenfin.services.errors import Conflict, InvalidInput, NotFound
from greenfin.services.permissions import require
from greenfin.services.projects import CODE_ALPHABET, load
from greenfin.store.models import Organisation, Project, ProjectCertificate
from greenfin.taxonomy.catalogue import load_catalogue

REVOKERS = frozenset({Role.REGULATOR, Role.ADMIN})
MAX_CODE_LENGTH = 40


class VerificationOut(BaseModel):
    """What the public verification page shows."""

    verification_code: str
    valid: bool
    project_name: str
    enterprise_name: str
    grade: str
    item_code: str | None
    item_name_zh: str | None
    edition: str
    issued_on: str
    revoked_on: str | None
    is_synthetic: bool


def normalise_code(code: str) -> str:
    text = "".join(code.split()).upper()
    if not text or len(text) > MAX_CODE_LENGTH:
        raise NotFound("no certificate with this code")
    allowed = set(CODE_ALPHABET) | set("GF-")
    if any(c not in allowed for c in text):
        raise NotFound("no certificate with this code")
    return text


def _verification(session: Session, certificate: ProjectCertificate) -> VerificationOut:
    project = session.get(Project, certificate.project_id)
    assert project is not None  # the foreign key cascades
    org = session.get(Organisation, project.organisation_id)
    item = (
        load_catalogue(certificate.edition).items.get(certificate.item_code or "")
        if certificate.item_code
        else None
    )
    return VerificationOut(
        verification_code=certificate.verification_code,
        valid=certificate.revoked_at is None, project_name=project.name,
        enterprise_name=org.name_zh if org else "", grade=certificate.grade,
        item_code=certificate.item_code, item_name_zh=item.name_zh if item else None,
        edition=certificate.edition, issued_on=certificate.issued_at.date().isoformat(),
        revoked_on=certificate.revoked_at.date().isoformat() if certificate.revoked_at else None,
        is_synthetic=project.is_synthetic,
    )  # fmt: skip


def verify(session: Session, code: str) -> VerificationOut:
    """Public: the certificate with this code (unknown codes are 404)."""
    certificate = session.execute(
        select(ProjectCertificate).where(
            ProjectCertificate.verification_code == normalise_code(code)
        )
    ).scalar_one_or_none()
    if certificate is None:
        raise NotFound("no certificate with this code")
    return _verification(session, certificate)


def _certificate_of(session: Session, actor: Actor, project_id: int) -> ProjectCertificate:
    project = load(session, actor, project_id)
    certificate = session.execute(
        select(ProjectCertificate).where(ProjectCertificate.project_id == project.id)
    ).scalar_one_or_none()
    if certificate is None:
        raise NotFound(f"project {project_id} has no certificate (not approved)")
    return certificate


CERTIFICATE_CSS = """
.frame { border: 3px double #274e13; padding: 16mm 14mm; min-height: 220mm; }
.title { text-align: center; font-size: 24pt; letter-spacing: 4pt; color: #274e13; margin: 0; }
.subtitle { text-align: center; font-size: 11pt; margin: 2pt 0 14pt; }
.grade { text-align: center; font-size: 30pt; color: #38761d; margin: 10pt 0; }
.synthetic { text-align: center; color: #a00; font-size: 12pt; }
.code { font-family: monospace; font-size: 12pt; }
td.k { width: 30%; background: #eef3ee; }
"""


def certificate_html(info: VerificationOut, verify_url: str) -> str:
    """The certificate as an HTML document (every value escaped)."""
    e = escape
    synthetic = (
        '<p class="synthetic">示例（synthetic demo data — not a real certificate）</p>'
        if info.is_synthetic
        else ""
    )
    status = "有效 valid" if info.valid else f"已撤销 revoked {e(info.revoked_on or '')}"
    item = f"{e(info.item_code or '')} {e(info.item_name_zh or '')}".strip() or "—"
    rows = (
        ("项目名称 Project", e(info.project_name)),
        ("企业 Enterprise", e(info.enterprise_name)),
        ("目录条目 Catalogue item", item),
        ("目录版本 Edition", e(info.edition)),
        ("认定日期 Date of identification", e(info.issued_on)),
        ("状态 Status", status),
        ("验证码 Verification code", f'<span class="code">{e(info.verification_code)}</span>'),
        ("在线验证 Verify at", e(verify_url)),
    )
    table = "".join(f'<tr><td class="k">{k}</td><td>{v}</td></tr>' for k, v in rows)
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>绿色项目认定证书 {e(info.verification_code)}</title></head><body>"
        '<div class="frame"><p class="title">绿色项目认定证书</p>'
        '<p class="subtitle">Certificate of Green Project Identification · greenfin</p>'
        f"{synthetic}"
        f'<p class="grade">{e(info.grade)}</p><table>{table}</table>'
        '<p class="note">本证书依据《绿色金融支持项目目录（2025年版）》及 greenfin 项目评级规则'
        "（grading_rubric.csv）出具；等级由评审员确认，深绿经两名评审员复核。请以在线验证结果为准。"
        '</p><p class="note">Issued under the 2025 Green Finance Catalogue and greenfin\'s '
        "grading rubric; the grade was confirmed by reviewers (深绿 by two). The online "
        "verification is authoritative.</p></div></body></html>"
    )


def certificate_pdf(
    session: Session, actor: Actor, project_id: int, base_url: str
) -> tuple[bytes, str]:
    """(PDF bytes, file name) for anyone who may see the approved project."""
    certificate = _certificate_of(session, actor, project_id)
    info = _verification(session, certificate)
    url = f"{base_url.rstrip('/')}/verify/{info.verification_code}"
    pdf = html_to_pdf(certificate_html(info, url), extra_css=CERTIFICATE_CSS)
    return pdf, f"certificate-{project_id}-{info.verification_code}.pdf"


def revoke(session: Session, principal: Principal, project_id: int, reason: str) -> VerificationOut:
    """A regulator or admin revokes a certificate (the verification page then says so)."""
    require(principal, REVOKERS)
    if not reason.strip():
        raise InvalidInput.on("reason", "give the reason / 请填写撤销原因")
    certificate = _certificate_of(session, principal, project_id)
    if certificate.revoked_at is not None:
        raise Conflict.on("certificate", "already revoked")
    certificate.revoked_at = datetime.now(UTC)
    session.flush()
    ledger.append(
        session, principal, "project.certificate_revoked", "project", project_id,
        {"certificate": certificate.id, "code": certificate.verification_code, "reason": reason},
    )  # fmt: skip
    return _verification(session, certificate)
