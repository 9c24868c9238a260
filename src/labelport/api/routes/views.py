"""What the web pages show, as API routes: a project's summary, ready-made import samples, a job's
issues grouped and downloadable, one row's labels and its asset's bytes.

The pages read these same routes (from the browser) or the same functions (when rendering), so
anything a person sees in the UI a script can fetch too. Every query here is bounded: one project,
one job, one row, or a page of a job's issues, so a 100,000-row project or a 50,000-issue report
costs the same to show as a small one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import msgspec
import orjson
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query
from starlette.responses import FileResponse, Response, StreamingResponse

from labelport.api import cursor
from labelport.api.auth import scoped
from labelport.api.context import Context, get_context
from labelport.api.params import Id
from labelport.api.responses import reply, returns, streams
from labelport.jobs import runner
from labelport.media.render import render_pdf_page
from labelport.model.catalog import DataRow, Project
from labelport.model.errors import InvalidInputError, NotFoundError
from labelport.model.issues import CODES, Issue
from labelport.model.jobs import ImportJob, Mode
from labelport.model.media import MediaType
from labelport.model.ontology import ToolKind, parse_ontology
from labelport.model.records import Annotation
from labelport.model.tokens import Scope
from labelport.store import imports as job_store
from labelport.store import paging
from labelport.store.projects import project_record
from labelport.store.schema import annotations as annotations_t
from labelport.store.schema import features, job_issues, labels
from labelport.validate.engine import MEDIA_KINDS, TOOLS_FOR_KIND
from labelport.web import samples

router = APIRouter()
Ctx = Annotated[Context, Depends(get_context)]
READ, IMPORT = scoped(Scope.READ), scoped(Scope.IMPORT)
RECENT_JOBS = 10
FIRST_LOCATIONS = 3
# distinct colours (Sasha Trubetskoy's list) for classes the ontology gives no colour
PALETTE = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#46f0f0",
    "#f032e6",
    "#bcf60c",
    "#008080",
    "#9a6324",
    "#800000",
    "#808000",
    "#000075",
)
ISSUE_COLUMNS = (
    "code",
    "severity",
    "message",
    "hint",
    "file",
    "line",
    "pointer",
    "annotation_id",
    "data_row",
)


class ProjectSummary(msgspec.Struct, kw_only=True):
    project: Project
    ontology: dict[str, Any]
    label_counts: dict[str, int]  # live annotations by class name
    labelled_rows: int
    recent_jobs: list[ImportJob]


class IssueGroup(msgspec.Struct, kw_only=True):
    code: str
    count: int
    severity: str
    summary: str
    hint: str
    first: list[Issue]  # its first few issues, in payload order


class Skeleton(msgspec.Struct, kw_only=True):
    keypoints: list[str]  # point names, in the order of a keypoints geometry's triples
    edges: list[tuple[int, int]]  # 1-based pairs of points joined by a bone, as COCO writes them


class RowLabels(msgspec.Struct, kw_only=True):
    row: DataRow
    project: str
    # class name (tool or classification) -> the ontology's colour, or a distinct one of PALETTE
    # when the ontology gives none, so two classes are never drawn alike
    colors: dict[str, str]
    labels: list[Annotation]
    skeletons: dict[str, Skeleton] = msgspec.field(default_factory=dict)  # skeleton tools by name


@router.get(
    "/project-summary",
    operation_id="get_project_summary",
    tags=["views"],
    openapi_extra=READ,
    responses=returns(ProjectSummary),
)
def get_project_summary(ctx: Ctx, project: Annotated[str, Query()]) -> Response:
    """A project with its ontology, live annotation counts by class and its latest jobs."""
    return reply(project_summary(ctx, project))


def project_summary(ctx: Context, project: str) -> ProjectSummary:
    proj = ctx.ws.project(project)
    with ctx.ws.engine.connect() as conn:
        pid = project_record(conn, project).id
        live = (
            sa.select(features.c.name, sa.func.count())
            .select_from(annotations_t.join(labels, labels.c.id == annotations_t.c.label_id))
            .join(features, features.c.id == annotations_t.c.feature_id)
            .where(labels.c.project_id == pid, annotations_t.c.superseded_by.is_(None))
            .where(labels.c.source == Mode.GROUND_TRUTH.source)
            .group_by(features.c.name)
        )
        counts = {str(name): int(n) for name, n in conn.execute(live)}
        labelled = conn.execute(
            sa.select(sa.func.count())
            .select_from(labels)
            .where(labels.c.project_id == pid, labels.c.source == Mode.GROUND_TRUTH.source)
        ).scalar_one()
    jobs = sorted(ctx.ws.jobs(project), key=lambda j: j.id, reverse=True)[:RECENT_JOBS]
    return ProjectSummary(
        project=proj,
        ontology=ctx.ws.ontology(proj.ontology).spec,
        label_counts=counts,
        labelled_rows=int(labelled),
        recent_jobs=jobs,
    )


@router.get(
    "/import-samples",
    operation_id="get_import_samples",
    tags=["views"],
    openapi_extra=READ,
    responses=returns(samples.Samples),
)
def get_import_samples(
    ctx: Ctx, project: Annotated[str, Query()], server: Annotated[str, Query()] = "http://127.0.0.1:8000"
) -> Response:
    """Copy-ready SDK, CLI and curl snippets for this project, and a valid payload line per class."""
    return reply(import_samples(ctx, project, server))


def import_samples(ctx: Context, project: str, server: str) -> samples.Samples:
    proj = ctx.ws.project(project)
    first = ctx.ws.tasks(project, limit=1)
    row = ctx.ws.row(first[0].global_key) if first else None
    return samples.build(proj, ctx.ws.ontology(proj.ontology).spec, server, row, takes=takes_tool)


class Paged(msgspec.Struct, kw_only=True):
    """A page of a list for a web page: its items and the cursors of its links (`cursor.pager`)."""

    items: list[Any]
    pager: dict[str, str | None]


def task_page(
    ctx: Context, project: str, limit: int, *, after: str | None, before: str | None, offset: int = 0
) -> Paged:
    """A keyset page of a project's rows by global key, as /tasks answers it."""
    seek = cursor.seek(cursor.ROWS, after, before, offset)
    with ctx.ws.engine.connect() as conn:
        page = paging.task_window(conn, project_record(conn, project), seek, limit, offset=offset)
    return Paged(items=page.items, pager=cursor.pager(cursor.ROWS, page, seek))


