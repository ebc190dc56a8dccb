"""who set a project's catalogue item: the screening or the reviewer

``projects.item_source`` is ``screening`` (the automatic screening's first item, accepted with
the project) or ``reviewer`` (the assigned reviewer replaced it, with the reason in the project's
events and the ledger). Projects screened before this migration could only carry the screening's
item, so they get ``screening``; the downgrade drops the column (a reviewer's item stays in
``item_code``, only who set it is lost).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_source", sa.String(length=20), nullable=True))
    op.execute("UPDATE projects SET item_source = 'screening' WHERE item_code IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("item_source")
