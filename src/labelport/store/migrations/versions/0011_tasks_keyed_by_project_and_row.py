"""tasks: keyed by project and data row, without an id of their own

Every query of ``tasks`` finds its rows by project and data row, which the unique constraint
``uq_tasks_project_row`` indexed beside a primary key on an ``id`` that nothing read or
referenced. That key was one more index entry for every task a batch makes and, on PostgreSQL,
for every task a ground-truth commit marks done: the new version of a row whose status changes is
written to each of its indexes. Marking 100,000 tasks done (psql, rolled back, the table rewritten
before each) took 0.78-1.04 s with ``pk_tasks`` on ``id`` and 0.61-0.78 s without it. The pair is
the primary key now (``pk_tasks``); on SQLite the table keeps its rowid, so the pair's index is
the one it had.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint("uq_tasks_project_row", type_="unique")
        batch.drop_constraint("pk_tasks", type_="primary")
        batch.drop_column("id")
        batch.create_primary_key("pk_tasks", ["project_id", "data_row_id"])


def downgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint("pk_tasks", type_="primary")
        # numbered below: SQLite from the rowid, PostgreSQL from a new sequence the column owns
        batch.add_column(sa.Column("id", sa.Integer, nullable=True))
    if sqlite:
        op.execute("UPDATE tasks SET id = rowid")
    else:
        op.execute("CREATE SEQUENCE tasks_id_seq OWNED BY tasks.id")
        op.execute("UPDATE tasks SET id = nextval('tasks_id_seq')")
        op.execute("ALTER TABLE tasks ALTER COLUMN id SET DEFAULT nextval('tasks_id_seq')")
    with op.batch_alter_table("tasks") as batch:
        batch.alter_column("id", existing_type=sa.Integer, nullable=False)
        batch.create_primary_key("pk_tasks", ["id"])
        batch.create_unique_constraint("uq_tasks_project_row", ["project_id", "data_row_id"])