def issue_page(
    ctx: Context,
    job_id: int,
    limit: int,
    *,
    after: str | None,
    before: str | None,
    offset: int = 0,
    code: str | None = None,
    data_row: str | None = None,
) -> Paged:
    """A keyset page of a job's issues in payload order, as /jobs/{id}/issues answers it."""
    seek = cursor.seek(cursor.ISSUES, after, before, offset)
    with ctx.ws.engine.connect() as conn:
        page = paging.issue_window(conn, job_id, seek, limit, code=code, data_row=data_row, offset=offset)
    return Paged(items=page.items, pager=cursor.pager(cursor.ISSUES, page, seek))


def takes_tool(tool: ToolKind, media: str) -> bool:
    """Does a project of this media type take this tool at all? The validator's own table, so a
    sample is never written for a tool the import would refuse as ``wrong_media_type``."""
    return any(tool in TOOLS_FOR_KIND.get(k, set()) for k in MEDIA_KINDS.get(media, set()))


@router.get(
    "/jobs/{job_id}/issue-groups",
    operation_id="list_job_issue_groups",
    tags=["jobs"],
    openapi_extra=READ,
    responses=returns(list[IssueGroup]),
)
def list_job_issue_groups(job_id: Id, ctx: Ctx, data_row: str | None = None) -> Response:
    """A job's issues by code, commonest first: count, catalogue summary and fix, first locations."""
    return reply(issue_groups(ctx, job_id, data_row=data_row))


def issue_groups(ctx: Context, job_id: int, *, data_row: str | None = None) -> list[IssueGroup]:
    if data_row is None:
        by_code = ctx.ws.job(job_id).issues_by_code
    else:
        with ctx.ws.engine.connect() as conn:
            job_store.job_record(conn, job_id)
            q = (
                sa.select(job_issues.c.code, sa.func.count())
                .where(job_issues.c.job_id == job_id, job_issues.c.data_row == data_row)
                .group_by(job_issues.c.code)
            )
            by_code = {str(c): int(n) for c, n in conn.execute(q)}
    groups = []
    for code, count in sorted(by_code.items(), key=lambda kv: (-kv[1], kv[0])):
        info = CODES.get(code)
        first = list(ctx.ws.job_issues(job_id, limit=FIRST_LOCATIONS, code=code, data_row=data_row))
        groups.append(
            IssueGroup(
                code=code,
                count=count,
                severity=str(info.severity.value if info else first[0].severity if first else "error"),
                summary=info.summary if info else "",
                hint=info.fix if info else "",
                first=first,
            )
        )
    return groups


