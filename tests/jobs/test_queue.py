"""The PostgreSQL queue: procrastinate in the workspace's own schema, real worker processes, a dead
worker's job put back and run once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import procrastinate
import pytest
import sqlalchemy as sa

from labelport import Workspace
from labelport.jobs import queue, runner
from labelport.jobs.pipeline import run_import
from labelport.model.errors import NotFoundError
from labelport.model.jobs import JobState
from labelport.store import db
from tests.jobs.conftest import write_ndjson
from tests.jobs.test_runner import points
from tests.workers import Worker, job_state, queue_worker_of, wait_until


@pytest.fixture
def pg(proj: Workspace) -> Iterator[Workspace]:
    if not runner.is_queued(proj.url):
        pytest.skip("the queue is for PostgreSQL workspaces")
    yield proj


@pytest.fixture
def engine(pg: Workspace) -> Iterator[sa.Engine]:
    e = db.create_engine(pg.url)
    yield e
    e.dispose()


def _queue_rows(engine: sa.Engine) -> list[tuple[int, str, str | None, int]]:
    with engine.connect() as conn:
        return [
            (int(r[0]), str(r[1]), r[2], int(r[3]))
            for r in conn.execute(
                sa.text(
                    "SELECT (args->>'job_id')::int, status::text, lock, attempts "
                    "FROM procrastinate_jobs ORDER BY id"
                )
            )
        ]


def _two_queued(ws: Workspace, tmp_path: Path, first: int = 3) -> tuple[int, int]:
    """Two jobs on the queue of project p: ``first`` new points, then three more (skip policy)."""
    a = ws.create_import("p", write_ndjson(tmp_path / "a.ndjson", points(first)))
    b = ws.create_import("p", write_ndjson(tmp_path / "b.ndjson", points(3, 500)), on_existing="skip")
    runner.submit(ws.url, a)
    runner.submit(ws.url, b)
    return a, b


def test_submit_defers_with_one_lock_per_project(pg: Workspace, engine: sa.Engine, tmp_path: Path) -> None:
    a, b = _two_queued(pg, tmp_path)
    project_id = pg.project("p").id
    assert _queue_rows(engine) == [
        (a, "todo", f"labelport-project-{project_id}", 0),
        (b, "todo", f"labelport-project-{project_id}", 0),
    ]
    queue.ensure_schema(queue.conninfo(pg.url))  # applied once; a second call changes nothing
    with pytest.raises(NotFoundError):
        runner.submit(pg.url, 10_000)


def test_a_worker_runs_queued_jobs_and_skips_cancelled_ones(
    pg: Workspace, engine: sa.Engine, tmp_path: Path
) -> None:
    first, cancelled = _two_queued(pg, tmp_path, first=30)
    pg.cancel_job(cancelled)
    worker = Worker(pg.url, tmp_path / "worker.log")
    try:
        wait_until(lambda: job_state(engine, first) == "succeeded", 60, "the job", worker.output)
        wait_until(lambda: _queue_rows(engine) == [], 30, "the queue to empty", worker.output)
    finally:
        worker.stop()
    assert worker.proc.returncode == 0, worker.output()
    assert pg.job(first).counts["annotations_imported"] == 30
    job = pg.job(cancelled)
    assert job.state is JobState.CANCELLED and job.started_at is None
    assert sum(len(a) for a in pg.labels("p").values()) == 30


def test_a_killed_workers_job_is_put_back_and_runs_once(
    pg: Workspace, engine: sa.Engine, tmp_path: Path
) -> None:
    """SIGKILL while the labels are written but not committed; the survivor notices the silence
    (three heartbeats) and runs the job again, from the start."""
    job_id = pg.create_import("p", write_ndjson(tmp_path / "a.ndjson", points(3000)))
    doomed = Worker(pg.url, tmp_path / "doomed.log", env={"LABELPORT_PAUSE_BEFORE_COMMIT": "120"})
    survivor: Worker | None = None
    try:
        runner.submit(pg.url, job_id)
        wait_until(lambda: job_state(engine, job_id) == "committing", 60, "the commit", doomed.output)
        survivor = Worker(pg.url, tmp_path / "survivor.log")
        doomed.kill()
        wait_until(lambda: job_state(engine, job_id) == "succeeded", 60, "the retry", survivor.output)
        assert "lost its worker" in survivor.output()
    finally:
        doomed.kill()
        if survivor is not None:
            survivor.stop()
    job = pg.job(job_id)
    assert job.counts["annotations_imported"] == 3000
    assert sum(len(a) for a in pg.labels("p").values()) == 3000
    with engine.connect() as conn:
        attempts = conn.execute(
            sa.text("SELECT attempts FROM import_jobs WHERE id = :j"), {"j": job_id}
        ).scalar()
    assert attempts == 2


def _stall(engine: sa.Engine, job_id: int, attempts: int) -> None:
    """Make the queue entry of a job look taken by a worker that stopped an hour ago."""
    with engine.begin() as conn:
        worker = conn.execute(
            sa.text(
                "INSERT INTO procrastinate_workers (last_heartbeat)"
                " VALUES (now() - interval '1 hour') RETURNING id"
            )
        ).scalar()
        conn.execute(
            sa.text(
                "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w, attempts = :a "
                "WHERE (args->>'job_id')::int = :j"
            ),
            {"w": worker, "a": attempts, "j": job_id},
        )


async def _recover(url: str, engine: sa.Engine, stalled_after: float) -> list[int]:
    dsn = queue.conninfo(url)
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))
    async with app.open_async():
        return await queue.recover_stalled(app, dsn, engine, stalled_after)


def test_recovery_puts_back_only_jobs_of_silent_workers(
    pg: Workspace, engine: sa.Engine, tmp_path: Path
) -> None:
    a, b = _two_queued(pg, tmp_path)
    _stall(engine, a, attempts=0)
    assert asyncio.run(_recover(pg.url, engine, stalled_after=7200)) == []  # silent, but not that long
    assert asyncio.run(_recover(pg.url, engine, stalled_after=5)) == [a]
    rows = _queue_rows(engine)
    assert [(j, s, n) for j, s, _lock, n in rows] == [(a, "todo", 1), (b, "todo", 0)]
    assert queue_worker_of(engine, a) is None


def test_a_job_that_keeps_killing_workers_fails_with_worker_lost(
    pg: Workspace, engine: sa.Engine, tmp_path: Path
) -> None:
    job_id = pg.create_import("p", write_ndjson(tmp_path / "a.ndjson", points(3)))
    runner.submit(pg.url, job_id)
    _stall(engine, job_id, attempts=queue.MAX_ATTEMPTS - 1)
    assert asyncio.run(_recover(pg.url, engine, stalled_after=5)) == []
    job = pg.job(job_id)
    assert job.state is JobState.FAILED and job.error is not None
    assert job.error["code"] == "worker_lost"
    assert [s for _j, s, _l, _n in _queue_rows(engine)] == ["failed"]  # not run again


def test_worker_refuses_a_sqlite_workspace(tmp_path: Path) -> None:
    url = str(tmp_path / "ws.db")
    Workspace.init(url)
    res = subprocess.run(
        [sys.executable, "-m", "labelport.cli.main", "--db", url, "--json", "worker"],
        capture_output=True,
        timeout=60,
    )
    assert res.returncode == 1
    assert b'"worker_needs_postgresql"' in res.stdout


def test_a_retry_waits_for_a_run_that_is_still_going(
    pg: Workspace, engine: sa.Engine, tmp_path: Path
) -> None:
    """A worker taken for dead while it still runs (its heartbeat stalled): the retry waits for
    that run's session lock, then finds the job finished and leaves it."""
    job_id = pg.create_import("p", write_ndjson(tmp_path / "a.ndjson", points(30)))
    with runner._lease(engine, job_id):  # the first worker, still running the job
        retry = threading.Thread(target=runner.run_submitted, args=(engine, job_id), daemon=True)
        retry.start()
        time.sleep(0.5)
        assert retry.is_alive() and job_state(engine, job_id) == "queued"  # waiting, not running
        run_import(engine, job_id)  # the first worker's run ends
    retry.join(timeout=30)
    assert not retry.is_alive()
    with engine.connect() as conn:
        attempts = conn.execute(
            sa.text("SELECT attempts FROM import_jobs WHERE id = :j"), {"j": job_id}
        ).scalar()
    assert attempts == 1 and job_state(engine, job_id) == "succeeded"
    assert sum(len(a) for a in pg.labels("p").values()) == 30
