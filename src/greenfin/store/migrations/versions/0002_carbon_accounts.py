"""carbon accounts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 22:56:59.939702
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carbon_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("inputs_json", sa.Text(), nullable=False),
        sa.Column("results_json", sa.Text(), nullable=False),
        sa.Column("total_tco2e", sa.Float(), nullable=False),
        sa.Column("intensity_tco2e_per_10k_cny", sa.Float(), nullable=True),
        sa.Column("grade", sa.String(length=20), nullable=True),
        sa.Column("submitted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "year", name="uq_carbon_accounts_org_year"),
    )
    with op.batch_alter_table("carbon_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_carbon_accounts_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("carbon_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carbon_accounts_organisation_id"))

    op.drop_table("carbon_accounts")
