"""id_blocks: label ids taken while a job validates, before their rows exist

A job now writes the annotations of data rows that have no label straight to ``annotations``
while it validates, owned by the ids of labels its commit will make (``model.stored``); until
then nothing reaches them. Those ids must be taken before any row holds them: PostgreSQL's
sequence does that, SQLite numbers a row after the largest id when it is written. This table
keeps SQLite's next free id per table, and everyone who takes label ids takes them here.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 01:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "id_blocks",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("next_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_id_blocks")),
    )


def downgrade() -> None:
    op.drop_table("id_blocks")
