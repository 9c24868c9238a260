"""`labelport serve` and `labelport token create | list | revoke`."""

from __future__ import annotations

import os
import urllib.parse
from typing import Annotated

import typer

from labelport.cli.common import close, workspace
from labelport.cli.output import emit, err, out, table

token_app = typer.Typer(help="API tokens for the server: issue, list, revoke.", no_args_is_help=True)

# The app is named by its import path so the CLI stays a face over the workspace (it never imports
# the API layer) and uvicorn builds the app in the process that serves it.
APP_FACTORY = "labelport.api.app:app_from_env"


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
) -> None:
    """Serve the REST API (OpenAPI at /openapi.json) on this workspace.

    With a SQLite workspace imports run inside the server, one at a time; with PostgreSQL they go
    to the queue for `labelport worker` processes.

    Example: labelport --db postgresql://localhost/labelport serve --host 0.0.0.0 --port 8000
    """
    import uvicorn

    ws = workspace()  # refuses a missing or outdated schema before anything listens
    os.environ["LABELPORT_DB"] = ws.url
    close()
    err.print(f"labelport: serving {_shown(ws.url)} on http://{host}:{port} (docs at /docs)")
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=False,
        server_header=False,
    )


def _shown(url: str) -> str:
    """The workspace URL without its password, for the console."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


@token_app.command("create")
def token_create(
    scope: Annotated[str, typer.Option(help="read, import (read and change) or admin (also tokens).")],
    name: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
) -> None:
    """Issue an API token and print it once: only its hash is kept.

    Example: labelport token create --scope import --name ci
    """
    issued = workspace().create_token(scope, name=name)
    data = {"token": issued.token, "id": issued.info.id, "scope": issued.info.scope.value}

    def render() -> None:
        out.print(issued.token)
        err.print(f"token {issued.info.id} ({issued.info.scope.value}): copy it now, it is not shown again")

    emit(data, render)


@token_app.command("list")
def token_list() -> None:
    """List API tokens (never their secrets)."""
    items = workspace().tokens()
    emit(
        items,
        lambda: table(
            None,
            ["id", "scope", "name", "starts with", "created", "last used", "revoked"],
            [
                [
                    t.id,
                    t.scope.value,
                    t.name,
                    t.prefix + "…",
                    t.created_at.isoformat(timespec="seconds"),
                    t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else None,
                    t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else None,
                ]
                for t in items
            ],
        ),
    )


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Revoke a token; the server refuses it from the next request on.

    Example: labelport token revoke 3
    """
    t = workspace().revoke_token(token_id)
    emit(t, lambda: out.print(f"token {t.id} revoked"))


__all__ = ["serve", "token_app"]
