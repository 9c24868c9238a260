"""annotations: parents checked by the commit, not by per-row foreign keys

Foreign keys on ``annotations`` cost a trigger per row on PostgreSQL (three quarters of a bulk
``COPY``'s time) and a lookup per key per row on SQLite. Annotations are written only by the
import commit, which now locks and checks each distinct label and feature it writes once (see
``store.imports._check_parents``), so the per-row checks go.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_FKS = {
    "fk_annotations_label_id_labels": ("label_id", "labels"),
    "fk_annotations_feature_id_features": ("feature_id", "features"),
    "fk_annotations_job_id_import_jobs": ("job_id", "import_jobs"),
    "fk_annotations_superseded_by_import_jobs": ("superseded_by", "import_jobs"),
}


def _indexes(create: bool) -> None:
    # rebuilt by hand around SQLite's table copy: the partial unique index must keep its WHERE
    if not create:
        for name in ("uq_annotations_live_uid", "ix_annotations_job_id", "ix_annotations_superseded_by"):
            op.drop_index(name, table_name="annotations")
        return
    op.create_index("ix_annotations_job_id", "annotations", ["job_id"])
    op.create_index("ix_annotations_superseded_by", "annotations", ["superseded_by"])
    op.create_index(
        "uq_annotations_live_uid",
        "annotations",
        ["label_id", "uid"],
        unique=True,
        sqlite_where=sa.text("superseded_by IS NULL"),
        postgresql_where=sa.text("superseded_by IS NULL"),
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _indexes(create=False)
        with op.batch_alter_table("annotations", recreate="always") as batch:
            for name in _FKS:
                batch.drop_constraint(name, type_="foreignkey")
        _indexes(create=True)
    else:
        for name in _FKS:
            op.drop_constraint(name, "annotations", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _indexes(create=False)
        with op.batch_alter_table("annotations", recreate="always") as batch:
            for name, (col, parent) in _FKS.items():
                batch.create_foreign_key(name, parent, [col], ["id"])
        _indexes(create=True)
    else:
        for name, (col, parent) in _FKS.items():
            op.create_foreign_key(name, "annotations", parent, [col], ["id"])
