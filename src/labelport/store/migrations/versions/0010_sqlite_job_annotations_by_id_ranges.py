"""annotations: on SQLite a job's rows are found by the id ranges it wrote, not a job_id index

Only undo and the discarding of a failed job's rows look annotations up by job. SQLite has no
block-range index (PostgreSQL's, migration 0006), and its B-tree on ``job_id`` cost as much per
row as the live-uid index: the direct writer alone, 500,000 rows, 1.52 s of CPU with it and
1.17-1.26 s without. A job's rows are written in transactions that each add a run of consecutive
ids, so ``annotation_ranges`` keeps each run (its first and last id), written in the transaction
that wrote the rows, and the look-up reads those ids with the job's own id as a filter: a range
that another job's rows interleave is still exact. Jobs from before this revision get one range
each, from their smallest to their largest id. PostgreSQL keeps its index; the table stays empty
there.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annotation_ranges",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "first_id", name=op.f("pk_annotation_ranges")),
    )
    if op.get_context().dialect.name != "sqlite":
        return
    op.execute(
        "INSERT INTO annotation_ranges (job_id, first_id, last_id) "
        "SELECT job_id, MIN(id), MAX(id) FROM annotations GROUP BY job_id"
    )
    op.drop_index("ix_annotations_job_id", table_name="annotations")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.create_index("ix_annotations_job_id", "annotations", ["job_id"])
    op.drop_table("annotation_ranges")
