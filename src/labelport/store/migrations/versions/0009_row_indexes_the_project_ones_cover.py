"""tasks and labels: no index of their own on ``data_row_id``

Every query of either table names its project (and a label's source) beside the data row, so the
unique indexes that lead with ``project_id`` find the rows, and labelport deletes no data row
(migration 0007), the one thing an index on ``data_row_id`` alone would serve. Each was one more
entry to write for every task and label a job makes or changes: a ground-truth commit of 100,000
data rows marks their 100,000 tasks done, and with ``ix_tasks_data_row_id`` that ``UPDATE`` took
0.73-0.75 s on PostgreSQL, without it 0.62 s (psql, the statement rolled back, the table rewritten
before each). ``ix_labels_data_row_id``'s share of the 100,000 new labels was within the noise.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 00:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_INDEXES = {"tasks": "ix_tasks_data_row_id", "labels": "ix_labels_data_row_id"}


def upgrade() -> None:
    for table, name in _INDEXES.items():
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, name in _INDEXES.items():
        op.create_index(name, table, ["data_row_id"], unique=False)
