"""The pages: server-rendered from the same functions the API routes answer with, plus a little
plain JavaScript (``static/app.js``) that calls the API itself for what changes while one looks:
a running job's progress, an issue page, a row's drawn labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from fastapi import APIRouter, Depends, Request
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.applications import Starlette
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route

from labelport.api.context import Context, get_context
from labelport.api.cursor import CursorParam
from labelport.api.params import Offset
from labelport.api.routes import views
from labelport.api.routes.imports import FormatInfo, list_formats
from labelport.web.session import COOKIE, UI

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["q"] = lambda s: quote(str(s), safe="")
router = APIRouter(prefix=UI, include_in_schema=False)
Ctx = Annotated[Context, Depends(get_context)]
ROWS_PER_PAGE = 50
ISSUES_PER_PAGE = 50


def _render(request: Request, name: str, **context: Any) -> Response:
    return templates.TemplateResponse(request, name, {"ui": UI, **context})


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value)


@router.get("/projects")
def projects_page(request: Request, ctx: Ctx) -> Response:
    return _render(request, "projects.html", projects=_plain(ctx.ws.projects()))


@router.get("/projects/{name}")
def project_page(
    request: Request,
    ctx: Ctx,
    name: str,
    offset: Offset = 0,
    after: CursorParam = None,
    before: CursorParam = None,
) -> Response:
    """The rows are a keyset page (the /tasks route's): the last of 100,000 as quick as the first;
    ``offset`` links from before still open their page."""
    summary = _plain(views.project_summary(ctx, name))
    page = views.task_page(ctx, name, ROWS_PER_PAGE, after=after, before=before, offset=offset)
    return _render(
        request, "project.html", s=summary, rows=_plain(page.items), pager=page.pager, tab="overview"
    )


@router.get("/projects/{name}/import")
def import_tab(request: Request, ctx: Ctx, name: str) -> Response:
    server = str(request.base_url).rstrip("/")
    return _render(
        request,
        "import_tab.html",
        s=_plain(views.project_summary(ctx, name)),
        samples=_plain(views.import_samples(ctx, name, server)),
        formats=sorted(f.name for f in _formats() if f.can_import),
        tab="import",
    )


def _formats() -> list[FormatInfo]:
    return msgspec.json.decode(bytes(list_formats().body), type=list[FormatInfo])


@router.get("/jobs/{job_id}")
def job_page(
    request: Request,
    ctx: Ctx,
    job_id: int,
    code: str | None = None,
    data_row: str | None = None,
    offset: Offset = 0,
    after: CursorParam = None,
    before: CursorParam = None,
) -> Response:
    """Issues are a keyset page (the /jobs/{id}/issues route's), filtered by code and data row."""
    job = ctx.ws.job(job_id)
    groups = views.issue_groups(ctx, job_id, data_row=data_row)
    page = views.issue_page(
        ctx, job_id, ISSUES_PER_PAGE, after=after, before=before, offset=offset, code=code, data_row=data_row
    )
    return _render(
        request,
        "job.html",
        job=_plain(job),
        groups=_plain(groups),
        issues=_plain(page.items),
        total=sum(g.count for g in groups if code is None or g.code == code),
        code=code,
        data_row=data_row,
        pager=page.pager,
    )


@router.get("/rows")
def row_page(request: Request, ctx: Ctx, project: str, global_key: str) -> Response:
    # the labels themselves are fetched by the page from /row-labels, the API route
    return _render(request, "row.html", v={"row": _plain(ctx.ws.row(global_key)), "project": project})


def _signin_page(request: Any) -> Response:
    why = request.query_params.get("why")
    return templates.TemplateResponse(
        request, "signin.html", {"ui": UI, "why": why, "next": request.query_params.get("next", "")}
    )


async def _signin(request: Any) -> Response:
    if request.method == "GET":
        return _signin_page(request)
    form = await request.form()
    token = str(form.get("token", "")).strip()
    nxt = str(form.get("next", ""))
    target = nxt if nxt.startswith(UI + "/") else UI + "/projects"
    response = RedirectResponse(target, status_code=303)
    if token:
        # the token is checked by the API's own middleware on the next page: one check for both
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


async def _signout(request: Any) -> Response:
    response = RedirectResponse(UI + "/signin", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def _home(request: Any) -> Response:
    return RedirectResponse(UI + "/projects", status_code=303)


def public_app() -> Starlette:
    """What needs no token: the sign-in page, signing out, and the static files."""
    return Starlette(
        routes=[
            Route(UI, _home),
            Route(UI + "/signin", _signin, methods=["GET", "POST"]),
            Route(UI + "/signin/out", _signout, methods=["POST", "GET"]),
            Mount(UI + "/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
    )
