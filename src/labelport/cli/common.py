"""The one workspace a CLI invocation works on."""

from __future__ import annotations

from labelport.cli.output import STATE
from labelport.workspace import Workspace

_ws: Workspace | None = None


def workspace() -> Workspace:
    """Open the workspace named by ``--db`` / ``LABELPORT_DB`` once per invocation; refuses a
    missing or outdated schema with a message that says to run ``labelport init``."""
    global _ws
    if _ws is None:
        _ws = Workspace(STATE.db)
    return _ws


def close() -> None:
    global _ws
    if _ws is not None:
        _ws.close()
        _ws = None
