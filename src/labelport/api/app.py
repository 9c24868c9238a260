"""The FastAPI app over one workspace: `create_app(url)`; `labelport serve` runs `app_from_env`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from labelport.api import problems, responses
from labelport.api.auth import SECURITY_SCHEME, AuthMiddleware
from labelport.api.context import Context
from labelport.api.routes import catalog, imports, jobs, projects, tokens, views
from labelport.api.settings import Settings
from labelport.store.blobs import open_blobs
from labelport.web import pages, session
from labelport.workspace import Workspace, default_url

VERSION = "0.1.0"


def create_app(url: str, *, settings: Settings | None = None) -> FastAPI:
    """An app serving the workspace at ``url``; refuses a missing or outdated schema at once."""
    settings = settings or Settings.from_env()
    ws = Workspace(url)
    spool = settings.spool or Path(tempfile.gettempdir()) / "labelport-spool"
    spool.mkdir(parents=True, exist_ok=True)
    ctx = Context(ws=ws, settings=settings, blobs=open_blobs(workspace_url=url), spool=spool)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            ws.close()

    app = FastAPI(
        title="labelport",
        version=VERSION,
        summary="Ground-truth label import: every format, exact or not at all.",
        description=(
            "Every route but `/health` needs `Authorization: Bearer <token>` "
            "(`labelport token create --scope read|import|admin`). Errors are "
            "`application/problem+json` with the CLI's error `code`."
        ),
        lifespan=lifespan,
        # the schema stays small and stable for generated clients: no example bodies of 422s
        separate_input_output_schemas=False,
    )
    app.state.ctx = ctx
    problems.install(app)

    @app.get("/health", operation_id="health", tags=["server"])
    def health() -> dict[str, str | int]:
        """Is the server up? Needs no token. Says the upload limit, so a client can refuse a
        payload that is too large before sending any of it."""
        return {"status": "ok", "max_upload_bytes": settings.max_upload_bytes}

    routers = [m.router for m in (catalog, projects, imports, jobs, tokens, views)]
    for router in routers:
        app.include_router(router)
    # the routers' own routes, which carry each route's declared scope and match requests alone
    routes = [route for router in routers for route in router.routes]
    app.add_middleware(AuthMiddleware, routes=routes, engine=ws.engine, settings=settings)
    app.include_router(pages.router)  # the web UI: pages need a read token, from the session cookie
    app.add_middleware(session.WebSessionMiddleware, public_app=pages.public_app())
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def app_from_env() -> FastAPI:
    """The app ``labelport serve`` hands to uvicorn: workspace and settings from the environment."""
    return create_app(os.environ.get("LABELPORT_DB") or default_url())


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        doc = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        for item in doc.get("paths", {}).values():
            for op in item.values():
                op.get("responses", {}).pop("422", None)  # the problem document is the default response
        schemas = doc.get("components", {}).get("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        doc = responses.resolve(doc)
        doc["components"]["securitySchemes"] = {SECURITY_SCHEME: {"type": "http", "scheme": "bearer"}}
        app.openapi_schema = doc
    return app.openapi_schema
