"""One import job, end to end: read → validate → commit.

The same function runs in the CLI's process, in the server for a SQLite workspace, and in queue
workers for PostgreSQL; only who calls it differs. A job can be run again after a crash: its
issues are recomputed and, because the commit is one transaction, nothing of a half-done earlier
attempt exists to collide with.
"""

from __future__ import annotations

import contextlib
import os
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from labelport.formats import check_options
from labelport.formats import choose as choose_format
from labelport.formats import get as get_format
from labelport.formats.base import issue
from labelport.jobs import cancel, collector, reader, source
from labelport.jobs.lines import LineLog
from labelport.media.fetch import fetch
from labelport.model.errors import LabelportError
from labelport.model.issues import Issue, Location, Severity
from labelport.model.jobs import COUNT_KEYS, JobState, Mode, OnExisting
from labelport.model.records import Record, RowRef
from labelport.store import imports as store
from labelport.store.catalog import now
from labelport.store.db import transaction
from labelport.store.db import writer as for_writing
from labelport.store.schema import job_issues, projects
from labelport.store.spool import DirectSpool
from labelport.store.spool import for_engine as new_spool
from labelport.validate.engine import Validator

Progress = Callable[[str, int, int | None], None]


class _IssueWriter:
    """Issues go to the job's report in batches, each in its own short transaction."""

    def __init__(self, engine: sa.Engine, job_id: int) -> None:
        self.engine, self.job_id = engine, job_id
        self.buffer: list[Issue] = []
        self.seq = 0
        self.lines = LineLog()

    def __call__(self, item: Issue) -> None:
        if item.severity is Severity.ERROR and (item.location.line is not None or item.location.file):
            self.lines.reject(item.location.file, item.location.line)
        self.buffer.append(item)
        if len(self.buffer) >= 1000:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            with transaction(self.engine) as conn:
                store.add_issues(conn, self.job_id, self.seq, self.buffer)
            self.seq += len(self.buffer)
            self.buffer = []


def run_import(engine: sa.Engine, job_id: int, progress: Progress | None = None) -> None:
    """Run (or re-run) a job to a final state. Never raises for a bad payload: the job says why."""
    with transaction(engine) as conn:
        if cancel.requested(conn, job_id):  # cancelled while it waited: it never runs
            return
        job = store.job_record(conn, job_id)
        conn.execute(sa.delete(job_issues).where(job_issues.c.job_id == job_id))
        store.update_job(
            conn, job_id, state=JobState.PARSING, started_at=now(), attempts=job.attempts + 1, error=None
        )
        project = conn.execute(sa.select(projects).where(projects.c.id == job.project_id)).one()
    writer = _IssueWriter(engine, job_id)
    counts = dict.fromkeys(COUNT_KEYS, 0)
    try:
        with collector.paused(), source.local(job.payload) as payload:
            _run(engine, job, project, writer, counts, progress, payload)
    except cancel.JobCancelled:
        writer.flush()
        _finish(engine, job_id, JobState.CANCELLED, counts)
    except LabelportError as exc:
        writer.flush()
        _finish(engine, job_id, JobState.FAILED, counts, error=exc.to_dict())
    except BaseException as exc:
        writer.flush()
        _finish(
            engine,
            job_id,
            JobState.FAILED,
            counts,
            error={"code": "internal_error", "message": f"{type(exc).__name__}: {exc}", "hint": None},
        )
        raise


def _finish(
    engine: sa.Engine,
    job_id: int,
    state: JobState,
    counts: dict[str, int],
    lines: list[list[Any]] | None = None,
    **values: Any,
) -> None:
    with transaction(engine) as conn:
        _count_issues(conn, job_id, counts)
        if lines is not None:
            store.set_lines(conn, job_id, lines)
        store.update_job(conn, job_id, state=state, counts=counts, finished_at=now(), **values)


