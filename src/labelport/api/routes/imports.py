"""Imports (uploaded or by URL), class-map suggestions, format detection, labels and exports.

An import is recorded, handed to the runner and answered at once with the queued job (202): with
SQLite the server's own thread runs it, with PostgreSQL a ``labelport worker`` does. The client
follows it on ``/jobs/{id}``.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
import msgspec
import orjson
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.background import BackgroundTask
from starlette.responses import Response

from labelport.api import cursor, exports, uploads
from labelport.api.auth import scoped
from labelport.api.context import Context, get_context
from labelport.api.cursor import CursorParam
from labelport.api.params import Offset
from labelport.api.responses import reply, returns, streams
from labelport.formats import detect as detect_format
from labelport.formats import get as get_format
from labelport.formats import names as format_names
from labelport.formats.base import ExportSummary
from labelport.jobs import runner
from labelport.jobs.classmap import ClassMapSuggestion
from labelport.media.fetch import check_url, private_allowed
from labelport.model.errors import InvalidInputError
from labelport.model.jobs import ImportJob, Mode, OnExisting
from labelport.model.records import Annotation
from labelport.model.tokens import Scope
from labelport.store import paging
from labelport.store.blobs import BlobConfig
from labelport.store.projects import project_record

router = APIRouter()
Ctx = Annotated[Context, Depends(get_context)]
READ, IMPORT = scoped(Scope.READ), scoped(Scope.IMPORT)

PAYLOAD_BODY = uploads.request_body(
    "The payload: the raw body, or a form with one file part named `payload`. A zip is unpacked "
    "(folder formats)."
)


class FormatInfo(msgspec.Struct, kw_only=True):
    name: str
    title: str
    can_import: bool
    can_export: bool
    media_types: list[str]
    carries: str
    options: dict[str, str]


class FormatGuess(msgspec.Struct, kw_only=True):
    confidence: float
    reasons: list[str]


class Detected(msgspec.Struct, kw_only=True):
    format: str | None
    formats: dict[str, FormatGuess]


class LabelsPage(msgspec.Struct, kw_only=True):
    labels: dict[str, list[Annotation]]
    next_offset: int | None  # when paged by offset
    next_after: str | None = None  # pass as `after` for the next page; null on the last
    prev_before: str | None = None  # pass as `before` for the previous page; null on the first


class ExportCreated(msgspec.Struct, kw_only=True):
    id: str
    archive: bool  # a folder format: the download is a zip of the folder
    summary: ExportSummary


class ImportFromUrl(BaseModel):
    project: str
    url: str
    format: str = "auto"
    mode: Mode = Mode.GROUND_TRUTH
    dry_run: bool = False
    class_map: dict[str, str] | None = None
    on_existing: OnExisting = OnExisting.FAIL
    name: str | None = None
    options: dict[str, str] | None = None


class ExportIn(BaseModel):
    project: str
    format: str
    mode: Mode = Mode.GROUND_TRUTH
    options: dict[str, str] | None = None


def parse_options(given: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in given:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"option {item!r}: give KEY=VALUE", code="invalid_option")
        out[key.strip()] = value
    return out


def parse_class_map(text: str | None) -> dict[str, str] | None:
    if text is None:
        return None
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError(f"class_map: invalid JSON: {exc}", code="class_map_invalid") from exc
    if not isinstance(doc, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in doc.items()
    ):
        raise InvalidInputError(
            "class_map: expected a JSON object of source name to ontology name", code="class_map_invalid"
        )
    return doc


def _submit(ctx: Context, job_id: int) -> ImportJob:
    runner.submit(ctx.ws.url, job_id)
    return ctx.ws.job(job_id)


@router.post(
    "/imports",
    operation_id="create_import",
    tags=["imports"],
    openapi_extra={**scoped(Scope.IMPORT, upload=True), **PAYLOAD_BODY},
    status_code=202,
    responses=returns(ImportJob, 202, "Accepted: the job is queued"),
)
async def create_import(
    request: Request,
    ctx: Ctx,
    project: Annotated[str, Query()],
    format: Annotated[str, Query(description="A format name, or auto")] = "auto",
    mode: Annotated[Mode, Query()] = Mode.GROUND_TRUTH,
    dry_run: Annotated[bool, Query()] = False,
    on_existing: Annotated[OnExisting, Query()] = OnExisting.FAIL,
    name: Annotated[str | None, Query()] = None,
    option: Annotated[list[str], Query(description="A format option KEY=VALUE; repeatable")] = [],  # noqa: B006
    class_map: Annotated[str | None, Query(description='JSON {"Source name": "ontology name"}')] = None,
    filename: Annotated[str | None, Query(description="The payload's file name, for detection")] = None,
) -> Response:
    """Upload a payload and queue its import; the answer is the queued job."""
    options, cmap = parse_options(option), parse_class_map(class_map)
    await anyio.to_thread.run_sync(ctx.ws.project, project)  # refuse before taking the upload
    upload = await uploads.open_upload(request, filename)
    uri = await uploads.store(upload, ctx.blobs, ctx.spool, ctx.settings.max_upload_bytes)

    def make() -> int:
        return ctx.ws.create_import(
            project,
            uri,
            format=format,
            mode=mode,
            dry_run=dry_run,
            class_map=cmap,
            on_existing=on_existing,
            name=name or upload.filename,
            options=options or None,
        )

    try:
        job_id = await anyio.to_thread.run_sync(make)
    except BaseException:
        await anyio.to_thread.run_sync(ctx.blobs.delete, uri)  # no job refers to it
        raise
    return reply(await anyio.to_thread.run_sync(_submit, ctx, job_id), 202)


@router.post(
    "/imports/url",
    operation_id="create_import_from_url",
    tags=["imports"],
    openapi_extra=IMPORT,
    status_code=202,
    responses=returns(ImportJob, 202, "Accepted: the job is queued"),
)
def create_import_from_url(body: ImportFromUrl, ctx: Ctx) -> Response:
    """Queue the import of a payload the server fetches (http/https, public addresses only), or
    one already in the server's S3 storage (``s3://`` under ``LABELPORT_STORAGE``)."""
    if body.url.startswith("s3://"):
        storage = BlobConfig.from_env(ctx.ws.url).location.rstrip("/") + "/"
        if not storage.startswith("s3://") or not body.url.startswith(storage):
            raise InvalidInputError(
                f"{body.url} is outside this server's storage",
                code="url_not_allowed",
                hint="upload the payload, or give an http(s) URL",
            )
    else:
        check_url(body.url, allow_private=private_allowed())

    def make() -> int:
        return ctx.ws.create_import(
            body.project,
            body.url,
            format=body.format,
            mode=body.mode,
            dry_run=body.dry_run,
            class_map=body.class_map,
            on_existing=body.on_existing,
            name=body.name,
            options=body.options or None,
        )

    return reply(_submit(ctx, make()), 202)