@router.get(
    "/jobs/{job_id}/issues/download",
    operation_id="download_job_issues",
    tags=["jobs"],
    openapi_extra=READ,
    responses=streams("Every issue of the job (or of one code / data row) as CSV or NDJSON"),
)
def download_job_issues(
    job_id: Id,
    ctx: Ctx,
    format: Annotated[str, Query(pattern="^(csv|ndjson)$")] = "csv",
    code: str | None = None,
    data_row: str | None = None,
) -> Response:
    """Streamed a page at a time from the database: a 50,000-issue report is never held whole."""
    ctx.ws.job(job_id)
    found = ctx.ws.job_issues(job_id, code=code, data_row=data_row)
    body = _csv(found) if format == "csv" else (orjson.dumps(msgspec.to_builtins(i)) + b"\n" for i in found)
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    name = f"job-{job_id}-issues.{format}"
    return StreamingResponse(
        body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


def _csv(found: Iterator[Issue]) -> Iterator[bytes]:
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(ISSUE_COLUMNS)
    for n, issue in enumerate(found):
        loc = issue.location
        out.writerow(
            [
                issue.code,
                issue.severity.value,
                issue.message,
                issue.hint or "",
                loc.file or "",
                loc.line or "",
                loc.pointer or "",
                loc.annotation_id or "",
                loc.data_row or "",
            ]
        )
        if n % 500 == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue().encode()


@router.post(
    "/jobs/{job_id}/confirm",
    operation_id="confirm_dry_run",
    tags=["jobs"],
    openapi_extra=IMPORT,
    status_code=202,
    responses=returns(ImportJob, 202, "Accepted: the real import is queued"),
)
def confirm_dry_run(job_id: Id, ctx: Ctx) -> Response:
    """Import for real what a dry run checked: its payload, format, mode, policy and options."""
    job = ctx.ws.job(job_id)
    if not job.dry_run:
        raise InvalidInputError(f"job {job_id} is not a dry run", code="not_a_dry_run")
    with ctx.ws.engine.connect() as conn:
        opts = orjson.loads(job_store.job_record(conn, job_id).options)
    new_id = ctx.ws.create_import(
        job.project,
        job.payload,
        format=job.format,
        mode=job.mode,
        on_existing=job.on_existing,
        class_map=opts.get("class_map"),
        options=opts.get("format_options"),
        name=job.name,
    )
    runner.submit(ctx.ws.url, new_id)
    return reply(ctx.ws.job(new_id), 202)


@router.get(
    "/row-labels",
    operation_id="get_row_labels",
    tags=["labels"],
    openapi_extra=READ,
    responses=returns(RowLabels),
)
def get_row_labels(
    ctx: Ctx,
    project: Annotated[str, Query()],
    global_key: Annotated[str, Query()],
    mode: Annotated[Mode, Query()] = Mode.GROUND_TRUTH,
) -> Response:
    """One data row with its live annotations in a project, and the ontology's colour per class."""
    return reply(row_labels(ctx, project, global_key, mode))


def row_labels(ctx: Context, project: str, global_key: str, mode: Mode = Mode.GROUND_TRUTH) -> RowLabels:
    row = ctx.ws.row(global_key)
    proj = ctx.ws.project(project)
    ontology = parse_ontology(ctx.ws.ontology(proj.ontology).spec)
    colors = {t.name: t.color or PALETTE[i % len(PALETTE)] for i, t in enumerate(ontology.tools)}
    for i, c in enumerate(ontology.classifications, len(ontology.tools)):
        colors[c.name] = PALETTE[i % len(PALETTE)]
    skeletons = {
        t.name: Skeleton(keypoints=list(t.keypoints), edges=list(t.edges))
        for t in ontology.tools
        if t.kind is ToolKind.SKELETON
    }
    with ctx.ws.engine.connect() as conn:
        pid = project_record(conn, project).id
        # the store's own read of a row's live annotations: this view shows exactly what exports write
        rows = job_store.iter_labels(conn, pid, mode.source, global_key=global_key)
        found = [a for _info, _fields, anns in rows for a in anns]  # one row at most
    return RowLabels(row=row, project=project, colors=colors, labels=found, skeletons=skeletons)


@router.get(
    "/assets",
    operation_id="get_asset",
    tags=["rows"],
    openapi_extra=READ,
    responses=streams(
        "The data row's asset, one frame of an image sequence, or one page of a PDF rendered as a PNG"
        " (header x-render-scale: pixels per PDF point)"
    ),
)
def get_asset(
    ctx: Ctx,
    global_key: Annotated[str, Query()],
    frame: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    page: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    """A row's own local file, never another path: the file is the row's recorded uri (or, for a
    frame, a name listed in the row's probed frames), so no request names a path itself. A PDF
    page is rendered on the server (browsers cannot draw labels over their PDF plugin); its
    scale is in the header, so boxes in points are placed without guessing."""
    row = ctx.ws.row(global_key)
    if page is None:
        return FileResponse(asset_path(row, frame))
    if row.media_type != MediaType.PDF:
        raise InvalidInputError(
            f"{row.global_key} is {row.media_type}, not a PDF: it has no pages to render",
            code="not_a_pdf",
            hint="leave out `page`",
        )
    shown = render_pdf_page(asset_path(row, None), page)
    headers = {
        "x-render-scale": repr(shown.scale),
        "cache-control": "private, max-age=300",
    }
    return Response(shown.png, media_type="image/png", headers=headers)


def asset_path(row: DataRow, frame: int | None) -> Path:
    if "://" in row.uri and not row.uri.startswith("file://"):
        raise InvalidInputError(
            f"the asset of {row.global_key} is not a local file ({row.uri.split('://')[0]})",
            code="asset_not_local",
            hint="open it from its storage directly",
        )
    path = Path(row.uri.removeprefix("file://"))
    if frame is not None:
        frames = row.metadata.get("frames") or []
        if not path.is_dir() or frame > len(frames):
            raise NotFoundError(f"{row.global_key} has no frame {frame}", code="frame_not_found")
        name = frames[frame - 1]
        if isinstance(name, dict):  # the scene probe's {"filename", "width", "height"}
            name = name.get("filename") or name.get("name") or name.get("path")
        path = path / Path(str(name)).name
    if not path.is_file():
        raise NotFoundError(f"the asset of {row.global_key} is missing: {path}", code="asset_missing")
    return path
