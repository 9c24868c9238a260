"""Who runs a submitted import job: the only part that differs between SQLite and PostgreSQL.

A SQLite workspace is one file on one machine, so the server runs its jobs itself, on one
background thread per workspace (SQLite takes one writer at a time anyway). A PostgreSQL workspace
hands them to the queue (`labelport.jobs.queue`), where ``labelport worker`` processes on any
number of machines take them. Either way the job runs through `run_submitted`, i.e. `run_import`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from labelport.jobs import cancel as cancelling
from labelport.jobs.pipeline import run_import
from labelport.model.jobs import JobState
from labelport.store import db
from labelport.store import imports as store

log = logging.getLogger(__name__)


def run_submitted(engine: sa.Engine, job_id: int) -> None:
    """Run a job taken from a queue. A job already succeeded (its worker died after the commit,
    before the queue heard of it) or cancelled is left as it is: running it again would judge
    its own labels as existing ones."""
    with _lease(engine, job_id):
        with engine.connect() as conn:
            state = JobState(store.job_record(conn, job_id).state)
        if state in (JobState.SUCCEEDED, JobState.CANCELLED):
            log.info("job %s is %s; not run again", job_id, state.value)
            return
        run_import(engine, job_id)


@contextmanager
def _lease(engine: sa.Engine, job_id: int) -> Iterator[None]:
    """On PostgreSQL, hold a session lock on the job while it runs. A worker wrongly taken for dead
    (a stalled heartbeat, not a stopped process) still holds it, so the retry waits for that run
    to end and then finds the job finished, instead of running it a second time alongside. The
    lock goes with the session: a killed worker's connection closes and frees it."""
    if db.is_sqlite(engine):
        yield
        return
    key = sa.func.hashtext(sa.func.current_database() + "." + sa.func.current_schema())
    with engine.connect() as conn:
        conn.execute(sa.select(sa.func.pg_advisory_lock(key, job_id)))
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(key, job_id)))
            conn.commit()


def is_queued(url: str) -> bool:
    """Does this workspace's URL send jobs to the queue (PostgreSQL) rather than a thread?"""
    return not db.normalize_url(url).startswith("sqlite")


def submit(url: str, job_id: int) -> None:
    """Make a recorded job run, on the runner the URL's engine calls for; returns at once."""
    if is_queued(url):
        from labelport.jobs import queue as job_queue  # procrastinate only where it is used

        job_queue.defer(url, job_id)
    else:
        _local(url).put(job_id)


def cancel(url: str, job_id: int) -> None:
    """Cancel a job: queued, it never runs; running, it stops at its next checkpoint and commits
    nothing. Raises `ConflictError` (``job_finished``) for a finished job."""
    engine = db.create_engine(url)
    try:
        cancelling.request(engine, job_id)
    finally:
        engine.dispose()


def wait_idle(url: str, timeout: float | None = None) -> bool:
    """For a SQLite workspace, wait until its thread has run every submitted job (server shutdown,
    tests). True when idle; always True for a queued workspace, whose jobs live in the database."""
    if is_queued(url):
        return True
    return _local(url).wait(timeout)


class _Thread:
    """One workspace's job thread and its queue of job ids."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.jobs: queue.Queue[int] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="labelport-jobs", daemon=True)
        self.thread.start()

    def put(self, job_id: int) -> None:
        self.jobs.put(job_id)

    def wait(self, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.jobs.unfinished_tasks:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def _loop(self) -> None:
        engine = db.create_engine(self.url)
        while True:
            job_id = self.jobs.get()
            try:
                run_submitted(engine, job_id)
            except Exception:
                # run_import has already recorded the job as failed with the error; the thread
                # must live on for the next job
                log.exception("import job %s failed", job_id)
            finally:
                self.jobs.task_done()


_threads: dict[str, _Thread] = {}
_threads_lock = threading.Lock()


def _local(url: str) -> _Thread:
    key = db.normalize_url(url)
    with _threads_lock:
        if key not in _threads:
            _threads[key] = _Thread(key)
        return _threads[key]


__all__ = ["cancel", "is_queued", "run_submitted", "submit", "wait_idle"]