@router.post(
    "/imports/class-map-suggestion",
    operation_id="suggest_class_map",
    tags=["imports"],
    openapi_extra={**scoped(Scope.READ, upload=True), **PAYLOAD_BODY},
    responses=returns(ClassMapSuggestion),
)
async def suggest_class_map(
    request: Request,
    ctx: Ctx,
    project: Annotated[str, Query()],
    format: Annotated[str, Query()] = "auto",
    option: Annotated[list[str], Query()] = [],  # noqa: B006
    filename: Annotated[str | None, Query()] = None,
) -> Response:
    """The payload's class names against the project's ontology, with a map to review; no job."""
    options = parse_options(option)
    upload = await uploads.open_upload(request, filename)
    with uploads.local_folder(ctx.spool) as folder:
        path = await uploads.spool_local(upload, folder, ctx.settings.max_upload_bytes)
        result = await anyio.to_thread.run_sync(
            lambda: ctx.ws.suggest_class_map(project, path, format=format, options=options or None)
        )
    return reply(result)


@router.get(
    "/formats",
    operation_id="list_formats",
    tags=["formats"],
    openapi_extra=READ,
    responses=returns(list[FormatInfo]),
)
def list_formats() -> Response:
    specs = [get_format(n) for n in format_names()]
    return reply(
        [
            FormatInfo(
                name=s.name,
                title=s.title,
                can_import=s.read is not None,
                can_export=s.write is not None,
                media_types=list(s.media_types),
                carries=s.carries,
                options=dict(s.options),
            )
            for s in specs
        ]
    )


