"""What every route works with: the workspace, storage, settings and the spool folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request

from labelport.api.settings import Settings
from labelport.store.blobs import Blobs
from labelport.workspace import Workspace


@dataclass(frozen=True)
class Context:
    ws: Workspace
    settings: Settings
    blobs: Blobs
    spool: Path


def get_context(request: Request) -> Context:
    """The FastAPI dependency routes take their context from."""
    ctx = request.app.state.ctx
    assert isinstance(ctx, Context)
    return ctx
