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
    Integer,
    String,
    Text,
    UniqueConstraint,
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