def _count_issues(conn: sa.Connection, job_id: int, counts: dict[str, int]) -> None:
    q = (
        sa.select(job_issues.c.severity, sa.func.count())
        .where(job_issues.c.job_id == job_id)
        .group_by(job_issues.c.severity)
    )
    by_sev: dict[str, int] = {str(k): int(v) for k, v in conn.execute(q).all()}
    counts["errors"], counts["warnings"] = by_sev.get("error", 0), by_sev.get("warning", 0)
    counts["issues"] = sum(by_sev.values())


def _run(
    engine: sa.Engine,
    job: Any,
    project: Any,
    writer: _IssueWriter,
    counts: dict[str, int],
    progress: Progress | None,
    payload: Path,
) -> None:
    mode, on_existing = Mode(job.mode), OnExisting(job.on_existing)
    options = orjson.loads(job.options)
    with engine.connect() as conn:
        dup = (
            store.find_duplicate(conn, job.project_id, job.idempotency_key, job.id)
            if job.idempotency_key
            else None
        )
    if dup is not None:
        _finish(engine, job.id, JobState.SUCCEEDED, counts, duplicate_of=dup)
        return
    fmt = job.format
    if fmt == "auto":
        fmt, why = choose_format(payload)
        writer(
            issue(
                "format_detected",
                f"the payload is {fmt}: {'; '.join(why.reasons)}",
                Location(file=payload.name),
            )
        )
        with transaction(engine) as conn:
            store.update_job(conn, job.id, format=fmt)
    spec = get_format(fmt)
    check_options(spec, options.get("format_options"))
    if spec.read is None:
        raise LabelportError(f"format {fmt!r} cannot be imported", code="unknown_format")
    # the payload's reading starts first: a reader process reads while the snapshot loads
    # (COCO decodes the whole file before its first record). Its issues wait for the validator.
    notes = _Notes()
    beside_server = engine.dialect.name == "postgresql"  # see reader._yield_to_the_job
    with reader.records(
        fmt, payload, notes, options.get("format_options", {}), yield_to_job=not beside_server
    ) as stream:
        with engine.connect() as conn:
            snap = store.load_snapshot(conn, project, mode.source)

        def exists_elsewhere(ref: RowRef) -> bool:
            with engine.connect() as c:
                return store.row_exists(c, ref)

        snap.exists_elsewhere = exists_elsewhere
        validator = Validator(
            snap,
            on_existing=on_existing.value,
            class_map=options.get("class_map"),
            sink=writer,
            # a dry run writes nothing: its rows wait in the spool, owned by their data rows
            new_label=None if job.dry_run else _LabelIds(engine),
        )
        notes.to(validator.note)
        _state(engine, job.id, JobState.VALIDATING)
        _validate_and_commit(engine, job, mode, validator, writer, counts, progress, payload, stream)


