"""Killing the process in the middle of a large commit leaves no partial labels, and running the
job again succeeds. A real subprocess, a real SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from labelport import Workspace
from labelport.model.jobs import JobState
from labelport.store import db
from tests.jobs.conftest import uid


@pytest.mark.slow
def test_sigkill_during_commit_leaves_nothing(proj: Workspace, db_url: str, tmp_path: Path) -> None:
    payload = tmp_path / "big.ndjson"
    n = 50_000
    with payload.open("w", encoding="utf-8") as fh:
        for i in range(n):
            line = {
                "uuid": uid(i),
                "dataRow": {"globalKey": f"img-{1 + i % 3}"},
                "name": "eye",
                "point": {"x": i % 200, "y": i % 100},
            }
            fh.write(json.dumps(line) + "\n")
    job_id = proj.create_import("p", payload, format="ndjson")
    engine = db.create_engine(db_url)
    env = {**os.environ, "LABELPORT_DB": db_url, "LABELPORT_PAUSE_BEFORE_COMMIT": "60"}
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "labelport.cli.main", "job", "run", str(job_id)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 120
        state = None
        while time.monotonic() < deadline and proc.poll() is None:
            with engine.connect() as conn:
                state = conn.execute(
                    sa.text("SELECT state FROM import_jobs WHERE id = :j"), {"j": job_id}
                ).scalar()
            if state == "committing":
                time.sleep(1.0)  # the bulk insert is done; the transaction is open, paused before COMMIT
                break
            time.sleep(0.02)
        assert proc.poll() is None, (
            f"the job finished before it was killed (state {state}): {errors.read_text()}"
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    reached = "SELECT count(*) FROM annotations a JOIN labels l ON l.id = a.label_id"
    with engine.connect() as conn:
        # the annotations of new labels were written before the commit, owned by labels it never
        # made: nothing reaches them
        assert conn.execute(sa.text("SELECT count(*) FROM annotations")).scalar() == n
        assert conn.execute(sa.text(reached)).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM labels")).scalar() == 0
    assert {t.status.value for t in proj.tasks("p")} == {"not_started"}
    assert proj.job(job_id).state is JobState.COMMITTING  # interrupted, as the record says

    job = proj.run_job(job_id)
    assert job.state is JobState.SUCCEEDED and job.counts["annotations_imported"] == n
    assert sum(len(v) for v in proj.labels("p").values()) == n
    with engine.connect() as conn:  # the crashed attempt's rows were deleted, not kept beside
        assert conn.execute(sa.text("SELECT count(*) FROM annotations")).scalar() == n
        assert conn.execute(sa.text(reached)).scalar() == n
    engine.dispose()
