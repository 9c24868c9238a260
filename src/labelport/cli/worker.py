"""`labelport worker` (import jobs from the queue) and `labelport job cancel`."""

from __future__ import annotations

import logging
import os
import socket
from typing import Annotated

import typer

from labelport.cli.common import close, workspace
from labelport.cli.output import emit, err, out
from labelport.workspace.worker import run_worker


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, help="Jobs this process runs at once (one per project at a time).")
    ] = 1,
    heartbeat: Annotated[
        float,
        typer.Option(
            min=0.1,
            help="Seconds between the worker's signs of life; a worker silent for three of them is "
            "taken for dead and its job is run again by another.",
        ),
    ] = 10.0,
) -> None:
    """Run import jobs from the queue of a PostgreSQL workspace until stopped (Ctrl-C, SIGTERM).

    Start as many as you like, on as many machines as you like; each job runs once, and a job
    whose worker dies is retried by the others.

    Example: labelport --db postgresql://db/labelport worker --concurrency 2
    """
    url = workspace().url  # refuses a missing or outdated schema before taking jobs
    close()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    name = f"{socket.gethostname()}:{os.getpid()}"
    err.print(f"labelport: worker {name} taking import jobs (concurrency {concurrency})")
    run_worker(url, concurrency=concurrency, heartbeat=heartbeat, name=name)


def job_cancel(job: int) -> None:
    """Cancel a job: a queued one never runs; a running one stops at its next checkpoint and
    commits nothing. A finished job cannot be cancelled (undo it instead).

    Example: labelport job cancel 7
    """
    j = workspace().cancel_job(job)
    emit(j, lambda: out.print(f"job {j.id} {j.state.value}"))
