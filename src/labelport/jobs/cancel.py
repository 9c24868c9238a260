"""Cancelling a job: the request is the job's state, so every process that runs jobs sees it.

A request marks the job ``cancelled`` at once. The process running it (the CLI, the server's thread
or a queue worker on another machine) looks at that state at its checkpoints — each progress update,
each change of phase and right before its commit — and stops there. The checkpoint locks the job's
row, so a cancel and a commit cannot both win: whichever takes the row first decides.
"""

from __future__ import annotations

import sqlalchemy as sa

from labelport.model.errors import ConflictError, NotFoundError
from labelport.model.jobs import JobState
from labelport.store.catalog import now
from labelport.store.db import transaction
from labelport.store.schema import import_jobs

FINAL = tuple(s.value for s in JobState if s.finished)


class JobCancelled(Exception):
    """Raised at a checkpoint of a job whose cancellation was requested."""


def _state(conn: sa.Connection, job_id: int) -> str:
    # FOR NO KEY UPDATE: a running commit holds the job's row FOR KEY SHARE (its journal rows point
    # at it), which this lock does not wait for, so a cancel can land while the commit is open
    q = sa.select(import_jobs.c.state).where(import_jobs.c.id == job_id).with_for_update(key_share=True)
    state = conn.execute(q).scalar()
    if state is None:
        raise NotFoundError(f"no import job {job_id}", code="job_not_found")
    return str(state)


def requested(conn: sa.Connection, job_id: int) -> bool:
    """Has the job been cancelled? Locks its row until the caller's transaction ends."""
    return _state(conn, job_id) == JobState.CANCELLED.value


def check(conn: sa.Connection, job_id: int) -> None:
    """A checkpoint: raise `JobCancelled` if the job was cancelled."""
    if requested(conn, job_id):
        raise JobCancelled(job_id)


def request(engine: sa.Engine, job_id: int) -> None:
    """Cancel a job that has not finished; a finished one is a conflict (nothing to stop)."""
    with transaction(engine) as conn:
        state = _state(conn, job_id)
        if state in FINAL:
            raise ConflictError(
                f"job {job_id} has already finished ({state}); there is nothing to cancel",
                code="job_finished",
                hint="undo it instead" if state == JobState.SUCCEEDED.value else None,
            )
        conn.execute(
            sa.update(import_jobs)
            .where(import_jobs.c.id == job_id)
            .values(state=JobState.CANCELLED.value, finished_at=now())
        )
