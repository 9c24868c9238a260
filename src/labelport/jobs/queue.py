"""The import queue of a PostgreSQL workspace: procrastinate, in the workspace's own database.

Why procrastinate: it is a maintained queue that needs nothing but the PostgreSQL labelport already
uses (no broker to run), defers a job in the caller's database, wakes workers with LISTEN/NOTIFY,
keeps a heartbeat per worker, and runs jobs sharing a ``lock`` one after another. Its tables live
beside labelport's, in the same schema (its own SQL, applied on first use).

Two things labelport adds:

- Jobs of one project run one at a time (procrastinate's ``lock`` per project). A job validates
  against the labels that exist when it starts, so two overlapping jobs must not interleave: each
  one sees what the previous one committed, and the ``--on-existing`` policy decides exactly as if
  they were run by hand one after another.
- A worker that dies (SIGKILL, OOM, a lost machine) leaves its job ``doing`` in the queue. Every
  worker looks for jobs whose worker's heartbeat stopped and puts them back; the commit being one
  transaction, the retry finds nothing half-written, and one that had committed is not run again
  (`labelport.jobs.runner.run_submitted`). After `MAX_ATTEMPTS` the job is failed with
  ``worker_lost`` instead of killing worker after worker.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import procrastinate
import psycopg
import sqlalchemy as sa
from procrastinate.job_context import JobContext
from procrastinate.jobs import Status

from labelport.jobs.runner import run_submitted
from labelport.model.errors import NotFoundError
from labelport.model.jobs import JobState
from labelport.store import db
from labelport.store import imports as store
from labelport.store.catalog import now

log = logging.getLogger(__name__)

TASK = "labelport:run_import_job"
MAX_ATTEMPTS = 5
_RECOVERY_LOCK = 0x6C6162_656C706F  # one worker at a time looks for stalled jobs
_SCHEMA_LOCK = 0x6C6162_656C7070

tasks = procrastinate.Blueprint()


@tasks.task(
    name="run_import_job",
    pass_context=True,
    # an exception out of run_import is the environment's (a lost database connection, a full
    # disk): the job has been marked failed with it, and running it again is safe
    retry=procrastinate.RetryStrategy(max_attempts=MAX_ATTEMPTS - 1, wait=2),
)
def run_import_job(context: JobContext, job_id: int) -> None:
    engine: sa.Engine = context.additional_context["engine"]
    log.info("import job %s: running (queue attempt %d)", job_id, context.job.attempts + 1)
    run_submitted(engine, job_id)
    log.info("import job %s: done", job_id)


def conninfo(url: str) -> str:
    """The libpq URI of a workspace URL (query options such as ``search_path`` kept)."""
    full = db.normalize_url(url)
    if not full.startswith("postgresql+psycopg://"):
        raise ValueError(f"not a PostgreSQL URL: {url}")
    return "postgresql://" + full.split("://", 1)[1]


_schema_done: set[str] = set()
_schema_mutex = threading.Lock()


def ensure_schema(dsn: str) -> None:
    """Create procrastinate's tables in the workspace's schema unless they are there; several
    processes starting at once take turns on an advisory lock."""
    with _schema_mutex:
        if dsn in _schema_done:
            return
        with psycopg.connect(dsn, autocommit=True) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            found = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if found is None or found[0] is None:
                conn.execute(procrastinate.schema.SchemaManager.get_schema())
        _schema_done.add(dsn)


def _make_app(connector: procrastinate.connector.BaseConnector) -> procrastinate.App:
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(tasks, namespace="labelport")
    return app


_deferrers: dict[str, procrastinate.App] = {}
_deferrers_mutex = threading.Lock()


def _deferrer(dsn: str) -> procrastinate.App:
    with _deferrers_mutex:
        app = _deferrers.get(dsn)
        if app is None:
            ensure_schema(dsn)
            app = _make_app(procrastinate.SyncPsycopgConnector(conninfo=dsn, min_size=1, max_size=4))
            app.open()
            _deferrers[dsn] = app
        return app


def lock_for(project_id: int) -> str:
    return f"labelport-project-{project_id}"


def defer(url: str, job_id: int) -> int:
    """Put a recorded import job on the queue; returns procrastinate's job id."""
    app = _deferrer(conninfo(url))
    try:
        row = app.connector.get_sync_connector().execute_query_one(
            "SELECT project_id FROM import_jobs WHERE id = %(job_id)s", job_id=job_id
        )
    except procrastinate.exceptions.NoResult:
        raise NotFoundError(f"no import job {job_id}", code="job_not_found") from None
    return app.configure_task(TASK, lock=lock_for(int(row["project_id"]))).defer(job_id=job_id)


