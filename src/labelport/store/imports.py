"""Import jobs in the store: their records and issues, the project snapshot they validate
against, the one-transaction commit of their labels, and undo.

The commit is the only writer of labels. Everything it does happens inside the caller's
transaction, so a crash (or SIGKILL) at any point leaves no partial labels, and a dry run is the
same commit rolled back. The annotations of rows that get a new label are written before it,
while the job validates, owned by label ids taken for them (:func:`reserve_label_ids`): until
the commit makes those labels nothing reaches them, and a job that stops short deletes them
(:func:`discard_unowned`; a crashed one when it runs again).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import msgspec
import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from labelport.model.errors import ConflictError, NotFoundError
from labelport.model.issues import Issue, Location, Severity
from labelport.model.jobs import COUNT_KEYS, ImportJob, JobState, Mode, OnExisting
from labelport.model.records import Annotation, LabelFields, RowRef, StoredAnnotation, answer_from_json
from labelport.model.snapshot import RowInfo, Snapshot
from labelport.store import bulk, spool_writer
from labelport.store.catalog import _aware, now
from labelport.store.db import transaction
from labelport.store.ontologies import feature_pks, load_ontology
from labelport.store.schema import (
    annotation_ranges,
    data_rows,
    features,
    id_blocks,
    import_jobs,
    job_issues,
    job_lines,
    job_rows,
    labels,
    projects,
    tasks,
)
from labelport.store.schema import annotations as annotations_t
from labelport.store.spool import SPOOL_COLUMNS, DirectSpool, Spool, SqliteSpool

# the spool's row with the row's label for its first column and the job appended
ANNOTATION_COLUMNS = ("label_id", "uid", "feature_id", *SPOOL_COLUMNS[3:], "job_id")


def _json(v: Any) -> str | None:
    return None if v is None else orjson.dumps(v).decode()


# --- jobs ---------------------------------------------------------------------------------------


def create_job(
    conn: sa.Connection,
    *,
    project_id: int,
    name: str,
    format: str,
    mode: Mode,
    on_existing: OnExisting,
    dry_run: bool,
    options: dict[str, Any],
    payload: str,
    sha256: str | None,
    key: str | None,
) -> int:
    res = conn.execute(
        sa.insert(import_jobs).values(
            project_id=project_id,
            name=name,
            format=format,
            mode=mode.value,
            on_existing=on_existing.value,
            dry_run=dry_run,
            options=orjson.dumps(options).decode(),
            payload=payload,
            payload_sha256=sha256,
            idempotency_key=key,
            state=JobState.QUEUED.value,
            counts=orjson.dumps(dict.fromkeys(COUNT_KEYS, 0)).decode(),
            created_at=now(),
        )
    )
    assert res.inserted_primary_key is not None
    return int(res.inserted_primary_key[0])


def update_job(conn: sa.Connection, job_id: int, **values: Any) -> None:
    if "counts" in values:
        values["counts"] = orjson.dumps(values["counts"]).decode()
    if "error" in values and values["error"] is not None:
        values["error"] = orjson.dumps(values["error"]).decode()
    if "state" in values:
        values["state"] = JobState(values["state"]).value
    conn.execute(sa.update(import_jobs).where(import_jobs.c.id == job_id).values(**values))


def find_duplicate(conn: sa.Connection, project_id: int, key: str, before: int) -> int | None:
    q = (
        sa.select(import_jobs.c.id)
        .where(
            import_jobs.c.project_id == project_id,
            import_jobs.c.idempotency_key == key,
            import_jobs.c.state == JobState.SUCCEEDED.value,
            import_jobs.c.dry_run.is_(False),
            import_jobs.c.undone_at.is_(None),
            import_jobs.c.duplicate_of.is_(None),
            import_jobs.c.id < before,
        )
        .order_by(import_jobs.c.id.desc())
        .limit(1)
    )
    found = conn.execute(q).scalar()
    return None if found is None else int(found)


def job_record(conn: sa.Connection, job_id: int) -> Any:
    q = (
        sa.select(import_jobs, projects.c.name.label("project_name"))
        .join(projects, projects.c.id == import_jobs.c.project_id)
        .where(import_jobs.c.id == job_id)
    )
    r = conn.execute(q).first()
    if r is None:
        raise NotFoundError(f"no import job {job_id}", code="job_not_found")
    return r


def to_job(
    conn: sa.Connection, r: Any, *, issues_limit: int | None = 0, with_lines: bool = True
) -> ImportJob:
    by_code = {
        code: n
        for code, n in conn.execute(
            sa.select(job_issues.c.code, sa.func.count())
            .where(job_issues.c.job_id == r.id)
            .group_by(job_issues.c.code)
            .order_by(job_issues.c.code)
        )
    }
    items = list(iter_issues(conn, r.id, limit=issues_limit)) if issues_limit != 0 else []
    return ImportJob(
        id=r.id,
        project=r.project_name,
        name=r.name,
        format=r.format,
        mode=Mode(r.mode),
        on_existing=OnExisting(r.on_existing),
        state=JobState(r.state),
        dry_run=bool(r.dry_run),
        payload=r.payload,
        payload_sha256=r.payload_sha256,
        counts=orjson.loads(r.counts),
        progress={"done": r.phase_done, "total": r.phase_total},
        error=orjson.loads(r.error) if r.error else None,
        duplicate_of=r.duplicate_of,
        undone=r.undone_at is not None,
        created_at=_aware(r.created_at),
        started_at=_opt(r.started_at),
        finished_at=_opt(r.finished_at),
        undone_at=_opt(r.undone_at),
        lines=get_lines(conn, r.id) if with_lines else [],
        issues=items,
        issues_by_code=by_code,
    )


def _opt(ts: datetime | None) -> datetime | None:
    return None if ts is None else _aware(ts)


def list_jobs(conn: sa.Connection, project_id: int) -> list[Any]:
    q = (
        sa.select(import_jobs, projects.c.name.label("project_name"))
        .join(projects, projects.c.id == import_jobs.c.project_id)
        .where(import_jobs.c.project_id == project_id)
        .order_by(import_jobs.c.id)
    )
    return list(conn.execute(q))


def add_issues(conn: sa.Connection, job_id: int, first_seq: int, items: Sequence[Issue]) -> None:
    rows = [
        {
            "job_id": job_id,
            "seq": first_seq + i,
            "code": x.code,
            "severity": x.severity.value,
            "file": x.location.file,
            "line": x.location.line,
            "pointer": x.location.pointer,
            "annotation_id": x.location.annotation_id,
            "data_row": x.location.data_row,
            "value": _json(x.value),
            "message": x.message,
            "hint": x.hint,
        }
        for i, x in enumerate(items)
    ]
    if rows:
        conn.execute(sa.insert(job_issues), rows)


def iter_issues(
    conn: sa.Connection,
    job_id: int,
    *,
    offset: int = 0,
    limit: int | None = None,
    code: str | None = None,
    data_row: str | None = None,
    page: int = 1000,
) -> Iterator[Issue]:
    """Issues in payload order, read a page at a time (never all in memory)."""
    after = -1
    skipped = 0
    given = 0
    while True:
        q = sa.select(job_issues).where(job_issues.c.job_id == job_id, job_issues.c.seq > after)
        if code is not None:
            q = q.where(job_issues.c.code == code)
        if data_row is not None:
            q = q.where(job_issues.c.data_row == data_row)
        batch = list(conn.execute(q.order_by(job_issues.c.seq).limit(page)))
        if not batch:
            return
        for r in batch:
            after = r.seq
            if skipped < offset:
                skipped += 1
                continue
            if limit is not None and given >= limit:
                return
            given += 1
            yield issue_of(r)


def issue_of(r: Any) -> Issue:
    """An issue from its ``job_issues`` row (the keyset pages read the same rows)."""
    return Issue(
        code=r.code,
        message=r.message,
        severity=Severity(r.severity),
        location=Location(
            file=r.file,
            line=r.line,
            pointer=r.pointer,
            annotation_id=r.annotation_id,
            data_row=r.data_row,
        ),
        value=orjson.loads(r.value) if r.value is not None else None,
        hint=r.hint,
    )


def set_lines(conn: sa.Connection, job_id: int, runs: Sequence[Sequence[Any]]) -> None:
    conn.execute(sa.delete(job_lines).where(job_lines.c.job_id == job_id))
    if runs:
        conn.execute(
            sa.insert(job_lines),
            [
                {"job_id": job_id, "file": f, "first_line": a, "last_line": b, "outcome": o}
                for f, a, b, o in runs
            ],
        )


def get_lines(conn: sa.Connection, job_id: int) -> list[dict[str, Any]]:
    q = sa.select(job_lines).where(job_lines.c.job_id == job_id).order_by(job_lines.c.id)
    return [
        {"file": r.file, "first_line": r.first_line, "last_line": r.last_line, "outcome": r.outcome}
        for r in conn.execute(q)
    ]


# --- the snapshot -------------------------------------------------------------------------------


# What `_row_info` reads, in its order: a data row joined with its task in the project, then the
# id of the row's label of the job's source, if any.
_ROW_INFO_COLUMNS = (
    data_rows.c.id,
    data_rows.c.uid,
    data_rows.c.global_key,
    data_rows.c.media_type,
    data_rows.c.metadata,
    data_rows.c.parent_path,
    data_rows.c.filename,
    data_rows.c.external_id,
    tasks.c.status,
)


def _row_info(
    pk: int,
    uid: str,
    global_key: str,
    media_type: str,
    metadata: str,
    parent_path: str,
    filename: str,
    external_id: str | None,
    status: str,
    label_id: int | None,
) -> RowInfo:
    """A data row as queried by the snapshot and the exporter, taken by position: a SQLAlchemy
    row's attributes cost about a microsecond each, and reading ten of them was 1.1 s of the
    1.3 s a snapshot of 100,000 rows took."""
    meta = orjson.loads(metadata)
    return RowInfo(
        pk, uid, global_key, media_type, meta, parent_path, filename, external_id, status, label_id
    )


def load_snapshot(conn: sa.Connection, project: Any, source: str) -> Snapshot:
    lab = (
        sa.select(labels.c.data_row_id, labels.c.id)
        .where(labels.c.project_id == project.id, labels.c.source == source)
        .subquery()
    )
    q = (
        sa.select(
            *_ROW_INFO_COLUMNS,
            lab.c.id.label("label_id"),
        )
        .join(tasks, tasks.c.data_row_id == data_rows.c.id)
        .outerjoin(lab, lab.c.data_row_id == data_rows.c.id)
        .where(tasks.c.project_id == project.id)
    )
    found: Sequence[Any] = conn.execute(q).all()  # one fetch, not one per row
    rows = [_row_info(*r) for r in found]
    pks = feature_pks(conn, project.ontology_id)
    top = {p: pk for p, pk in pks.items() if "/" not in p and "=" not in p}
    return Snapshot(
        project_id=project.id,
        media_type=project.media_type,
        ontology=load_ontology(conn, project.ontology_id),
        top_level_pk=top,
        rows=rows,
    )


def row_exists(conn: sa.Connection, ref: RowRef) -> bool:
    """Is the row anywhere in the workspace (to tell "not found" from "not in this project")?"""
    c = data_rows.c
    if ref.global_key is not None:
        cond = c.global_key == ref.global_key
    elif ref.id is not None:
        cond = c.uid == ref.id
    elif ref.parent_path is not None and ref.filename is not None:
        parent = "/" + ref.parent_path.strip("/") if ref.parent_path.strip("/") else "/"
        cond = sa.and_(c.parent_path == parent, c.filename == ref.filename)
    elif ref.filename is not None:
        rel = ref.filename.strip("/")
        if "/" in rel:  # a path: the row at that path, not any row of that basename
            parent, name = rel.rsplit("/", 1)
            cond = sa.and_(c.filename == name, c.parent_path.like(f"%/{parent}"))
            if ref.stem:
                cond = sa.and_(c.filename.like(f"{name}.%"), c.parent_path.like(f"%/{parent}"))
        else:
            cond = c.filename.like(f"{rel}.%") if ref.stem else c.filename == rel
    else:
        return False
    return conn.execute(sa.select(c.id).where(cond).limit(1)).first() is not None


# --- the commit ---------------------------------------------------------------------------------


class RowChange:
    """What the commit does to one data row; filled by the job from the validator's plans.
    ``label_id``: the row's label, when it has one; ``new_label``: the id the job took for the
    label the commit makes, when it took one (:func:`reserve_label_ids`)."""

    __slots__ = ("label_id", "last_modifier", "last_workers", "new_label", "outcome", "row_pk")

    def __init__(
        self,
        row_pk: int,
        outcome: str,
        label_id: int | None,
        last_workers: dict[str, str | None] | None,
        last_modifier: str | None,
        new_label: int | None = None,
    ) -> None:
        self.row_pk, self.outcome, self.label_id = row_pk, outcome, label_id
        self.last_workers, self.last_modifier = last_workers, last_modifier
        self.new_label = new_label


def commit(
    conn: sa.Connection,
    *,
    job_id: int,
    project_id: int,
    mode: Mode,
    changes: Sequence[RowChange],
    accepted: Spool,
    direct: DirectSpool | None = None,
) -> dict[str, int]:
    """Write a job's labels from the spool its validation filled (read twice when rows are
    replaced). On SQLite the spool stays attached to ``conn`` until :func:`release_spool`.

    ``direct``: the annotations already written, owned by the new labels whose ids the job took
    (``RowChange.new_label``); flushed by the caller before this transaction began, since on
    SQLite its writer needs the write lock this transaction holds."""
    ts = now()
    source = mode.source
    touched = [c for c in changes if c.outcome in ("create", "replace")]
    skipped = [c for c in changes if c.outcome == "skip"]
    existing = {c.label_id for c in touched if c.label_id is not None}
    if conn.dialect.name == "postgresql":
        # the joins and sorts over the touched rows in memory, not split into temporary files
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    # rows without a label get one, with an id taken here: the statements below join them by it
    new = sorted(c.row_pk for c in touched if c.label_id is None and c.new_label is None)
    first = _reserve_ids(conn, "labels", len(new)) if new else 0
    made = {pk: first + i for i, pk in enumerate(new)}
    made.update((c.row_pk, c.new_label) for c in touched if c.label_id is None and c.new_label is not None)
    _touched_table(
        conn,
        [
            (c.row_pk, made[c.row_pk] if c.label_id is None else c.label_id, c.label_id is None)
            for c in touched
        ],
    )
    _check_rows(conn, [c.row_pk for c in skipped])
    if made:
        _new_labels(conn, project_id, source, job_id, ts)
    _journal(conn, job_id, project_id)
    if skipped:
        conn.execute(
            sa.insert(job_rows),
            [
                {
                    "job_id": job_id,
                    "data_row_id": c.row_pk,
                    "outcome": "skipped",
                    "label_id": None,
                    "label_created": False,
                    "prev_task": None,
                }
                for c in skipped
            ],
        )
    replaced = 0
    # rows replaced in place: their label exists, and what it holds is superseded by uid
    label_of = {c.row_pk: c.label_id for c in touched if c.outcome == "replace" and c.label_id is not None}
    if label_of:
        replaced = _supersede(conn, job_id, ((label_of[r[0]], r[1]) for r in accepted if r[0] in label_of))
    # the labels made above exist: this transaction made them. The spool's features are known
    # once it is flushed (the direct spool's caller flushed it)
    accepted.flush()
    _check_parents(conn, existing, accepted.features | (direct.features if direct is not None else set()))
    n = _copy_spool(conn, accepted, job_id) + (direct.count if direct is not None else 0)
    _drop_touched_table(conn)
    done = 0
    if mode is Mode.GROUND_TRUTH and touched:
        done = _mark_done(conn, job_id, project_id, touched, ts)
    return {
        "annotations_imported": n,
        "annotations_replaced": replaced,
        "data_rows_done": done,
        "data_rows_skipped": len(skipped),
    }


def _check_parents(conn: sa.Connection, label_ids: set[int], feature_ids: set[int]) -> None:
    """What foreign keys on ``annotations`` would check per row, once per distinct parent: every
    label and feature the job writes exists, and on PostgreSQL is locked (``FOR KEY SHARE``) so
    that nothing deletes it before the commit (see migration 0004)."""
    for table, wanted in ((labels, label_ids), (features, feature_ids)):
        _refuse_missing(table, _missing(conn, table, wanted, lock=True))


def _check_rows(conn: sa.Connection, skipped: Sequence[int]) -> None:
    """What the labels' and the journal's foreign keys checked per row (migration 0007), once:
    every data row the commit writes for exists. labelport deletes no data row, so this only
    catches a workspace changed behind its back; it takes no locks (100,000 row locks cost as
    much as the per-row checks did)."""
    touched = conn.execute(
        sa.text(
            "SELECT count(*) FROM lp_touched t "
            "WHERE NOT EXISTS (SELECT 1 FROM data_rows d WHERE d.id = t.row_pk)"
        )
    ).scalar_one()
    _refuse_missing(data_rows, touched + _missing(conn, data_rows, set(skipped), lock=False))


def _missing(conn: sa.Connection, table: sa.Table, wanted: set[int], *, lock: bool) -> int:
    """How many of the ids ``wanted`` are not in ``table`` (10,000 ids a query); ``lock``: the
    rows found are locked against deletion (``FOR KEY SHARE`` on PostgreSQL)."""
    ids = sorted(wanted)
    found = 0
    for i in range(0, len(ids), 10_000):
        q = sa.select(table.c.id).where(table.c.id.in_(ids[i : i + 10_000]))
        found += len(conn.execute(q.with_for_update(read=True, key_share=True) if lock else q).all())
    return len(ids) - found


def _refuse_missing(table: sa.Table, missing: int) -> None:
    if missing:
        raise ConflictError(
            f"{missing} of the {table.name.replace('_', ' ')} this import writes to no longer exist",
            code="parent_missing",
            hint="run the import again",
        )


def _copy_spool(conn: sa.Connection, spool: Spool, job_id: int) -> int:
    """One ``INSERT … SELECT`` from the spool's table, each row's label id joined from the touched
    rows' table: no row passes through Python. The new annotations' ids follow the spool's order
    (the payload's). SQLite reads the spool in that order at no cost and numbers new rows after
    the largest id itself (an explicit id costs each row a search of the table: 10 % of the copy).
    PostgreSQL would sort the spool (2.1 s of a 7.3 s copy of a million rows), so there the ids
    are computed from the spool's order instead."""
    spool.flush()
    cols = ", ".join(ANNOTATION_COLUMNS)
    picked = ", ".join(spool.selected("s")[1:])
    order = f"s.{spool.order}"
    if isinstance(spool, SqliteSpool):
        conn.exec_driver_sql("ATTACH DATABASE ? AS lp_spool", (spool.path,))
        source = f"lp_spool.{spool.table}"
        into, first, last, values = cols, "", f" ORDER BY {order}", {"job": job_id}
    else:
        source = spool.table
        lo, hi = conn.execute(sa.text(f"SELECT min({order}), max({order}) FROM {source} s")).one()
        if lo is None:
            return 0
        offset = _reserve_ids(conn, "annotations", hi - lo + 1) - lo
        into, first, last, values = (
            f"id, {cols}",
            f":offset + {order}, ",
            "",
            {"job": job_id, "offset": offset},
        )
    sqlite = isinstance(spool, SqliteSpool)
    top = spool_writer.TOP_ID.format(table="annotations")
    before = int(conn.exec_driver_sql(top).scalar_one()) if sqlite else 0
    res = conn.execute(
        sa.text(
            f"INSERT INTO annotations ({into}) SELECT {first}m.label_id, {picked}, :job "
            f"FROM {source} s JOIN lp_touched m ON m.row_pk = s.owner{last}"
        ),
        values,
    )
    n = int(res.rowcount)
    if sqlite and n:  # its run of ids, as the direct writer records its own
        after = int(conn.exec_driver_sql(top).scalar_one())
        start = spool_writer.run_start(before, after, n)
        conn.exec_driver_sql(spool_writer.RECORD_RUN, (job_id, start, after))
    return n


def _job_annotations(conn: sa.Connection, job_id: int) -> list[sa.ColumnElement[bool]]:
    """Where a job's annotations are, one condition per place to look: on PostgreSQL the job id
    (a block-range index finds it), on SQLite each run of ids the job wrote with the job id as a
    filter (``annotation_ranges``, migration 0010), since an index on the job id cost SQLite's
    writer a third of its time. Each condition is its own statement, so SQLite reads each run by
    its ids."""
    by_job = annotations_t.c.job_id == job_id
    if conn.dialect.name == "postgresql":
        return [by_job]
    r = annotation_ranges.c
    runs = conn.execute(sa.select(r.first_id, r.last_id).where(r.job_id == job_id).order_by(r.first_id))
    return [sa.and_(annotations_t.c.id.between(lo, hi), by_job) for lo, hi in runs]


def _reserve_ids(conn: sa.Connection, table: str, n: int) -> int:
    """The first of ``n`` consecutive new ids of ``table`` that no one else takes. On SQLite they
    follow both the largest id and every id handed out before (``id_blocks``: a job takes its
    new labels' ids while it validates, before their rows exist); the write lock this transaction
    holds keeps two takers apart. On PostgreSQL they are taken from the table's id sequence in
    one step, which takers take in turns: under a lock of a short transaction of its own
    (sequences are not transactional), so that the lock goes with that transaction whatever
    happens, and the caller's own is never left waiting on it."""
    if conn.dialect.name != "postgresql":
        top = conn.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")).scalar_one()
        given = conn.execute(sa.select(id_blocks.c.next_id).where(id_blocks.c.name == table)).scalar()
        first = max(int(top), int(given or 0))
        conn.execute(
            sqlite_insert(id_blocks)
            .values(name=table, next_id=first + n)
            .on_conflict_do_update(index_elements=["name"], set_={"next_id": first + n})
        )
        return first
    key: sa.ColumnClause[Any] = sa.literal_column(
        f"hashtext(current_database() || '.' || current_schema() || '.{table}_ids')"
    )
    seq = f"pg_get_serial_sequence('{table}', 'id')"
    with conn.engine.begin() as own:
        own.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
        last = own.execute(sa.text(f"SELECT setval({seq}, nextval({seq}) + :n - 1)"), {"n": n}).scalar_one()
    return int(last) - n + 1


def reserve_label_ids(engine: sa.Engine, n: int) -> int:
    """The first of ``n`` label ids taken now, in a transaction of their own, for labels a job's
    commit will make (``RowChange.new_label``); ids taken and never used are gaps, as a
    sequence leaves."""
    with transaction(engine) as conn:
        return _reserve_ids(conn, "labels", n)


def discard_unowned(conn: sa.Connection, job_id: int) -> int:
    """Delete the annotations a job wrote straight to their table for labels it did not make
    (it failed, was cancelled, or crashed before its commit); they were never seen. Annotations of
    labels that exist are the committed job's and stay."""
    unowned = ~sa.exists().where(labels.c.id == annotations_t.c.label_id)
    return sum(
        int(conn.execute(sa.delete(annotations_t).where(where, unowned)).rowcount)
        for where in _job_annotations(conn, job_id)
    )


def release_spool(conn: sa.Connection, spool: Spool) -> None:
    """Detach a SQLite spool from the connection once its transaction has ended (SQLite cannot
    detach inside one); a no-op for anything else."""
    if isinstance(spool, SqliteSpool):
        raw = conn.connection.driver_connection
        attached = {row[1] for row in raw.execute("PRAGMA database_list")}  # type: ignore[union-attr]
        if "lp_spool" in attached:
            raw.execute("DETACH DATABASE lp_spool")  # type: ignore[union-attr]


_TOUCHED = sa.table("lp_touched", sa.column("row_pk"), sa.column("label_id"), sa.column("created"))


def _touched_table(conn: sa.Connection, rows: Sequence[tuple[int, int, bool]]) -> None:
    """The rows this commit writes labels for, as a temporary table the statements below join:
    the new labels, the journal and the spool's copy then run inside the database. ``created``:
    the row has no label yet (:func:`_new_labels` makes it, with the ``label_id`` given here)."""
    pg = conn.dialect.name == "postgresql"
    conn.exec_driver_sql(
        "CREATE TEMP TABLE lp_touched (row_pk INTEGER PRIMARY KEY, label_id INTEGER, "
        f"created BOOLEAN NOT NULL){' ON COMMIT DROP' if pg else ''}"
    )
    bulk.insert(conn, _TOUCHED, ("row_pk", "label_id", "created"), rows)  # type: ignore[arg-type]
    if pg:
        conn.exec_driver_sql("ANALYZE lp_touched")


def _new_labels(conn: sa.Connection, project_id: int, source: str, job_id: int, ts: datetime) -> None:
    """The labels of the touched rows that had none, made in SQL from the touched rows' table,
    with the ids the commit took for them."""
    t = _TOUCHED.c
    conn.execute(
        sa.insert(labels).from_select(
            ["id", "project_id", "data_row_id", "source", "job_id", "extra", "created_at"],
            sa.select(
                t.label_id,
                sa.literal(project_id),
                t.row_pk,
                sa.literal(source),
                sa.literal(job_id),
                sa.literal("{}"),
                sa.literal(ts, labels.c.created_at.type),
            )
            .where(t.created)
            .order_by(t.row_pk),
        )
    )


def _drop_touched_table(conn: sa.Connection) -> None:
    if conn.dialect.name != "postgresql":  # PostgreSQL drops it at the end of the transaction
        conn.exec_driver_sql("DROP TABLE lp_touched")


def _journal(conn: sa.Connection, job_id: int, project_id: int) -> None:
    """What undo needs per touched row: its outcome, its label, and its task as it was before."""
    if conn.dialect.name == "postgresql":
        # the object's text joined from its parts: ``last_workers`` is JSON text already (this
        # store's own), and the strings are quoted by ``to_json``. 100,000 tasks' took 0.19-0.22 s
        # against 0.28-0.44 s with json_build_object, which parsed ``last_workers`` to write it again
        task = (
            """'{"status":' || to_json(k.status) || ',"stage":' || to_json(k.stage) || """
            """',"last_workers":' || k.last_workers || ',"last_modifier":' || """
            "COALESCE(to_json(k.last_modifier)::text, 'null') || '}'"
        )
    else:
        task = (
            "json_object('status', k.status, 'stage', k.stage, 'last_workers', json(k.last_workers), "
            "'last_modifier', k.last_modifier)"
        )
    conn.execute(
        sa.text(
            "INSERT INTO job_rows (job_id, data_row_id, outcome, label_id, label_created, prev_task) "
            "SELECT :job, t.row_pk, CASE WHEN t.created THEN 'created' ELSE 'updated' END, t.label_id, "
            f"t.created, CASE WHEN k.data_row_id IS NULL THEN NULL ELSE {task} END "
            "FROM lp_touched t LEFT JOIN tasks k ON k.project_id = :project AND k.data_row_id = t.row_pk "
            "ORDER BY t.row_pk"
        ),
        {"job": job_id, "project": project_id},
    )


def _supersede(conn: sa.Connection, job_id: int, pairs: Iterable[tuple[int, str]]) -> int:
    """Mark the live annotations the payload re-imports by id as replaced by this job."""
    pg = conn.dialect.name == "postgresql"
    conn.exec_driver_sql(
        "CREATE TEMP TABLE lp_incoming (label_id INTEGER, uid TEXT)" + (" ON COMMIT DROP" if pg else "")
    )
    tmp = sa.table("lp_incoming", sa.column("label_id"), sa.column("uid"))
    bulk.insert(conn, tmp, ("label_id", "uid"), pairs)  # type: ignore[arg-type]
    res = conn.execute(
        sa.text(
            "UPDATE annotations SET superseded_by = :job WHERE superseded_by IS NULL AND EXISTS "
            "(SELECT 1 FROM lp_incoming t"
            " WHERE t.label_id = annotations.label_id AND t.uid = annotations.uid)"
        ),
        {"job": job_id},
    )
    if not pg:
        conn.exec_driver_sql("DROP TABLE lp_incoming")
    return int(res.rowcount or 0)


def _mark_done(
    conn: sa.Connection, job_id: int, project_id: int, touched: Sequence[RowChange], ts: datetime
) -> int:
    rows_of_job = sa.select(job_rows.c.data_row_id).where(
        job_rows.c.job_id == job_id, job_rows.c.outcome != "skipped"
    )
    res = conn.execute(
        sa.update(tasks)
        .where(tasks.c.project_id == project_id, tasks.c.data_row_id.in_(rows_of_job))
        .values(status="done", updated_at=ts)
    )
    with_people = [c for c in touched if c.last_workers is not None or c.last_modifier is not None]
    if with_people:
        current = {
            r.data_row_id: r
            for r in conn.execute(
                sa.select(tasks.c.data_row_id, tasks.c.last_workers, tasks.c.last_modifier).where(
                    tasks.c.project_id == project_id, tasks.c.data_row_id.in_([c.row_pk for c in with_people])
                )
            )
        }
        conn.execute(
            sa.update(tasks)
            .where(tasks.c.project_id == project_id, tasks.c.data_row_id == sa.bindparam("rpk"))
            .values(last_workers=sa.bindparam("lw"), last_modifier=sa.bindparam("lm")),
            [
                {
                    "rpk": c.row_pk,
                    "lw": orjson.dumps(
                        {**orjson.loads(current[c.row_pk].last_workers), **(c.last_workers or {})}
                    ).decode(),
                    "lm": c.last_modifier if c.last_modifier is not None else current[c.row_pk].last_modifier,
                }
                for c in with_people
            ],
        )
    return int(res.rowcount or 0)


# --- undo ---------------------------------------------------------------------------------------


def undo(conn: sa.Connection, job_id: int) -> None:
    r = job_record(conn, job_id)
    if r.state != JobState.SUCCEEDED.value or r.dry_run or r.duplicate_of is not None:
        raise ConflictError(
            f"job {job_id} changed nothing that can be undone ({'a dry run' if r.dry_run else r.state})",
            code="nothing_to_undo",
        )
    if r.undone_at is not None:
        raise ConflictError(f"job {job_id} was already undone", code="already_undone")
    mine = sa.select(job_rows.c.data_row_id).where(
        job_rows.c.job_id == job_id, job_rows.c.outcome != "skipped"
    )
    later = (
        conn.execute(
            sa.select(job_rows.c.job_id)
            .distinct()
            .join(import_jobs, import_jobs.c.id == job_rows.c.job_id)
            .where(
                job_rows.c.data_row_id.in_(mine),
                job_rows.c.job_id > job_id,
                job_rows.c.outcome != "skipped",
                import_jobs.c.project_id == r.project_id,
                import_jobs.c.undone_at.is_(None),
                import_jobs.c.state == JobState.SUCCEEDED.value,
            )
            .order_by(job_rows.c.job_id)
        )
        .scalars()
        .all()
    )
    if later:
        raise ConflictError(
            f"job {job_id} cannot be undone: later jobs {', '.join(map(str, later))} touched "
            "the same data rows",
            code="undo_blocked",
            hint="undo those jobs first, newest first",
        )
    for where in _job_annotations(conn, job_id):
        conn.execute(sa.delete(annotations_t).where(where))
    conn.execute(sa.delete(annotation_ranges).where(annotation_ranges.c.job_id == job_id))
    conn.execute(
        sa.update(annotations_t).where(annotations_t.c.superseded_by == job_id).values(superseded_by=None)
    )
    prev = list(
        conn.execute(
            sa.select(
                job_rows.c.data_row_id, job_rows.c.prev_task, job_rows.c.label_id, job_rows.c.label_created
            ).where(job_rows.c.job_id == job_id, job_rows.c.outcome != "skipped")
        )
    )
    restore = [{"rpk": p.data_row_id, **orjson.loads(p.prev_task)} for p in prev if p.prev_task]
    if restore:
        conn.execute(
            sa.update(tasks)
            .where(tasks.c.project_id == r.project_id, tasks.c.data_row_id == sa.bindparam("rpk"))
            .values(
                status=sa.bindparam("status"),
                stage=sa.bindparam("stage"),
                last_workers=sa.bindparam("lw"),
                last_modifier=sa.bindparam("lm"),
                updated_at=now(),
            ),
            [
                {
                    "rpk": x["rpk"],
                    "status": x["status"],
                    "stage": x["stage"],
                    "lw": orjson.dumps(x["last_workers"]).decode(),
                    "lm": x["last_modifier"],
                }
                for x in restore
            ],
        )
    made = [p.label_id for p in prev if p.label_created]
    for i in range(0, len(made), 900):
        conn.execute(sa.delete(labels).where(labels.c.id.in_(made[i : i + 900])))
    conn.execute(sa.update(import_jobs).where(import_jobs.c.id == job_id).values(undone_at=now()))


# --- reading labels back ------------------------------------------------------------------------


def iter_labels(
    conn: sa.Connection,
    project_id: int,
    source: str,
    *,
    global_key: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> Iterator[tuple[RowInfo, LabelFields, list[Annotation]]]:
    """Every labelled row of a project with its live annotations, one row at a time, in global key
    order; ``global_key``, ``offset`` and ``limit`` select in SQL, so a page loads only its rows'
    annotations."""
    q = labelled_rows_query(project_id, source).order_by(data_rows.c.global_key)
    if global_key is not None:
        q = q.where(data_rows.c.global_key == global_key)
    if offset:
        q = q.offset(offset)
    if limit is not None:
        q = q.limit(limit)
    yield from with_annotations(conn, list(conn.execute(q)))


def labelled_rows_query(project_id: int, source: str) -> sa.Select[Any]:
    """A project's labelled rows (label, data row and task columns), unordered: `iter_labels`
    orders it by global key, the keyset pages by global key after or before a cursor."""
    return (
        sa.select(
            *_ROW_INFO_COLUMNS,
            labels.c.id.label("label_id"),
            tasks.c.last_workers,
            tasks.c.last_modifier,
        )
        .join(data_rows, data_rows.c.id == labels.c.data_row_id)
        .join(tasks, sa.and_(tasks.c.data_row_id == labels.c.data_row_id, tasks.c.project_id == project_id))
        .where(labels.c.project_id == project_id, labels.c.source == source)
    )


def with_annotations(
    conn: sa.Connection, rows: Sequence[Any]
) -> Iterator[tuple[RowInfo, LabelFields, list[Annotation]]]:
    """Rows of `labelled_rows_query`, in their order, each with its live annotations (one
    annotation fetch per 500 rows). A feature's name, id and tool are looked up once per export,
    not joined to each of a million annotations (each join made three strings per annotation)."""
    feature_of: dict[int, tuple[str, str, str]] = {}
    for i in range(0, len(rows), 500):
        chunk = rows[i : i + 500]
        by_label: dict[int, list[Annotation]] = {r.label_id: [] for r in chunk}
        aq = (
            sa.select(annotations_t.c.label_id, *_ANNOTATION_OUT)
            .where(annotations_t.c.label_id.in_(list(by_label)), annotations_t.c.superseded_by.is_(None))
            .order_by(annotations_t.c.id)
        )
        found = conn.execute(aq).all()  # one fetch per chunk
        unknown = {r[_FEATURE_PK] for r in found}.difference(feature_of)
        if unknown:
            fq = sa.select(features.c.id, features.c.name, features.c.feature_id, features.c.kind)
            feature_of.update(
                (pk, (n, f, k)) for pk, n, f, k in conn.execute(fq.where(features.c.id.in_(unknown)))
            )
        for r in found:
            by_label[r[0]].append(_decoded(r, feature_of))
        for r in chunk:
            *row, last_workers, last_modifier = r
            info = _row_info(*row)
            fields = LabelFields(last_modifier=last_modifier, last_workers=orjson.loads(last_workers))
            yield info, fields, by_label[r.label_id]


_loads = msgspec.json.decode

# what _decoded takes, in its order, after the label's id; the feature's pk is the third
_ANNOTATION_OUT = (
    annotations_t.c.kind,
    annotations_t.c.uid,
    annotations_t.c.feature_id,
    annotations_t.c.geometry,
    annotations_t.c.classifications,
    annotations_t.c.frame,
    annotations_t.c.frame_end,
    annotations_t.c.page,
    annotations_t.c.message_id,
    annotations_t.c.track_id,
    annotations_t.c.extra,
)

_FEATURE_PK = 3  # in a row of the label's id and _ANNOTATION_OUT


def _decoded(r: Sequence[Any], feature_of: dict[int, tuple[str, str, str]]) -> Annotation:
    """One row of ``label_id`` and :data:`_ANNOTATION_OUT`, as the annotation it stores."""
    (
        _,
        kind,
        uid,
        feature_pk,
        geometry,
        classifications,
        frame,
        frame_end,
        page,
        message_id,
        track_id,
        extra_text,
    ) = r
    name, feature_id, tool = feature_of[feature_pk]
    # msgspec, not orjson: orjson reads an integer beyond 64 bits as a float (a COCO id of 2**70
    # would come back as 1.1805916207174113e21); msgspec reads it exactly
    stored = _loads(classifications) if classifications is not None else None
    extra = _loads(extra_text) if extra_text is not None else None
    if kind in ("radio", "checklist", "text"):
        answer = answer_from_json(stored) if stored is not None else None
        nested = []
    else:
        answer = None
        nested = [answer_from_json(x) for x in stored] if stored else []
        if extra is None:
            extra = {}
        extra["tool"] = tool  # a dict of its own, just decoded
    return StoredAnnotation(
        kind=kind,
        uid=uid,
        name=name,
        schema_id=feature_id,
        geometry=_loads(geometry) if geometry is not None else None,
        classifications=nested,
        answer=answer,
        frame=frame,
        frame_end=frame_end,
        page=page,
        message_id=message_id,
        track_id=track_id,
        extra=extra or None,
    )
