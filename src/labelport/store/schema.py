"""The tables, as SQLAlchemy Core objects.

Core rather than ORM: imports write hundreds of thousands of rows per second through each
engine's bulk path (``executemany`` on SQLite, ``COPY`` on PostgreSQL), and reads are a handful of
explicit queries. JSON is kept as text that we encode with orjson: it is the fastest thing to
write on both engines, and nothing queries inside it.

Every table a later feature needs is here from the first migration, shaped for every media type:
annotations carry ``frame``/``frame_end`` (video, sequences, audio milliseconds), ``page`` (PDF),
``message_id`` (conversations) and ``track_id`` (objects that persist across frames); history for
undo is kept by superseding rows rather than deleting them.
"""

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

TS = sa.DateTime(timezone=True)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", TS, nullable=False),
)

data_rows = sa.Table(
    "data_rows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uid", sa.Text, nullable=False, unique=True),
    sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False, index=True),
    sa.Column("global_key", sa.Text, nullable=False, unique=True),
    sa.Column("external_id", sa.Text, index=True),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("parent_path", sa.Text, nullable=False),
    sa.Column("filename", sa.Text, nullable=False, index=True),
    sa.Column("metadata", sa.Text, nullable=False),  # JSON: probed media metadata
    sa.Column("tags", sa.Text, nullable=False),  # JSON list
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_data_rows_path", "parent_path", "filename"),
)

ontologies = sa.Table(
    "ontologies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("spec", sa.Text, nullable=False),  # JSON: the normalised document, feature ids included
    sa.Column("created_at", TS, nullable=False),
)

