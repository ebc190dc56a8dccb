"""ORM models. Schema changes go through Alembic migrations in ``store/migrations``."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from greenfin.identity.roles import OrgKind, Role


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


_ORG_KINDS = ", ".join(f"'{k.value}'" for k in OrgKind)
_ROLES = ", ".join(f"'{r.value}'" for r in Role)


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_ORG_KINDS})", name="ck_organisations_kind"),
        # Only 通州 (110112) holds the city sub-centre; services check it against reference data.
        CheckConstraint(
            "NOT in_city_sub_centre OR district_code = '110112'",
            name="ck_organisations_sub_centre_in_tongzhou",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True, index=True)
    name_zh: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    in_city_sub_centre: Mapped[bool] = mapped_column(Boolean, default=False)
    industry_code: Mapped[str | None] = mapped_column(String(4))
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    membership: Mapped[Membership | None] = relationship(back_populates="user", uselist=False)


class Membership(Base):
    """A user's role in one organisation. One membership per user for now (unique user_id)."""

    __tablename__ = "memberships"
    __table_args__ = (CheckConstraint(f"role IN ({_ROLES})", name="ck_memberships_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="membership")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class ApiToken(Base):
    """Bearer tokens for the API. Only a SHA-256 digest of the token is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRecord(Base):
    """One entry of the hash-chained audit ledger (see ``greenfin.ledger``).

    ``occurred_at`` is stored as the exact ISO-8601 text that was hashed, so a database's own
    timestamp round-trip can never break verification.
    """

    __tablename__ = "audit_records"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[str] = mapped_column(String(40))
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor_username: Mapped[str] = mapped_column(String(64))
    organisation_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(80))
    payload_json: Mapped[str] = mapped_column(Text)
    payload_digest: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class LedgerHead(Base):
    """The last sequence number and hash, updated in the same transaction as each append.

    Deleting the newest records leaves the chain itself consistent; the head catches that.
    """

    __tablename__ = "ledger_head"
    __table_args__ = (CheckConstraint("id = 1", name="ck_ledger_head_single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class CarbonAccountRecord(Base):
    """One enterprise-year of the enterprise carbon account (企业碳账户).

    The energy data as entered (``inputs_json``) and the computed account (``results_json``,
    with every factor used) are kept together, so a later change of factors never rewrites an
    account silently; a resubmission replaces the year and leaves a ledger record.
    """

    __tablename__ = "carbon_accounts"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year", name="uq_carbon_accounts_org_year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    inputs_json: Mapped[str] = mapped_column(Text)
    results_json: Mapped[str] = mapped_column(Text)
    total_tco2e: Mapped[float] = mapped_column(Float)
    intensity_tco2e_per_10k_cny: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(20))
    submitted_by_user_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoanBookImport(Base):
    """One accepted loan-book file of a bank at an as-of date. The validated book itself is kept
    as Parquet under the data directory (``parquet_path``), the shape the batch engine reads;
    the same file (content hash) for the same bank and date is imported once."""

    __tablename__ = "loan_book_imports"
    __table_args__ = (
        UniqueConstraint(
            "bank_organisation_id", "as_of", "content_sha256", name="uq_loan_book_imports_file"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    content_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(Integer)
    outstanding_fen: Mapped[int] = mapped_column(BigInteger)
    parquet_path: Mapped[str] = mapped_column(String(500))
    imported_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoanBookAnalysis(Base):
    """The result of running the loan-book pipeline (screen → tag comparison → CERF → financed
    emissions) over one import. The per-loan result is Parquet under the data directory
    (``result_path``); ``summary_json`` holds the totals the faces show without reading it."""

    __tablename__ = "loan_book_analyses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("loan_book_imports.id", ondelete="CASCADE"), unique=True
    )
    engine: Mapped[str] = mapped_column(String(20))  # local | dask
    edition: Mapped[str] = mapped_column(String(40))
    result_path: Mapped[str] = mapped_column(String(500))
    summary_json: Mapped[str] = mapped_column(Text)
    analysed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BankPeriodInput(Base):
    """What a bank or a regulator enters by hand for one bank and period: the qualitative
    evaluation scores with evidence notes (kind ``evaluation_qualitative``, period ``2026Q3``) or
    the operational footprint for the disclosure report (kind ``disclosure_operations``, period
    ``2025``). A resubmission replaces the payload and leaves a ledger record."""

    __tablename__ = "bank_period_inputs"
    __table_args__ = (
        UniqueConstraint(
            "bank_organisation_id", "kind", "period", name="uq_bank_period_inputs_key"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(10))
    payload_json: Mapped[str] = mapped_column(Text)
    entered_by_user_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- green project library and matching (issue #6) -------------------------------------------


class Project(Base):
    """A green project submitted by an enterprise (绿色项目库).

    ``version`` is the optimistic lock: every state change is ``UPDATE … WHERE version = :seen``
    and fails when another reviewer moved the project first. Screening, reduction estimate and the
    grade proposal are kept with their working (``*_json``) so every number shows its source."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    industry_code: Mapped[str] = mapped_column(String(4))
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    in_city_sub_centre: Mapped[bool] = mapped_column(Boolean, default=False)
    location: Mapped[str | None] = mapped_column(String(200))
    total_investment_fen: Mapped[int] = mapped_column(BigInteger)
    financing_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    financing_term_months: Mapped[int | None] = mapped_column(Integer)
    financing_type: Mapped[str | None] = mapped_column(String(40))
    technical_parameters_json: Mapped[str] = mapped_column(Text, default="{}")
    expected_outputs_json: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    edition: Mapped[str] = mapped_column(String(40), default="green-finance-2025")
    item_code: Mapped[str | None] = mapped_column(String(20), index=True)
    # who set item_code: "screening" (its first item) or "reviewer" (reclassified, migration 0007)
    item_source: Mapped[str | None] = mapped_column(String(20))
    category_code: Mapped[str | None] = mapped_column(String(10), index=True)
    verdict: Mapped[str | None] = mapped_column(String(20))
    screening_json: Mapped[str | None] = mapped_column(Text)
    reduction_tco2e_per_year: Mapped[float | None] = mapped_column(Float)
    reduction_json: Mapped[str | None] = mapped_column(Text)
    proposed_grade: Mapped[str | None] = mapped_column(String(10))
    grade: Mapped[str | None] = mapped_column(String(10), index=True)
    grading_json: Mapped[str | None] = mapped_column(Text)
    assigned_reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    first_approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    second_approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Chinese text as space-separated character unigrams and bigrams: the PostgreSQL face indexes
    # it with to_tsvector('simple', …) (no Chinese parser needed), SQLite uses LIKE over it.
    search_text: Mapped[str] = mapped_column(Text, default="")
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProjectDocument(Base):
    """An evidence document. Stored under the data directory by content hash, served only as a
    download (``Content-Disposition: attachment``), never rendered or executed."""

    __tablename__ = "project_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))  # feasibility_study, eia_approval, …
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(500))
    uploaded_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProjectEvent(Base):
    """One step of the review workflow or a comment: who, from which state to which, and why."""

    __tablename__ = "project_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    requested_evidence: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProjectCertificate(Base):
    """Certificate of green identification (绿色项目认定证书) with a public verification code."""

    __tablename__ = "project_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), unique=True
    )
    verification_code: Mapped[str] = mapped_column(String(40), unique=True, index=True)
    grade: Mapped[str] = mapped_column(String(10))
    item_code: Mapped[str | None] = mapped_column(String(20))
    edition: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# Library search (issue #6, migration 0005): PostgreSQL indexes the token array of
