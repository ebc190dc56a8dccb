"""notifications are read per user

``notifications.read_at`` (one flag for the whole organisation: a colleague's click cleared
everyone's badge) becomes ``notification_reads`` (notification, user, read_at). A notification
read before the migration counts as read for every member the organisation has *at migration
time* (inactive ones included; the old flag did not say who read it), and the downgrade keeps
the earliest reading as the flag. On SQLite the batch drop of ``read_at`` recreates the table;
that is safe only because migrations run with foreign keys off (``env.py``), otherwise the
implicit DELETE would cascade into the reads just copied.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_reads",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("notification_id", "user_id"),
    )
    with op.batch_alter_table("notification_reads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_reads_user_id"), ["user_id"], unique=False
        )
    op.execute(
        "INSERT INTO notification_reads (notification_id, user_id, read_at) "
        "SELECT n.id, m.user_id, n.read_at FROM notifications n "
        "JOIN memberships m ON m.organisation_id = n.organisation_id "
        "WHERE n.read_at IS NOT NULL"
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("read_at")


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("read_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE notifications SET read_at = (SELECT min(r.read_at) FROM notification_reads r "
        "WHERE r.notification_id = notifications.id)"
    )
    with op.batch_alter_table("notification_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_reads_user_id"))
    op.drop_table("notification_reads")
