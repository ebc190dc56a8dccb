"""loan book imports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 23:53:08.721509
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loan_book_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_organisation_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("outstanding_fen", sa.BigInteger(), nullable=False),
        sa.Column("parquet_path", sa.String(length=500), nullable=False),
        sa.Column("imported_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_organisation_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "bank_organisation_id", "as_of", "content_sha256", name="uq_loan_book_imports_file"
        ),
    )
    with op.batch_alter_table("loan_book_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loan_book_imports_bank_organisation_id"),
            ["bank_organisation_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("loan_book_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_book_imports_bank_organisation_id"))

    op.drop_table("loan_book_imports")
