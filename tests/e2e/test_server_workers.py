"""The server and its workers as a team would run them: ``labelport serve`` and two ``labelport
worker`` processes against PostgreSQL, driven only over HTTP with `labelport.Client`.

- A 100,000-annotation import survives the SIGKILL of the worker running it, at the worst moment
  (every label written, the transaction not yet committed): the other worker notices the silence,
  runs the job again, and the result is identical to an uninterrupted import of the same payload.
- Many imports into one project at once, over overlapping rows, with every ``--on-existing``
  policy, end exactly as the policies say when the jobs are applied in commit order: no duplicate,
  no lost update.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from bench import payloads

from labelport import Client
from labelport.model.jobs import ImportJob, JobState
from tests.e2e.cluster import Cluster, cluster
from tests.workers import Worker, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def pg_url(db_url: str) -> str:
    if not db_url.startswith("postgresql"):
        pytest.skip("workers run on PostgreSQL")
    return db_url


PAUSE = "3"  # seconds each commit waits with its labels written, so a kill can land there
ENV = {"LABELPORT_MAX_UPLOAD_BYTES": str(1 << 30), "LABELPORT_PAUSE_BEFORE_COMMIT": PAUSE}


def _setup(c: Client, tmp: Path, images: int, projects: list[str]) -> None:
    c.create_dataset("d")
    added = c.add_manifest("d", payloads.write_manifest(tmp / "rows.json", images))
    assert added.added == images, added
    (tmp / "ontology.json").write_text(json.dumps(payloads.ontology()))
    c.create_ontology("o", tmp / "ontology.json")
    for p in projects:
        c.create_project(p, ontology="o", media_type="image")
        c.create_batch(p, "all", dataset="d")


def _runner_of(workers: list[Worker], job_id: int) -> Worker | None:
    line = re.compile(rf"import job {job_id}: running")
    found = [w for w in workers if line.search(w.output())]
    return found[0] if len(found) == 1 else None


def _wait(c: Client, job_id: int, cl: Cluster, timeout: float = 120) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = c.job(job_id)
        if job.state.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} is still {c.job(job_id).state.value} after {timeout} s\n{cl.logs()}")


def test_a_killed_worker_changes_nothing_in_the_result(pg_url: str, tmp_path: Path) -> None:
    """The same payload into two projects at once, one job per worker; the worker running the
    first is killed before its COMMIT, the other runs that job again after its own."""
    images = 10_050
    payload = tmp_path / "labels.ndjson"
    n = payloads.write_ndjson(payload, images)
    assert n >= 100_000
    with cluster(pg_url, tmp_path, ENV) as cl, cl.client() as c:
        _setup(c, tmp_path, images, ["killed", "calm"])
        workers = [cl.add_worker("worker-1", env=ENV), cl.add_worker("worker-2", env=ENV)]

        job_id = c.create_import("killed", payload, format="ndjson")
        calm_id = c.create_import("calm", payload, format="ndjson")
        wait_until(lambda: c.job(job_id).state is JobState.COMMITTING, 120, "the first commit", cl.logs)
        victim = _runner_of(workers, job_id)
        assert victim is not None, cl.logs()
        assert c.job(job_id).state is JobState.COMMITTING  # still paused before COMMIT
        victim.kill()
        survivor = next(w for w in workers if w is not victim)

        killed, calm = _wait(c, job_id, cl, 180), _wait(c, calm_id, cl, 180)
        assert killed.state is JobState.SUCCEEDED, (killed.error, cl.logs())
        assert calm.state is JobState.SUCCEEDED, calm.error
        assert f"import job {job_id}: running (queue attempt 2)" in survivor.output(), cl.logs()
        for key in ("lines", "annotations", "annotations_imported", "data_rows", "data_rows_done", "errors"):
            assert killed.counts[key] == calm.counts[key], key
        assert killed.counts["annotations_imported"] == n
        assert {t.status.value for t in c.tasks("killed")} == {"done"}
        # the labels themselves, as the server writes them out
        c.export("killed", tmp_path / "killed.ndjson", format="ndjson")
        c.export("calm", tmp_path / "calm.ndjson", format="ndjson")
        a = sorted((tmp_path / "killed.ndjson").read_bytes().splitlines())
        b = sorted((tmp_path / "calm.ndjson").read_bytes().splitlines())
        assert len(a) == n
        assert a == b


# --- many imports at once -------------------------------------------------------------------------

ROWS = 48
WINDOW = 16
JOBS = 12
POLICIES = ("fail", "skip", "replace")


def _key(r: int) -> str:
    return "/" + payloads.file_name(r)


def _uid(owner: int, r: int) -> str:
    return f"{owner:08x}-0000-4000-8000-{r:012x}"


SHARED = 0xFFFFFFFF  # every job writes this uid on each of its rows: a replace must win it whole


def _rows_of(k: int) -> range:
    start = (k * 4) % ROWS
    return range(start, min(start + WINDOW, ROWS))


def _payload(path: Path, owner: int, rows: range) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            box = {"left": 10.0 + owner % 1000, "top": 20.0 + r, "width": 30.0, "height": 40.0}
            for uid in (_uid(owner, r), _uid(SHARED, r)):
                line = {
                    "uuid": uid,
                    "dataRow": {"globalKey": _key(r)},
                    "name": "c01",
                    "bbox": box,
                    "classifications": [{"name": "occluded", "answer": {"name": "no"}}],
                }
                fh.write(json.dumps(line) + "\n")
    return path


def _simulate(
    order: list[int], policies: dict[int, str], rows: dict[int, range], base: range, base_owner: int
) -> tuple[dict[int, dict[str, int]], dict[int, str], dict[int, int]]:
    """What the policies say, applied one job after another in commit order: for every row, each
    live uid and the job whose version of it is live; each job's outcome; rows each one skipped."""
    live: dict[int, dict[str, int]] = {r: {} for r in range(ROWS)}
    for r in base:
        live[r] = {_uid(base_owner, r): base_owner, _uid(SHARED, r): base_owner}
    outcome: dict[int, str] = {}
    skipped: dict[int, int] = {}
    for k in order:
        existing = [r for r in rows[k] if live[r]]
        if existing and policies[k] == "fail":
            outcome[k] = "failed"
            continue
        outcome[k], skipped[k] = "succeeded", 0
        for r in rows[k]:
            if live[r] and policies[k] == "skip":
                skipped[k] += 1
                continue
            live[r][_uid(k, r)] = k
            live[r][_uid(SHARED, r)] = k
    return live, outcome, skipped


