"""Keyset pages: a page of a long list is found by the key it is ordered by, never by OFFSET.

An OFFSET page makes the database walk past every earlier row, so the last page of 100,000 rows
costs a hundred thousand steps and the first costs fifty. A keyset page asks for the rows *after*
(or *before*) the key of the page it comes from, which an index answers by a seek, so every page
costs the same: ``WHERE key > :after ORDER BY key LIMIT n + 1`` (the extra row says whether there
is a next page). Going back reads ``key < :before`` in descending order and reverses it; the last
page is a backward read from the end.

The keys are the lists' existing orders: a job's issues by ``seq`` (payload order), a project's
tasks and labelled rows by data-row global key (unique), so pages hold exactly what the OFFSET pages
held and a key identifies one position.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from labelport.model.catalog import Task, TaskStatus
from labelport.model.issues import Issue
from labelport.model.records import Annotation, LabelFields
from labelport.model.snapshot import RowInfo
from labelport.store import imports as job_store
from labelport.store.projects import to_task
from labelport.store.schema import batches, data_rows, job_issues, labels, tasks

T = TypeVar("T")
K = TypeVar("K", int, str)


@dataclass(frozen=True)
class Window(Generic[T, K]):
    """One page in list order, with the keys of its first and last items and whether anything
    lies before or after it (``first_key`` / ``last_key`` are None only for an empty page)."""

    items: list[T]
    first_key: K | None
    last_key: K | None
    more_before: bool
    more_after: bool


@dataclass(frozen=True)
class Seek(Generic[K]):
    """Where a page starts: after a key, before a key, at the end (``last``), or at the start."""

    after: K | None = None
    before: K | None = None
    last: bool = False

    @property
    def backwards(self) -> bool:
        return self.before is not None or self.last


def window(
    conn: sa.Connection,
    query: sa.Select[Any],
    key: sa.ColumnElement[Any],
    seek: Seek[Any],
    limit: int,
    make: Callable[[Sequence[Any]], list[T]],
    key_of: Callable[[Any], K],
    offset: int = 0,
    wrap: Callable[[sa.Select[Any], bool], sa.Select[Any]] | None = None,
) -> Window[T, K]:
    """Run ``query`` (filtered, not ordered) for one keyset page of ``limit`` rows on ``key``;
    ``make`` turns the page's rows into items, ``key_of`` reads a row's key.

    ``offset`` serves the older offset parameters: the page starts after the key of the row just
    before it (one index-only OFFSET read), and is a keyset page from there, with cursors.

    ``wrap`` turns the page's ordered, limited select into the one that reads its items (given
    whether it runs backwards), for a page whose keys are found by a narrower query first."""
    fetch = wrap or (lambda q, _desc: q)
    if offset > 0:
        start = conn.execute(query.with_only_columns(key).order_by(key).offset(offset - 1).limit(1)).scalar()
        if start is None:  # past the end
            return Window(items=[], first_key=None, last_key=None, more_before=True, more_after=False)
        seek = Seek(after=start)
    if seek.backwards:
        q = query if seek.before is None else query.where(key < seek.before)
        rows = list(conn.execute(fetch(q.order_by(key.desc()).limit(limit + 1), True)))
        more_before = len(rows) > limit
        rows = rows[:limit][::-1]
        more_after = seek.before is not None
    else:
        q = query if seek.after is None else query.where(key > seek.after)
        rows = list(conn.execute(fetch(q.order_by(key).limit(limit + 1), False)))
        more_after = len(rows) > limit
        rows = rows[:limit]
        more_before = seek.after is not None
    return Window(
        items=make(rows),
        first_key=key_of(rows[0]) if rows else None,
        last_key=key_of(rows[-1]) if rows else None,
        more_before=more_before,
        more_after=more_after,
    )


def issue_window(
    conn: sa.Connection,
    job_id: int,
    seek: Seek[int],
    limit: int,
    *,
    code: str | None = None,
    data_row: str | None = None,
    offset: int = 0,
) -> Window[Issue, int]:
    """A page of a job's issues in payload order (by ``seq``, the ``(job_id, seq)`` index)."""
    job_store.job_record(conn, job_id)
    q = sa.select(job_issues).where(job_issues.c.job_id == job_id)
    if code is not None:
        q = q.where(job_issues.c.code == code)
    if data_row is not None:
        q = q.where(job_issues.c.data_row == data_row)
    return window(
        conn,
        q,
        job_issues.c.seq,
        seek,
        limit,
        lambda rows: [job_store.issue_of(r) for r in rows],
        lambda r: int(r.seq),
        offset,
    )


