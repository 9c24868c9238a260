"""Import jobs: their state, their issues a page at a time, run, cancel and undo."""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from labelport.api import cursor
from labelport.api.auth import scoped
from labelport.api.context import Context, get_context
from labelport.api.cursor import CursorParam
from labelport.api.params import Id, Offset
from labelport.api.responses import reply, returns
from labelport.jobs import runner
from labelport.model.issues import Issue
from labelport.model.jobs import ImportJob
from labelport.model.tokens import Scope
from labelport.store import paging

router = APIRouter()
Ctx = Annotated[Context, Depends(get_context)]
READ, IMPORT = scoped(Scope.READ), scoped(Scope.IMPORT)


class IssuesPage(msgspec.Struct, kw_only=True):
    issues: list[Issue]
    next_offset: int | None  # when paged by offset
    next_after: str | None = None  # pass as `after` for the next page; null on the last
    prev_before: str | None = None  # pass as `before` for the previous page; null on the first


@router.get(
    "/jobs", operation_id="list_jobs", tags=["jobs"], openapi_extra=READ, responses=returns(list[ImportJob])
)
def list_jobs(ctx: Ctx, project: Annotated[str, Query()]) -> Response:
    return reply(ctx.ws.jobs(project))


@router.get(
    "/jobs/{job_id}", operation_id="get_job", tags=["jobs"], openapi_extra=READ, responses=returns(ImportJob)
)
def get_job(
    job_id: Id,
    ctx: Ctx,
    issues: Annotated[int, Query(ge=0, le=10_000, description="How many of its issues to include")] = 0,
) -> Response:
    return reply(ctx.ws.job(job_id, issues=issues))


@router.get(
    "/jobs/{job_id}/issues",
    operation_id="list_job_issues",
    tags=["jobs"],
    openapi_extra=READ,
    responses=returns(IssuesPage),
)
def list_job_issues(
    job_id: Id,
    ctx: Ctx,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    code: str | None = None,
    data_row: str | None = None,
    after: CursorParam = None,
    before: CursorParam = None,
) -> Response:
    """A job's issues in payload order, a page at a time: follow ``next_after`` (as ``after``)
    until it is null; ``prev_before`` (as ``before``) goes back. Every page costs the same, the
    last of 50,000 issues as the first. ``offset`` still pages (``next_offset``) as it did."""
    seek = cursor.seek(cursor.ISSUES, after, before, offset)
    with ctx.ws.engine.connect() as conn:
        page = paging.issue_window(conn, job_id, seek, limit, code=code, data_row=data_row, offset=offset)
    by_offset = after is None and before is None
    return reply(
        IssuesPage(
            issues=page.items,
            next_offset=offset + limit if by_offset and page.more_after else None,
            **cursor.links(cursor.ISSUES, page, seek),
        )
    )


@router.post(
    "/jobs/{job_id}/run",
    operation_id="run_job",
    tags=["jobs"],
    openapi_extra=IMPORT,
    status_code=202,
    responses=returns(ImportJob, 202, "Accepted: the job is queued"),
)
def run_job(job_id: Id, ctx: Ctx) -> Response:
    """Queue a recorded job again, e.g. one a crash interrupted (nothing of it was committed)."""
    ctx.ws.job(job_id)
    runner.submit(ctx.ws.url, job_id)
    return reply(ctx.ws.job(job_id), 202)


@router.post(
    "/jobs/{job_id}/cancel",
    operation_id="cancel_job",
    tags=["jobs"],
    openapi_extra=IMPORT,
    responses=returns(ImportJob),
)
def cancel_job(job_id: Id, ctx: Ctx) -> Response:
    """Cancel a job: queued, it never runs; running, it stops at its next check and commits nothing."""
    return reply(ctx.ws.cancel_job(job_id))


@router.post(
    "/jobs/{job_id}/undo",
    operation_id="undo_job",
    tags=["jobs"],
    openapi_extra=IMPORT,
    responses=returns(ImportJob),
)
def undo_job(job_id: Id, ctx: Ctx) -> Response:
    """Revert a succeeded job in one transaction; refused when a later job touched the same rows."""
    return reply(ctx.ws.undo_job(job_id))
