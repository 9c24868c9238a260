"""Queue workers for a PostgreSQL workspace (``labelport worker``), as a workspace-level call so
the CLI, which sits above the workspace, can start one without reaching into the job layer."""

from __future__ import annotations

from labelport.jobs import queue, runner
from labelport.model.errors import InvalidInputError


def run_worker(url: str, *, concurrency: int = 1, heartbeat: float = 10.0, name: str | None = None) -> None:
    """Take import jobs from the workspace's queue until SIGINT/SIGTERM."""
    if not runner.is_queued(url):
        raise InvalidInputError(
            "a SQLite workspace has no queue: `labelport serve` runs its imports itself",
            code="worker_needs_postgresql",
            hint="run workers against a postgresql:// workspace",
        )
    queue.work(url, concurrency=concurrency, heartbeat=heartbeat, name=name)


__all__ = ["run_worker"]