DENSE = 16  # a project holding at least 1/16 of the workspace's rows is paged along their index


def task_window(
    conn: sa.Connection,
    project: Any,
    seek: Seek[str],
    limit: int,
    *,
    status: TaskStatus | None = None,
    offset: int = 0,
) -> Window[Task, str]:
    """A page of a project's tasks by global key (the order `list_tasks` gives). Joined from
    tasks, every page would read and sort all of them (SQLite's planner picks that even under a
    LIMIT): `_by_global_key` reads along the global-key index instead."""
    q = (
        sa.select(tasks, data_rows.c.global_key, data_rows.c.uid, batches.c.name.label("batch_name"))
        .join(data_rows, data_rows.c.id == tasks.c.data_row_id)
        .outerjoin(batches, batches.c.id == tasks.c.batch_id)
        .where(tasks.c.project_id == project.id)
    )
    mine = sa.and_(tasks.c.project_id == project.id, tasks.c.data_row_id == data_rows.c.id)
    if status is not None:
        q = q.where(tasks.c.status == status.value)
        mine = sa.and_(mine, tasks.c.status == status.value)

    return _by_global_key(
        conn,
        q,
        mine,
        sa.select(sa.func.count()).select_from(tasks).where(tasks.c.project_id == project.id),
        seek,
        limit,
        lambda rows: [to_task(project.name, r) for r in rows],
        offset,
    )


def _by_global_key(
    conn: sa.Connection,
    query: sa.Select[Any],
    member: sa.ColumnElement[bool],
    size: sa.Select[Any],
    seek: Seek[str],
    limit: int,
    make: Callable[[Sequence[Any]], list[T]],
    offset: int,
) -> Window[T, str]:
    """A page of ``query`` (a project's rows joined with data rows) by global key. ``member``
    says a data row belongs (correlated on ``data_rows.id``); ``size`` counts the project's rows.

    A project holding at least 1/`DENSE` of the workspace's rows is paged along the data rows'
    unique global-key index: a seek, then an index probe of ``member`` per row until the page is
    full, so each page costs about the same. A smaller one is read and sorted whole, which costs
    what the project is, not what the workspace is."""
    key = data_rows.c.global_key

    def key_of(r: Any) -> str:
        return str(r.global_key)

    everything = conn.execute(sa.select(sa.func.max(data_rows.c.id))).scalar() or 0
    if int(conn.execute(size).scalar_one()) * DENSE < int(everything):
        return window(conn, query, key, seek, limit, make, key_of, offset)

    def wrap(ids: sa.Select[Any], desc: bool) -> sa.Select[Any]:
        return query.where(data_rows.c.id.in_(ids)).order_by(key.desc() if desc else key)

    keys = sa.select(data_rows.c.id).where(sa.exists().where(member))
    return window(conn, keys, key, seek, limit, make, key_of, offset, wrap)


LabelledRow = tuple[RowInfo, LabelFields, list[Annotation]]


def label_window(
    conn: sa.Connection,
    project_id: int,
    source: str,
    seek: Seek[str],
    limit: int,
    *,
    global_key: str | None = None,
    offset: int = 0,
) -> Window[LabelledRow, str]:
    """A page of a project's labelled rows with their live annotations, by global key (the
    order `iter_labels` gives); ``global_key`` keeps only that row."""
    q = job_store.labelled_rows_query(project_id, source)
    mine = sa.and_(
        labels.c.project_id == project_id, labels.c.source == source, labels.c.data_row_id == data_rows.c.id
    )
    if global_key is not None:
        q = q.where(data_rows.c.global_key == global_key)
        mine = sa.and_(mine, data_rows.c.global_key == global_key)
    return _by_global_key(
        conn,
        q,
        mine,
        sa.select(sa.func.count())
        .select_from(labels)
        .where(labels.c.project_id == project_id, labels.c.source == source),
        seek,
        limit,
        lambda rows: list(job_store.with_annotations(conn, rows)),
        offset,
    )
