"""Projects, batches and tasks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from labelport.model.catalog import Batch, Project, Stage, Task, TaskStatus
from labelport.model.errors import ConflictError, InvalidInputError, NotFoundError
from labelport.model.media import MediaType
from labelport.model.names import hint_for
from labelport.store.catalog import _aware, now
from labelport.store.schema import batches, data_rows, ontologies, projects, tasks

EMPTY_WORKERS = {s.value: None for s in Stage}


def create_project(conn: sa.Connection, name: str, ontology_id: int, media_type: MediaType) -> Project:
    if conn.execute(sa.select(projects.c.id).where(projects.c.name == name)).first():
        raise ConflictError(f"project {name!r} already exists", code="project_exists")
    created = now()
    conn.execute(
        sa.insert(projects).values(
            name=name, media_type=media_type.value, ontology_id=ontology_id, created_at=created
        )
    )
    return get_project(conn, name)


def project_record(conn: sa.Connection, name: str) -> Any:
    r = conn.execute(sa.select(projects).where(projects.c.name == name)).first()
    if r is None:
        names = conn.execute(sa.select(projects.c.name)).scalars().all()
        raise NotFoundError(
            f"no project named {name!r}",
            code="project_not_found",
            hint=hint_for(name, names) or "create it with `labelport project create`",
        )
    return r


def _project(conn: sa.Connection, r: Any) -> Project:
    counts = {s.value: 0 for s in TaskStatus}
    q = sa.select(tasks.c.status, sa.func.count()).where(tasks.c.project_id == r.id).group_by(tasks.c.status)
    for status, n in conn.execute(q):
        counts[status] = n
    ont = conn.execute(sa.select(ontologies.c.name).where(ontologies.c.id == r.ontology_id)).scalar_one()
    nb = conn.execute(
        sa.select(sa.func.count()).select_from(batches).where(batches.c.project_id == r.id)
    ).scalar_one()
    return Project(
        id=r.id,
        name=r.name,
        media_type=MediaType(r.media_type),
        ontology=ont,
        created_at=_aware(r.created_at),
        task_counts=counts,
        batch_count=nb,
    )


def get_project(conn: sa.Connection, name: str) -> Project:
    return _project(conn, project_record(conn, name))


def list_projects(conn: sa.Connection) -> list[Project]:
    return [_project(conn, r) for r in conn.execute(sa.select(projects).order_by(projects.c.name))]


def create_batch(conn: sa.Connection, project: Any, name: str, row_ids: Sequence[int]) -> Batch:
    """Send rows to a project's queue: one task each. Rows already in the project are counted
    and left in their batch (a row is in at most one batch of a project)."""
    if conn.execute(
        sa.select(batches.c.id).where(batches.c.project_id == project.id, batches.c.name == name)
    ).first():
        raise ConflictError(
            f"project {project.name!r} already has a batch named {name!r}", code="batch_exists"
        )
    if not row_ids:
        raise InvalidInputError("the batch would be empty: no data rows matched", code="empty_batch")
    _check_media(conn, project, row_ids)
    in_project: set[int] = set()
    for i in range(0, len(row_ids), 900):
        q = sa.select(tasks.c.data_row_id).where(
            tasks.c.project_id == project.id, tasks.c.data_row_id.in_(row_ids[i : i + 900])
        )
        in_project.update(conn.execute(q).scalars())
    created = now()
    pk = conn.execute(
        sa.insert(batches).values(project_id=project.id, name=name, created_at=created)
    ).inserted_primary_key
    assert pk is not None
    workers = orjson.dumps(EMPTY_WORKERS).decode()
    new = [
        {
            "project_id": project.id,
            "data_row_id": rid,
            "batch_id": pk[0],
            "status": TaskStatus.NOT_STARTED.value,
            "stage": Stage.LABELING.value,
            "last_workers": workers,
            "last_modifier": None,
            "updated_at": created,
        }
        for rid in row_ids
        if rid not in in_project
    ]
    if not new:
        raise InvalidInputError(
            f"all {len(row_ids)} rows are already in project {project.name!r}", code="empty_batch"
        )
    conn.execute(sa.insert(tasks), new)
    return Batch(
        id=pk[0],
        project=project.name,
        name=name,
        created_at=created,
        row_count=len(new),
        already_in_project=len(in_project),
    )


def _check_media(conn: sa.Connection, project: Any, row_ids: Sequence[int]) -> None:
    for i in range(0, len(row_ids), 900):
        q = (
            sa.select(data_rows.c.global_key, data_rows.c.media_type)
            .where(data_rows.c.id.in_(row_ids[i : i + 900]), data_rows.c.media_type != project.media_type)
            .limit(1)
        )
        bad = conn.execute(q).first()
        if bad is not None:
            raise InvalidInputError(
                f"data row {bad.global_key!r} is {bad.media_type}, project {project.name!r} takes "
                f"{project.media_type}",
                code="wrong_media_type",
            )


def task_record(conn: sa.Connection, project: Any, global_key: str) -> Any:
    q = (
        sa.select(tasks, data_rows.c.global_key, data_rows.c.uid, batches.c.name.label("batch_name"))
        .join(data_rows, data_rows.c.id == tasks.c.data_row_id)
        .outerjoin(batches, batches.c.id == tasks.c.batch_id)
        .where(tasks.c.project_id == project.id, data_rows.c.global_key == global_key)
    )
    r = conn.execute(q).first()
    if r is None:
        exists = conn.execute(sa.select(data_rows.c.id).where(data_rows.c.global_key == global_key)).first()
        if exists:
            raise NotFoundError(
                f"data row {global_key!r} is not in project {project.name!r}",
                code="data_row_not_in_project",
                hint="send it with `labelport batch create`",
            )
        raise NotFoundError(f"no data row with global key {global_key!r}", code="data_row_not_found")
    return r


def to_task(project_name: str, r: Any) -> Task:
    return Task(
        project=project_name,
        global_key=r.global_key,
        data_row_id=r.uid,
        status=TaskStatus(r.status),
        stage=Stage(r.stage),
        batch=r.batch_name,
        last_workers=orjson.loads(r.last_workers),
        last_modifier=r.last_modifier,
        updated_at=_aware(r.updated_at),
    )


def set_task(
    conn: sa.Connection,
    project: Any,
    global_key: str,
    *,
    status: TaskStatus,
    stage: Stage | None,
    workers: dict[str, str | None] | None,
    modifier: str | None,
) -> Task:
    r = task_record(conn, project, global_key)
    values: dict[str, Any] = {"status": status.value, "updated_at": now()}
    if stage is not None:
        values["stage"] = stage.value
    if workers:
        merged = {**orjson.loads(r.last_workers), **workers}
        values["last_workers"] = orjson.dumps(merged).decode()
    if modifier is not None:
        values["last_modifier"] = modifier
    conn.execute(
        sa.update(tasks)
        .where(tasks.c.project_id == project.id, tasks.c.data_row_id == r.data_row_id)
        .values(**values)
    )
    return to_task(project.name, task_record(conn, project, global_key))


def list_tasks(
    conn: sa.Connection,
    project: Any,
    *,
    status: TaskStatus | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Task]:
    q = (
        sa.select(tasks, data_rows.c.global_key, data_rows.c.uid, batches.c.name.label("batch_name"))
        .join(data_rows, data_rows.c.id == tasks.c.data_row_id)
        .outerjoin(batches, batches.c.id == tasks.c.batch_id)
        .where(tasks.c.project_id == project.id)
    )
    if status is not None:
        q = q.where(tasks.c.status == status.value)
    q = q.order_by(data_rows.c.global_key).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    return [to_task(project.name, r) for r in conn.execute(q)]