# The ontology's nodes, flattened, so annotations can reference a class by a small integer and
# counts per class are one GROUP BY.
features = sa.Table(
    "features",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ontology_id", sa.Integer, sa.ForeignKey("ontologies.id"), nullable=False),
    sa.Column("feature_id", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("node", sa.Text, nullable=False),  # tool | classification | option
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),  # tool kind, classification type, or "option"
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("features.id")),
    sa.UniqueConstraint("ontology_id", "path", name="uq_features_ontology_path"),
)

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("ontology_id", sa.Integer, sa.ForeignKey("ontologies.id"), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

batches = sa.Table(
    "batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("project_id", "name", name="uq_batches_project_name"),
)

tasks = sa.Table(
    "tasks",
    metadata,
    # keyed by project and row, the way every query finds a task (migration 0011): no id of its
    # own, and no index on the row alone (migration 0009)
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("data_row_id", sa.Integer, sa.ForeignKey("data_rows.id"), primary_key=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id")),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("stage", sa.Text, nullable=False),
    sa.Column("last_workers", sa.Text, nullable=False),  # JSON {stage: worker id | null}
    sa.Column("last_modifier", sa.Text),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("ix_tasks_project_status", "project_id", "status"),
)

import_jobs = sa.Table(
    "import_jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("format", sa.Text, nullable=False),
    sa.Column("mode", sa.Text, nullable=False),  # ground_truth | prelabel
    sa.Column("on_existing", sa.Text, nullable=False),  # fail | skip | replace
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("options", sa.Text, nullable=False),  # JSON: class map and format options
    sa.Column("payload", sa.Text, nullable=False),  # where the payload is (path or storage key)
    sa.Column("payload_sha256", sa.Text),
    sa.Column("idempotency_key", sa.Text, index=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("phase_done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("phase_total", sa.Integer),
    sa.Column("counts", sa.Text, nullable=False),  # JSON
    sa.Column("error", sa.Text),  # JSON {code, message} when the job could not run at all
    sa.Column("duplicate_of", sa.Integer, sa.ForeignKey("import_jobs.id")),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("started_at", TS),
    sa.Column("finished_at", TS),
    sa.Column("undone_at", TS),
)

labels = sa.Table(
    "labels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # no foreign keys: the commit checks its data rows once, and labelport deletes no data row,
    # project or job (migration 0007)
    sa.Column("project_id", sa.Integer, nullable=False),  # projects.id
    # data_rows.id, found by project, row and source (the unique constraint; migration 0009)
    sa.Column("data_row_id", sa.Integer, nullable=False),
    sa.Column("source", sa.Text, nullable=False),  # ground_truth | prelabel
    sa.Column("job_id", sa.Integer),  # import_jobs.id: the job that created it
    sa.Column("extra", sa.Text, nullable=False),  # JSON: label-level fields a format carries
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("project_id", "data_row_id", "source", name="uq_labels_project_row_source"),
)

# SQLite's ids handed out before their rows are written (a job's new labels, taken while it
# validates): the next free id per table, so that no one takes one twice. PostgreSQL's sequences
# do this there (migration 0008).
id_blocks = sa.Table(
    "id_blocks",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("next_id", sa.Integer, nullable=False),
)

annotations = sa.Table(
    "annotations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # no foreign keys: the commit checks each distinct label and feature once (migration 0004)
    sa.Column("label_id", sa.Integer, nullable=False),  # labels.id
    sa.Column("uid", sa.Text, nullable=False),  # the annotation's own id (uuid, AIMMO N-uuid, ...)
    sa.Column("feature_id", sa.Integer, nullable=False),  # features.id
    sa.Column("kind", sa.Text, nullable=False),  # bbox, polygon, ..., radio, checklist, text
    sa.Column("geometry", sa.Text),  # JSON, canonical units (see labelport.model.annotations)
    sa.Column("classifications", sa.Text),  # JSON: nested answers, or the answer itself
    sa.Column("frame", sa.Integer),
    sa.Column("frame_end", sa.Integer),
    sa.Column("page", sa.Integer),
    sa.Column("message_id", sa.Text),
    sa.Column("track_id", sa.Text),
    sa.Column("extra", sa.Text),  # JSON: format attributes kept for round trips (z_order, iscrowd…)
    sa.Column("job_id", sa.Integer, nullable=False),  # import_jobs.id
    sa.Column("superseded_by", sa.Integer),  # import_jobs.id
    sa.Index(
        "uq_annotations_live_uid",
        "label_id",
        "uid",
        unique=True,
        sqlite_where=sa.text("superseded_by IS NULL"),
        postgresql_where=sa.text("superseded_by IS NULL"),
    ),
    # undo finds a job's annotations by job: on PostgreSQL with a block-range index (migration
    # 0006), on SQLite by the id ranges the job wrote (annotation_ranges, migration 0010)
    sa.Index("ix_annotations_job_id", "job_id", postgresql_using="brin").ddl_if(dialect="postgresql"),
    # only the superseded: undo finds them by job (migration 0005)
    sa.Index(
        "ix_annotations_superseded_by",
        "superseded_by",
        sqlite_where=sa.text("superseded_by IS NOT NULL"),
        postgresql_where=sa.text("superseded_by IS NOT NULL"),
    ),
)

# On SQLite, the runs of consecutive annotation ids each job wrote, each recorded in the
# transaction that wrote its rows: how a job's annotations are found there (migration 0010).
# A range may hold other jobs' rows too; readers filter by ``annotations.job_id``.
annotation_ranges = sa.Table(
    "annotation_ranges",
    metadata,
    sa.Column("job_id", sa.Integer, primary_key=True),
    sa.Column("first_id", sa.Integer, primary_key=True),
    sa.Column("last_id", sa.Integer, nullable=False),
)

job_issues = sa.Table(
    "job_issues",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("import_jobs.id"), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("file", sa.Text),
    sa.Column("line", sa.Integer),
    sa.Column("pointer", sa.Text),
    sa.Column("annotation_id", sa.Text),
    sa.Column("data_row", sa.Text),
    sa.Column("value", sa.Text),  # JSON
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("hint", sa.Text),
    sa.Index("ix_job_issues_job_seq", "job_id", "seq"),
    sa.Index("ix_job_issues_job_code", "job_id", "code"),
)

# What a job did to each data row, and what the row's task was before: enough to undo it.
job_rows = sa.Table(
    "job_rows",
    metadata,
    # no foreign keys, as on labels (migration 0007)
    sa.Column("job_id", sa.Integer, primary_key=True),  # import_jobs.id
    sa.Column("data_row_id", sa.Integer, primary_key=True, index=True),  # data_rows.id
    sa.Column("outcome", sa.Text, nullable=False),  # created | updated | skipped
    sa.Column("label_id", sa.Integer),
    sa.Column("label_created", sa.Boolean, nullable=False),
    sa.Column("prev_task", sa.Text),  # JSON {status, stage, last_workers, last_modifier}
)

# What became of every input line (or file): runs of consecutive lines with one outcome, so a
# clean import of a million lines is one row and only the exceptions cost space.
job_lines = sa.Table(
    "job_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("import_jobs.id"), nullable=False, index=True),
    sa.Column("file", sa.Text),
    sa.Column("first_line", sa.Integer),
    sa.Column("last_line", sa.Integer),
    sa.Column(
        "outcome", sa.Text, nullable=False
    ),  # imported | would_import | not_imported | rejected | skipped
)