# ``projects.search_text`` with GIN and queries it with ``@>`` (no Chinese locale or parser
# needed); SQLite has no such index and searches with LIKE. ``ddl_if`` keeps it PostgreSQL-only.
Index(
    "ix_projects_search_tokens",
    func.string_to_array(Project.search_text, literal_column("' '")),
    postgresql_using="gin",
).ddl_if(dialect="postgresql")
# The library lists newest decisions first (ORDER BY decided_at DESC, id DESC, read backwards):
# with the status filter a common search word is found by walking this index, not by sorting
# every match. Both dialects.
Index("ix_projects_library_order", Project.status, Project.decided_at, Project.id)


class Product(Base):
    """A green financial product published by a bank, insurer or guarantor. ``rules_json`` holds
    its eligibility rules as data (catalogue items or categories, minimum grade, amount and term
    range, districts), evaluated by ``greenfin.library.matching``."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    product_type: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    rules_json: Mapped[str] = mapped_column(Text, default="{}")
    rate_min_pct: Mapped[float | None] = mapped_column(Float)
    rate_max_pct: Mapped[float | None] = mapped_column(Float)
    cerf_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    jinglvrong_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    jinglvtong_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FinancingDemand(Base):
    """An enterprise's financing demand for a library project; at most ``max_interested`` banks
    may engage (first come), the enterprise chooses one."""

    __tablename__ = "financing_demands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    term_months: Mapped[int] = mapped_column(Integer)
    financing_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), index=True)  # open, chosen, closed, withdrawn
    max_interested: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DemandInterest(Base):
    """A bank's interest in a demand and, once chosen, the outcome (granted or declined)."""

    __tablename__ = "demand_interests"
    __table_args__ = (
        UniqueConstraint("demand_id", "organisation_id", name="uq_demand_interests_bank"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("financing_demands.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    status: Mapped[str] = mapped_column(
        String(20)
    )  # interested, chosen, not_chosen, granted, declined
    note: Mapped[str | None] = mapped_column(Text)
    granted_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    granted_rate_pct: Mapped[float | None] = mapped_column(Float)
    granted_on: Mapped[date | None] = mapped_column(Date)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Notification(Base):
    """An in-app notification for the members of one organisation (match, interest, decision)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    message_zh: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NotificationRead(Base):
    """One user's reading of one notification: each member of an organisation reads for
    themselves (a colleague's click does not clear your badge)."""

    __tablename__ = "notification_reads"

    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