def _validate_and_commit(
    engine: sa.Engine,
    job: Any,
    mode: Mode,
    validator: Validator,
    writer: _IssueWriter,
    counts: dict[str, int],
    progress: Progress | None,
    payload: Path,
    stream: Iterator[Record],
) -> None:
    spool = new_spool(engine, job.id)
    direct = None if job.dry_run else DirectSpool(engine, job.id)
    fetcher = _MaskFetcher(payload)
    committed = False
    try:
        if direct is not None and job.attempts:  # what an earlier attempt that crashed wrote
            with transaction(engine) as conn:
                store.discard_unowned(conn, job.id)
        last = time.monotonic()
        check_at, show_at = 64, 1024  # lines: a record may stand for a thousand (NDJSON)
        for record in stream:
            fetcher.resolve(record, validator)
            accepted = validator.check(record)
            # a job that has found an error fails whatever follows: it checks on, to report every
            # error, but writes no more rows only to delete them
            if accepted and not validator.counts.errors:
                # rows of new labels straight to their table (a dry run takes no label ids), the
                # others to wait for the commit (model.stored)
                plan = validator.last_plan
                assert plan is not None
                (spool if direct is None or plan.new_label is None else direct).extend(accepted)
            writer.lines.took(record, validator.last_outcome, validator.last_rejected_lines)
            lines = validator.counts.lines
            if lines < check_at:
                continue  # what follows is once per 64 lines: the clock is not free either
            check_at = lines + 64
            if progress is not None and lines >= show_at:
                show_at = lines + 1024
                progress("validating", lines, None)
            if time.monotonic() - last > 1.0:
                last = time.monotonic()
                with transaction(engine) as conn:
                    cancel.check(conn, job.id)
                    store.update_job(conn, job.id, phase_done=lines)
        validator.finish()
        writer.flush()
        c = validator.counts
        counts.update(lines=c.lines, annotations=c.annotations, data_rows=c.data_rows)
        if c.errors:
            _finish(
                engine,
                job.id,
                JobState.FAILED,
                counts,
                lines=writer.lines.final(succeeded=False, dry_run=job.dry_run),
            )
            return
        if direct is not None:
            # written before the job says it commits (a cancel is refused from then on) and
            # before the commit's transaction (on SQLite this writer needs the write lock)
            direct.flush()
        _state(engine, job.id, JobState.COMMITTING)
        if progress is not None:
            progress("committing", 0, None)
        changes = [
            store.RowChange(pk, p.outcome, p.row.label_id, p.last_workers, p.last_modifier, p.new_label)
            for pk, p in validator.plans.items()
        ]
        with engine.connect() as conn:
            tx = for_writing(conn).begin()
            try:
                result = store.commit(
                    conn,
                    job_id=job.id,
                    project_id=job.project_id,
                    mode=mode,
                    changes=changes,
                    accepted=spool,
                    direct=direct,
                )
                counts.update(result)
                _pause_for_crash_tests()
                cancel.check(conn, job.id)  # the last checkpoint: a cancel now wins over the commit
                if job.dry_run:
                    tx.rollback()
                else:
                    _count_issues(conn, job.id, counts)
                    store.set_lines(conn, job.id, writer.lines.final(succeeded=True, dry_run=False))
                    store.update_job(conn, job.id, state=JobState.SUCCEEDED, counts=counts, finished_at=now())
                    tx.commit()
                    committed = True
            except BaseException:
                tx.rollback()
                raise
            finally:
                store.release_spool(conn, spool)
        if job.dry_run:
            _finish(
                engine,
                job.id,
                JobState.SUCCEEDED,
                counts,
                lines=writer.lines.final(succeeded=True, dry_run=True),
            )
    finally:
        spool.close()
        if direct is not None:
            direct.close()
            if not committed and direct.count:
                _discard(engine, job.id)


def _discard(engine: sa.Engine, job_id: int) -> None:
    """A job that stopped short deletes what it wrote for labels it did not make. Were the store
    itself failing, the rows stay out of sight until the job runs again; the job's own error is
    the one to report."""
    with contextlib.suppress(sa.exc.SQLAlchemyError), transaction(engine) as conn:
        store.discard_unowned(conn, job_id)


class _LabelIds:
    """Ids for the labels a job's commit will make, taken from the store in blocks that grow
    (256, then twice as many each time up to 65,536): the 100,000 rows of a million boxes take
    them in nine short transactions, a small payload in one."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.next = self.end = 0
        self.block = 256

    def __call__(self) -> int:
        if self.next == self.end:
            self.next = store.reserve_label_ids(self.engine, self.block)
            self.end = self.next + self.block
            self.block = min(self.block * 2, 65_536)
        self.next += 1
        return self.next - 1


def _pause_for_crash_tests() -> None:
    """Fault injection: with LABELPORT_PAUSE_BEFORE_COMMIT=seconds the job waits with its labels
    written but not committed, so a test can kill the process at exactly that point."""
    pause = os.environ.get("LABELPORT_PAUSE_BEFORE_COMMIT")
    if pause:
        time.sleep(float(pause))


def _state(engine: sa.Engine, job_id: int, state: JobState) -> None:
    with transaction(engine) as conn:
        cancel.check(conn, job_id)
        store.update_job(conn, job_id, state=state)


class _Notes:
    """The reader's issues, kept in order until the validator that counts them exists."""

    def __init__(self) -> None:
        self._early: list[Issue] = []
        self._to: Callable[[Issue], None] = self._early.append

    def __call__(self, issue: Issue) -> None:
        self._to(issue)

    def to(self, sink: Callable[[Issue], None]) -> None:
        for item in self._early:
            sink(item)
        self._to = sink