def test_concurrent_overlapping_imports_end_as_the_policies_say(pg_url: str, tmp_path: Path) -> None:
    env = {"LABELPORT_MAX_UPLOAD_BYTES": str(1 << 30)}
    with cluster(pg_url, tmp_path, env) as cl, cl.client() as c:
        _setup(c, tmp_path, ROWS, ["p"])
        cl.add_worker("worker-1", env=env)
        cl.add_worker("worker-2", env=env)
        base_owner = 0xBA5E
        base = range(0, 8)
        first = _wait(c, c.create_import("p", _payload(tmp_path / "base.ndjson", base_owner, base)), cl)
        assert first.state is JobState.SUCCEEDED, first.error

        policies = {k + 1: POLICIES[k % 3] for k in range(JOBS)}
        rows = {k: _rows_of(k) for k in policies}
        ids: dict[int, int] = {}
        for k, policy in policies.items():  # all queued before any can finish
            ids[k] = c.create_import(
                "p", _payload(tmp_path / f"{k}.ndjson", k, rows[k]), format="ndjson", on_existing=policy
            )
        jobs = {k: _wait(c, job_id, cl) for k, job_id in ids.items()}

        assert all(j.state in (JobState.SUCCEEDED, JobState.FAILED) for j in jobs.values())
        order = sorted(jobs, key=lambda k: (jobs[k].finished_at, jobs[k].id))
        live, outcome, skipped = _simulate(order, policies, rows, base, base_owner)

        for k, job in jobs.items():
            assert job.state.value == outcome[k], (k, policies[k], job.error, job.issues_by_code)
            if outcome[k] == "failed":
                assert job.counts["annotations_imported"] == 0 and "existing_labels" in job.issues_by_code
            else:
                assert job.counts["data_rows_skipped"] == skipped[k], k
        labels = c.labels("p")
        for r in range(ROWS):
            anns = labels.get(_key(r), [])
            uids = [a.uid for a in anns]
            assert len(uids) == len(set(uids)), f"row {r}: duplicate uids {uids}"
            assert set(uids) == set(live[r]), f"row {r}: {sorted(uids)} != {sorted(live[r])}"
            by_uid = {a.uid: a for a in anns}
            if uids:  # the shared uid carries the geometry of the job that wrote it last
                winner = live[r][_uid(SHARED, r)]
                assert by_uid[_uid(SHARED, r)].geometry == by_uid[_uid(winner, r)].geometry, r


def test_cancel_over_http_stops_a_running_job(pg_url: str, tmp_path: Path) -> None:
    """Cancelled while its worker holds the labels uncommitted: nothing lands, and the worker is
    free for the next job."""
    env = {**ENV, "LABELPORT_PAUSE_BEFORE_COMMIT": "4"}
    with cluster(pg_url, tmp_path, env) as cl, cl.client() as c:
        _setup(c, tmp_path, 20, ["p"])
        worker = cl.add_worker("worker-1", env=env)
        payload = tmp_path / "labels.ndjson"
        payloads.write_ndjson(payload, 20)
        handle = c.import_labels("p", payload, format="ndjson")
        wait_until(lambda: c.job(handle.id).state is JobState.COMMITTING, 60, "the commit", cl.logs)
        assert handle.cancel().state is JobState.CANCELLED
        wait_until(lambda: f"import job {handle.id}: done" in worker.output(), 60, "the worker", cl.logs)
        job = c.job(handle.id)
        assert job.state is JobState.CANCELLED and job.counts["annotations_imported"] > 0  # written, not kept
        assert c.labels("p") == {}
        assert {t.status.value for t in c.tasks("p")} == {"not_started"}
        again = _wait(c, c.create_import("p", payload, format="ndjson"), cl)
        assert again.state is JobState.SUCCEEDED and again.counts["annotations_imported"] > 0
