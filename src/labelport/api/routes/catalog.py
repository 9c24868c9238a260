"""Datasets, data rows and ontologies.

Files named by path are the server's files: ``POST /rows`` and manifests may only name files under
the folders ``LABELPORT_ROW_ROOTS`` lists, so a token cannot make the server read what it likes.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from labelport.api import uploads
from labelport.api.auth import scoped
from labelport.api.context import Context, get_context
from labelport.api.params import Offset
from labelport.api.responses import reply, returns
from labelport.media.fetch import check_url, private_allowed
from labelport.model.catalog import AddRowsResult, DataRow, Dataset, OntologyInfo
from labelport.model.errors import InvalidInputError
from labelport.model.tokens import Scope
from labelport.workspace.ingest import read_manifest

router = APIRouter()
Ctx = Annotated[Context, Depends(get_context)]
READ, IMPORT = scoped(Scope.READ), scoped(Scope.IMPORT)


class DatasetIn(BaseModel):
    name: str


class RowsIn(BaseModel):
    dataset: str
    paths: list[str] = Field(min_length=1, description="Files and folders on the server")
    media_type: str | None = None
    strict: bool = False


class OntologyIn(BaseModel):
    name: str
    spec: dict[str, Any]


@router.get(
    "/datasets",
    operation_id="list_datasets",
    tags=["datasets"],
    openapi_extra=READ,
    responses=returns(list[Dataset]),
)
def list_datasets(ctx: Ctx) -> Response:
    return reply(ctx.ws.datasets())


@router.post(
    "/datasets",
    operation_id="create_dataset",
    tags=["datasets"],
    openapi_extra=IMPORT,
    status_code=201,
    responses=returns(Dataset, 201, "Created"),
)
def create_dataset(body: DatasetIn, ctx: Ctx) -> Response:
    return reply(ctx.ws.create_dataset(body.name), 201)


@router.post(
    "/rows",
    operation_id="add_rows",
    tags=["rows"],
    openapi_extra=IMPORT,
    responses=returns(AddRowsResult),
)
def add_rows(body: RowsIn, ctx: Ctx) -> Response:
    """Add the server's files and folders (under ``LABELPORT_ROW_ROOTS``) to a dataset."""
    paths = [allowed_path(ctx, p) for p in body.paths]
    return reply(ctx.ws.add_rows(body.dataset, paths, media_type=body.media_type, strict=body.strict))


MANIFEST_BODY = uploads.request_body(
    "The manifest: the raw body, or a form with one file part named `payload`."
)


@router.post(
    "/rows/manifest",
    operation_id="add_manifest",
    tags=["rows"],
    openapi_extra={**scoped(Scope.IMPORT, upload=True), **MANIFEST_BODY},
    responses=returns(AddRowsResult),
)
async def add_manifest(
    request: Request,
    ctx: Ctx,
    dataset: Annotated[str, Query()],
    strict: Annotated[bool, Query()] = False,
    filename: Annotated[str | None, Query(description="The manifest's name: .csv or .json")] = None,
) -> Response:
    """Add the rows of a CSV or JSON manifest sent as the body."""
    upload = await uploads.open_upload(request, filename)
    with uploads.local_folder(ctx.spool) as folder:
        path = await uploads.spool_local(upload, folder, ctx.settings.max_upload_bytes)
        await anyio.to_thread.run_sync(check_manifest, ctx, path)
        result = await anyio.to_thread.run_sync(lambda: ctx.ws.add_manifest(dataset, path, strict=strict))
    return reply(result)


@router.get(
    "/rows", operation_id="list_rows", tags=["rows"], openapi_extra=READ, responses=returns(list[DataRow])
)
def list_rows(
    ctx: Ctx,
    dataset: str | None = None,
    prefix: str | None = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    offset: Offset = 0,
) -> Response:
    return reply(ctx.ws.rows(dataset, prefix=prefix, limit=limit, offset=offset))


@router.get(
    "/rows/{global_key:path}",
    operation_id="get_row",
    tags=["rows"],
    openapi_extra=READ,
    responses=returns(DataRow),
)
def get_row(global_key: str, ctx: Ctx) -> Response:
    """One row by global key (percent-encode it; its slashes may stay)."""
    return reply(ctx.ws.row(global_key))


@router.get(
    "/ontologies",
    operation_id="list_ontologies",
    tags=["ontologies"],
    openapi_extra=READ,
    responses=returns(list[OntologyInfo]),
)
def list_ontologies(ctx: Ctx) -> Response:
    return reply(ctx.ws.ontologies())


@router.post(
    "/ontologies",
    operation_id="create_ontology",
    tags=["ontologies"],
    openapi_extra=IMPORT,
    status_code=201,
    responses=returns(OntologyInfo, 201, "Created"),
)
def create_ontology(body: OntologyIn, ctx: Ctx) -> Response:
    return reply(ctx.ws.create_ontology(body.name, body.spec), 201)


@router.get(
    "/ontologies/{name:path}",
    operation_id="get_ontology",
    tags=["ontologies"],
    openapi_extra=READ,
    responses=returns(OntologyInfo),
)
def get_ontology(name: str, ctx: Ctx) -> Response:
    return reply(ctx.ws.ontology(name))


def allowed_path(ctx: Context, given: str) -> Path:
    """A server path a request may name: inside one of ``LABELPORT_ROW_ROOTS``."""
    roots = ctx.settings.row_roots
    if not roots:
        raise InvalidInputError(
            "this server adds no files by path",
            code="path_not_allowed",
            hint="send a manifest of URIs, or start the server with LABELPORT_ROW_ROOTS set",
        )
    try:
        path = Path(given).expanduser()
        path = (path if path.is_absolute() else roots[0] / path).resolve()
    except (ValueError, OSError, RuntimeError) as exc:
        raise InvalidInputError(f"{given!r} is not a usable path: {exc}", code="invalid_path") from exc
    if not any(path == root or path.is_relative_to(root) for root in roots):
        raise InvalidInputError(
            f"{given} is outside the folders this server adds files from",
            code="path_not_allowed",
            hint="LABELPORT_ROW_ROOTS lists them",
        )
    return path


def check_manifest(ctx: Context, manifest: Path) -> None:
    """Refuse a manifest naming server files outside the row roots, or URLs the server would
    fetch (to probe them) from addresses it must not reach."""
    for where, entry in read_manifest(manifest):
        uri = entry.get("uri")
        if not isinstance(uri, str) or not uri:
            continue  # the workspace reports it, located
        scheme = urllib.parse.urlsplit(uri).scheme
        if scheme in ("", "file"):
            local = urllib.parse.unquote(urllib.parse.urlsplit(uri).path) if scheme else uri
            try:
                allowed_path(ctx, str(manifest.parent / local) if not Path(local).is_absolute() else local)
            except InvalidInputError as exc:
                raise InvalidInputError(f"{where}: {exc.message}", code=exc.code, hint=exc.hint) from None
        elif scheme in ("http", "https") and not (entry.get("media_type") and entry.get("metadata")):
            try:
                check_url(uri, allow_private=private_allowed())
            except InvalidInputError as exc:
                raise InvalidInputError(f"{where}: {exc.message}", code=exc.code, hint=exc.hint) from None
