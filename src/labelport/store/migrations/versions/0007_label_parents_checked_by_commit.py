"""labels and job_rows: parents checked by the commit, not by per-row foreign keys

A commit writes one label and one journal row (``job_rows``) per data row it touches. On
PostgreSQL every row's foreign keys are a trigger that locks its parent (``FOR KEY SHARE``): for
100,000 new labels that was 2.1 s of a 2.9 s ``INSERT … SELECT``, and 1.5 s of the journal's
(measured with ``auto_explain``'s trigger times; the same statement with the keys dropped took
0.74 s). Their parents are data rows, projects and import jobs, which labelport never deletes;
the commit checks once that every touched data row exists (``store.imports._check_rows``), and
the project and the job are its own. As migration 0004 did for annotations, the per-row checks go.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 22:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_FKS = {
    "labels": {
        "fk_labels_project_id_projects": ("project_id", "projects"),
        "fk_labels_data_row_id_data_rows": ("data_row_id", "data_rows"),
        "fk_labels_job_id_import_jobs": ("job_id", "import_jobs"),
    },
    "job_rows": {
        "fk_job_rows_job_id_import_jobs": ("job_id", "import_jobs"),
        "fk_job_rows_data_row_id_data_rows": ("data_row_id", "data_rows"),
    },
}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, fks in _FKS.items():
        if sqlite:  # SQLite drops a constraint by copying the table
            with op.batch_alter_table(table, recreate="always") as batch:
                for name in fks:
                    batch.drop_constraint(name, type_="foreignkey")
        else:
            for name in fks:
                op.drop_constraint(name, table, type_="foreignkey")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, fks in _FKS.items():
        if sqlite:
            with op.batch_alter_table(table, recreate="always") as batch:
                for name, (col, parent) in fks.items():
                    batch.create_foreign_key(name, parent, [col], ["id"])
        else:
            for name, (col, parent) in fks.items():
                op.create_foreign_key(name, table, parent, [col], ["id"])
