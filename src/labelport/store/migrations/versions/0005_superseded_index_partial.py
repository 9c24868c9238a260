"""annotations: the superseded_by index holds only superseded annotations

The index on ``superseded_by`` held an entry for every annotation, live ones under NULL. Without
statistics (a fresh workspace is never analyzed) SQLite's planner chose it for
``superseded_by IS NULL`` and read every live annotation of the workspace for each chunk of an
export: a million-annotation export took minutes. Only undo looks annotations up by this column
(``superseded_by = job``), and only superseded ones can match, so a partial index serves it and
costs an import nothing per new annotation.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_annotations_superseded_by", table_name="annotations")
    op.create_index(
        "ix_annotations_superseded_by",
        "annotations",
        ["superseded_by"],
        sqlite_where=sa.text("superseded_by IS NOT NULL"),
        postgresql_where=sa.text("superseded_by IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_annotations_superseded_by", table_name="annotations")
    op.create_index("ix_annotations_superseded_by", "annotations", ["superseded_by"])