class _MaskFetcher:
    """Composite masks named by URL (``instanceURI``) are fetched once each and cut by colour."""

    def __init__(self, payload: Path) -> None:
        self.base = payload.parent if payload.is_file() else payload
        self.cache: dict[str, bytes | str] = {}
        self.colors: dict[str, set[tuple[int, int, int]]] = {}  # per composite, decoded once

    def resolve(self, record: Record, validator: Validator) -> None:
        """Replace URL masks by their pixels; one that cannot be had is reported here and taken out
        of the record (still counted), so validation does not report it a second time."""
        for ann in record.annotations:  # a loop, not any(): this runs for every annotation
            if ann.kind == "mask":
                break
        else:
            return  # most records: nothing to fetch, nothing to filter
        from labelport.formats import masks  # where a mask is met: see its docstring

        record.unpack_all()  # annotations may be taken out below, and the packed parts with them
        for ann in record.annotations:
            g = ann.geometry
            if ann.kind != "mask" or not isinstance(g, dict) or "uri" not in g:
                continue
            loc = Location(
                file=record.location.file,
                line=record.location.line if ann.line is None else ann.line,
                pointer=ann.pointer,
                annotation_id=ann.uid,
                data_row=str(record.row),
            )
            data = self._get(g["uri"])
            if isinstance(data, str):
                validator.note(issue("mask_invalid", f"cannot fetch the mask {g['uri']!r}: {data}", loc))
                ann.geometry = None
                continue
            color = tuple(g["color"])
            try:
                if g["uri"] not in self.colors:
                    self.colors[g["uri"]] = masks.colors_in_png(data)
                present = color in self.colors[g["uri"]]
                if not present and g.get("optional"):
                    # a video instance that is not in this frame: not an annotation of the frame
                    ann.geometry = None
                    validator.counts.annotations -= 1
                    continue
                if not present:
                    validator.note(
                        issue(
                            "mask_color_not_found",
                            f"colour {list(color)} appears nowhere in {g['uri']!r}",
                            loc,
                            value=list(color),
                        )
                    )
                    ann.geometry = None
                    continue
                ann.geometry = masks.encode(masks.from_png(data, color))
            except masks.MaskError as exc:
                validator.note(issue("mask_invalid", f"{g['uri']!r} is not a PNG mask: {exc}", loc))
                ann.geometry = None
        kept = [a for a in record.annotations if not (a.kind == "mask" and a.geometry is None)]
        failed = len(record.annotations) - len(kept)
        if failed:
            record.annotations = kept
            validator.counts.annotations += failed

    def _get(self, uri: str) -> bytes | str:
        if uri not in self.cache:
            self.cache[uri] = self._fetch(uri)
        return self.cache[uri]

    def _fetch(self, uri: str) -> bytes | str:
        parsed = urllib.parse.urlparse(uri)
        try:
            if parsed.scheme in ("http", "https"):
                return b"".join(fetch(uri, limit_bytes=256 << 20))
            if parsed.scheme in ("", "file"):
                path = Path(urllib.parse.unquote(parsed.path))
                return (path if path.is_absolute() else self.base / path).read_bytes()
        except LabelportError as exc:
            return exc.message
        except OSError as exc:
            return str(exc)
        return f"unsupported scheme {parsed.scheme!r}"


__all__ = ["Progress", "run_import"]