# --- workers ------------------------------------------------------------------------------------


def work(url: str, *, concurrency: int = 1, heartbeat: float = 10.0, name: str | None = None) -> None:
    """Run a worker until SIGINT/SIGTERM (``labelport worker``). ``heartbeat`` is how often it says
    it is alive; a worker silent for three heartbeats is taken for dead and its job is retried."""
    dsn = conninfo(url)
    ensure_schema(dsn)
    engine = db.create_engine(url)
    try:
        asyncio.run(_work(dsn, engine, concurrency=concurrency, heartbeat=heartbeat, name=name))
    finally:
        engine.dispose()


async def _work(dsn: str, engine: sa.Engine, *, concurrency: int, heartbeat: float, name: str | None) -> None:
    app = _make_app(procrastinate.PsycopgConnector(conninfo=dsn, min_size=1, max_size=concurrency + 3))
    stalled_after = 3 * heartbeat
    async with app.open_async():
        recovery = asyncio.create_task(_recover_forever(app, dsn, engine, stalled_after))
        try:
            await app.run_worker_async(
                concurrency=concurrency,
                name=name or "labelport-worker",
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=stalled_after,
                additional_context={"engine": engine},
                delete_jobs="successful",
            )
        finally:
            recovery.cancel()


async def _recover_forever(app: procrastinate.App, dsn: str, engine: sa.Engine, stalled_after: float) -> None:
    while True:
        try:
            await recover_stalled(app, dsn, engine, stalled_after)
        except Exception:
            log.exception("looking for stalled jobs failed; trying again later")
        await asyncio.sleep(max(stalled_after / 3, 0.5))


async def recover_stalled(
    app: procrastinate.App, dsn: str, engine: sa.Engine, stalled_after: float
) -> list[int]:
    """Put back the jobs of workers silent for ``stalled_after`` seconds; returns the labelport
    job ids put back. Recoverers take turns on an advisory lock, so a job another worker has just
    taken again is never seen as stalled a second time."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        got = await (await conn.execute("SELECT pg_try_advisory_lock(%s)", (_RECOVERY_LOCK,))).fetchone()
        if not got or not got[0]:
            return []
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=stalled_after, task_name=TASK
            )
            put_back = []
            for job in stalled:
                job_id = int(job.task_kwargs["job_id"])  # type: ignore[arg-type]
                if job.attempts + 1 >= MAX_ATTEMPTS:
                    log.error("import job %s lost its worker %d times; failing it", job_id, job.attempts + 1)
                    await asyncio.to_thread(_fail_lost, engine, job_id, job.attempts + 1)
                    await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
                    continue
                log.warning("import job %s lost its worker; putting it back on the queue", job_id)
                await app.job_manager.retry_job(job)
                put_back.append(job_id)
            return put_back
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_RECOVERY_LOCK,))


def _fail_lost(engine: sa.Engine, job_id: int, attempts: int) -> None:
    error: dict[str, Any] = {
        "code": "worker_lost",
        "message": f"the worker running this job stopped {attempts} times; it was not run again",
        "hint": "look at the workers' logs (memory, time limits), then `labelport job run` it",
    }
    with db.transaction(engine) as conn:
        job = store.job_record(conn, job_id)
        if not JobState(job.state).finished:
            store.update_job(conn, job_id, state=JobState.FAILED, error=error, finished_at=now())


def queue_stats(url: str) -> dict[str, int]:
    """How many import jobs the queue holds per status (``labelport worker --json``, tests)."""
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute(
            "SELECT status::text, count(*) FROM procrastinate_jobs WHERE task_name = %s GROUP BY 1",
            (TASK,),
        ).fetchall()
    return {str(s): int(n) for s, n in rows}


__all__ = ["MAX_ATTEMPTS", "TASK", "conninfo", "defer", "ensure_schema", "recover_stalled", "work"]
