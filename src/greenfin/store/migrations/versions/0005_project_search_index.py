"""project library search indexes

A GIN index over the token array of ``projects.search_text`` (character unigrams and bigrams,
see ``greenfin.library.search``), queried with ``string_to_array(search_text, ' ') @> '{…}'``
(PostgreSQL only: SQLite has no GIN and searches with LIKE), and a B-tree on (status,
decided_at, id) that serves the library's order, newest decision first (both dialects).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_projects_search_tokens"
ORDER_INDEX = "ix_projects_library_order"


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(ORDER_INDEX, ["status", "decided_at", "id"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        INDEX,
        "projects",
        [sa.text("string_to_array(search_text, ' ')")],
        unique=False,
        postgresql_using="gin",
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(INDEX, table_name="projects")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(ORDER_INDEX)