@router.post(
    "/detect",
    operation_id="detect_format",
    tags=["formats"],
    openapi_extra={**scoped(Scope.READ, upload=True), **PAYLOAD_BODY},
    responses=returns(Detected),
)
async def detect(request: Request, ctx: Ctx, filename: Annotated[str | None, Query()] = None) -> Response:
    """Which format the payload is, with every format's reasons (what ``format=auto`` does)."""
    upload = await uploads.open_upload(request, filename)
    with uploads.local_folder(ctx.spool) as folder:
        path = await uploads.spool_local(upload, folder, ctx.settings.max_upload_bytes)
        found, results = await anyio.to_thread.run_sync(detect_format, path)
    formats = {n: FormatGuess(confidence=d.confidence, reasons=list(d.reasons)) for n, d in results.items()}
    return reply(Detected(format=found, formats=formats))


@router.get(
    "/labels",
    operation_id="list_labels",
    tags=["labels"],
    openapi_extra=READ,
    responses=returns(LabelsPage),
)
def list_labels(
    ctx: Ctx,
    project: Annotated[str, Query()],
    mode: Annotated[Mode, Query()] = Mode.GROUND_TRUTH,
    global_key: Annotated[str | None, Query(description="Only this data row")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    after: CursorParam = None,
    before: CursorParam = None,
) -> Response:
    """Labelled rows' live annotations by global key, a page of rows at a time: follow
    ``next_after`` (as ``after``) until it is null, every page costing the same; ``prev_before``
    (as ``before``) goes back. ``offset`` still pages (``next_offset``) as it did."""
    seek = cursor.seek(cursor.ROWS, after, before, offset)
    with ctx.ws.engine.connect() as conn:
        proj = project_record(conn, project)
        page = paging.label_window(
            conn, proj.id, mode.source, seek, limit, global_key=global_key, offset=offset
        )
    by_offset = after is None and before is None
    return reply(
        LabelsPage(
            labels={info.global_key: anns for info, _fields, anns in page.items},
            next_offset=offset + limit if by_offset and page.more_after else None,
            **cursor.links(cursor.ROWS, page, seek),
        )
    )


@router.post(
    "/exports",
    operation_id="create_export",
    tags=["exports"],
    openapi_extra=READ,
    status_code=201,
    responses=returns(ExportCreated, 201, "Created: download it from /exports/{id}"),
)
def create_export(body: ExportIn, ctx: Ctx) -> Response:
    """Write a project's labels in a format on the server; the answer says what could not be
    carried and where to download the file (once)."""
    export_id, out = exports.new(ctx.spool)
    try:
        summary = ctx.ws.export(body.project, out, format=body.format, mode=body.mode, options=body.options)
    except BaseException:
        exports.discard(ctx.spool, export_id)
        raise
    return reply(ExportCreated(id=export_id, archive=out.is_dir(), summary=summary), 201)


@router.get(
    "/exports/{export_id}",
    operation_id="download_export",
    tags=["exports"],
    openapi_extra=READ,
    responses=streams("The exported file, or a zip of the exported folder"),
)
def download_export(export_id: str, ctx: Ctx) -> Response:
    """Stream an export's file back; it is deleted once sent."""
    body, name = exports.stream(ctx.spool, export_id)
    return exports.response(body, name, BackgroundTask(exports.discard, ctx.spool, export_id))
