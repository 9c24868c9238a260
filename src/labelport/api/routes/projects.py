"""Projects, batches and tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from labelport.api import cursor
from labelport.api.auth import scoped
from labelport.api.context import Context, get_context
from labelport.api.cursor import CursorParam
from labelport.api.params import Offset
from labelport.api.responses import reply, returns
from labelport.model.catalog import Batch, Project, Task, TaskStatus
from labelport.model.tokens import Scope
from labelport.store import paging
from labelport.store.projects import project_record

router = APIRouter()
Ctx = Annotated[Context, Depends(get_context)]
READ, IMPORT = scoped(Scope.READ), scoped(Scope.IMPORT)
TASK_PAGE = 1000  # a page's size when a cursor comes without a limit


class ProjectIn(BaseModel):
    name: str
    ontology: str
    media_type: str


class BatchIn(BaseModel):
    """Exactly one of ``dataset``, ``global_keys`` and ``prefix`` says which rows."""

    project: str
    name: str
    dataset: str | None = None
    global_keys: list[str] | None = None
    prefix: str | None = None


class TaskStatusIn(BaseModel):
    project: str
    global_key: str
    status: str
    stage: str | None = None
    workers: dict[str, str | None] | None = None
    modifier: str | None = None


@router.get(
    "/projects",
    operation_id="list_projects",
    tags=["projects"],
    openapi_extra=READ,
    responses=returns(list[Project]),
)
def list_projects(ctx: Ctx) -> Response:
    return reply(ctx.ws.projects())


@router.post(
    "/projects",
    operation_id="create_project",
    tags=["projects"],
    openapi_extra=IMPORT,
    status_code=201,
    responses=returns(Project, 201, "Created"),
)
def create_project(body: ProjectIn, ctx: Ctx) -> Response:
    return reply(ctx.ws.create_project(body.name, ontology=body.ontology, media_type=body.media_type), 201)


@router.get(
    "/projects/{name:path}",
    operation_id="get_project",
    tags=["projects"],
    openapi_extra=READ,
    responses=returns(Project),
)
def get_project(name: str, ctx: Ctx) -> Response:
    return reply(ctx.ws.project(name))


@router.post(
    "/batches",
    operation_id="create_batch",
    tags=["projects"],
    openapi_extra=IMPORT,
    status_code=201,
    responses=returns(Batch, 201, "Created"),
)
def create_batch(body: BatchIn, ctx: Ctx) -> Response:
    batch = ctx.ws.create_batch(
        body.project, body.name, dataset=body.dataset, global_keys=body.global_keys, prefix=body.prefix
    )
    return reply(batch, 201)


@router.get(
    "/tasks", operation_id="list_tasks", tags=["projects"], openapi_extra=READ, responses=returns(list[Task])
)
def list_tasks(
    ctx: Ctx,
    request: Request,
    project: Annotated[str, Query()],
    status: TaskStatus | None = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    offset: Offset = 0,
    after: CursorParam = None,
    before: CursorParam = None,
) -> Response:
    """A project's tasks by global key. With a ``limit`` (or a cursor) the answer is one page and
    its ``Link`` header names the next (``rel="next"``, an ``after`` cursor) and previous
    (``rel="prev"``, a ``before`` cursor) pages; every page costs the same, the last of 100,000
    rows as the first. ``offset`` still pages as it did."""
    if limit is None and after is None and before is None:
        return reply(ctx.ws.tasks(project, status=status, offset=offset))
    seek = cursor.seek(cursor.ROWS, after, before, offset)
    with ctx.ws.engine.connect() as conn:
        proj = project_record(conn, project)
        page = paging.task_window(conn, proj, seek, limit or TASK_PAGE, status=status, offset=offset)
    response = reply(page.items)
    link = cursor.link_header(request.url, cursor.links(cursor.ROWS, page, seek))
    if link:
        response.headers["link"] = link
    return response


@router.post(
    "/tasks/status",
    operation_id="set_task_status",
    tags=["projects"],
    openapi_extra=IMPORT,
    responses=returns(Task),
)
def set_task_status(body: TaskStatusIn, ctx: Ctx) -> Response:
    task = ctx.ws.set_task_status(
        body.project,
        body.global_key,
        body.status,
        stage=body.stage,
        workers=body.workers,
        modifier=body.modifier,
    )
    return reply(task)
