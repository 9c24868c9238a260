"""Running submitted jobs and cancelling them.

A SQLite workspace runs submitted jobs on one background thread of the calling process; cancelling
works on both engines through the job's state (the PostgreSQL queue itself is `test_queue.py`)."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labelport import Workspace
from labelport.jobs import runner
from labelport.model.errors import ConflictError, InvalidInputError, NotFoundError
from labelport.model.jobs import JobState
from labelport.model.records import Record
from labelport.validate.engine import Accepted, Validator
from tests.jobs.conftest import uid, write_ndjson
from tests.s3server import bucket, s3_client, s3_endpoint, s3_env

__all__ = ["bucket", "s3_endpoint", "s3_env"]


def points(n: int, prefix: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "uuid": uid(prefix + i),
            "dataRow": {"globalKey": f"img-{1 + i % 3}"},
            "name": "eye",
            "point": {"x": i % 200, "y": i % 100},
        }
        for i in range(n)
    ]


def wait_for(ws: Workspace, job_id: int, states: set[JobState], timeout: float = 60) -> JobState:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = ws.job(job_id).state
        if state in states:
            return state
        time.sleep(0.01)
    raise AssertionError(f"job {job_id} never reached {states}; it is {ws.job(job_id).state}")


@pytest.fixture
def sqlite_proj(proj: Workspace) -> Workspace:
    if runner.is_queued(proj.url):
        pytest.skip("the in-process runner is for SQLite workspaces")
    return proj


def test_sqlite_jobs_run_on_a_thread_one_at_a_time(sqlite_proj: Workspace, tmp_path: Path) -> None:
    ws = sqlite_proj
    jobs = [
        ws.create_import(
            "p", write_ndjson(tmp_path / f"{k}.ndjson", points(30, 1000 * k)), on_existing="skip"
        )
        for k in range(4)
    ]
    started = time.monotonic()
    for job_id in jobs:
        runner.submit(ws.url, job_id)
    assert time.monotonic() - started < 1.0  # submit returns at once
    assert runner.wait_idle(ws.url, timeout=60)
    done = [ws.job(j) for j in jobs]
    assert [j.state for j in done] == [JobState.SUCCEEDED] * 4
    # one after another: the first job labelled the three rows, the others found them labelled
    assert done[0].counts["annotations_imported"] == 30
    assert [j.counts["data_rows_skipped"] for j in done[1:]] == [3, 3, 3]
    labels = ws.labels("p")
    assert sorted(a.uid for anns in labels.values() for a in anns) == sorted(uid(i) for i in range(30))


def test_a_job_submitted_twice_commits_once(sqlite_proj: Workspace, tmp_path: Path) -> None:
    ws = sqlite_proj
    job_id = ws.create_import("p", write_ndjson(tmp_path / "a.ndjson", points(9)))
    runner.submit(ws.url, job_id)
    runner.submit(ws.url, job_id)  # a queue that delivers twice
    assert runner.wait_idle(ws.url, timeout=60)
    job = ws.job(job_id)
    assert job.state is JobState.SUCCEEDED and job.counts["annotations_imported"] == 9
    assert sum(len(a) for a in ws.labels("p").values()) == 9


def test_cancel_a_queued_job_it_never_runs(proj: Workspace, tmp_path: Path) -> None:
    job_id = proj.create_import("p", write_ndjson(tmp_path / "a.ndjson", points(9)))
    job = proj.cancel_job(job_id)
    assert job.state is JobState.CANCELLED and job.finished_at is not None
    proj.run_job(job_id)  # what a worker does when it takes the job anyway
    job = proj.job(job_id)
    assert job.state is JobState.CANCELLED and job.started_at is None
    assert proj.labels("p") == {}
    with pytest.raises(ConflictError) as err:
        proj.cancel_job(job_id)
    assert err.value.code == "job_finished"


def test_cancel_a_finished_or_missing_job(proj: Workspace, tmp_path: Path) -> None:
    job = proj.import_labels("p", write_ndjson(tmp_path / "a.ndjson", points(3)))
    assert job.state is JobState.SUCCEEDED
    with pytest.raises(ConflictError) as err:
        proj.cancel_job(job.id)
    assert err.value.code == "job_finished" and err.value.hint
    with pytest.raises(NotFoundError):
        proj.cancel_job(10_000)
    with pytest.raises(ConflictError):
        runner.cancel(proj.url, job.id)


def _run_in_thread(ws: Workspace, job_id: int) -> threading.Thread:
    t = threading.Thread(target=ws.run_job, args=(job_id,), daemon=True)
    t.start()
    return t


def test_cancel_while_validating_stops_and_commits_nothing(
    proj: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job is held in the middle of validation until the cancel is in, so it cannot finish
    validating first however fast it is (it once did: 120k lines validated before the cancel)."""
    held, cancelled = threading.Event(), threading.Event()
    check = Validator.check

    def slow_check(self: Validator, record: Record) -> list[Accepted]:
        if self.counts.lines == 1000:
            held.set()
            cancelled.wait(30)
            time.sleep(1.1)  # past the loop's once-a-second checkpoint
        return check(self, record)

    monkeypatch.setattr(Validator, "check", slow_check)
    job_id = proj.create_import("p", write_ndjson(tmp_path / "big.ndjson", points(5_000)))
    t = _run_in_thread(proj, job_id)
    assert held.wait(60)
    assert proj.job(job_id).state is JobState.VALIDATING
    assert proj.cancel_job(job_id).state is JobState.CANCELLED
    cancelled.set()
    t.join(timeout=120)
    assert not t.is_alive()
    job = proj.job(job_id)
    assert job.state is JobState.CANCELLED
    assert job.counts["annotations_imported"] == 0
    assert proj.labels("p") == {}
    assert {t.status.value for t in proj.tasks("p")} == {"not_started"}


def test_cancel_during_the_commit_wins_over_it(
    proj: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The labels are written and the transaction is open (paused before COMMIT): the cancel
    lands, and the commit's last checkpoint rolls everything back."""
    if not runner.is_queued(proj.url):
        # SQLite has one writer: a cancel waits for an open commit, which then wins; shown below
        pytest.skip("PostgreSQL only")
    monkeypatch.setenv("LABELPORT_PAUSE_BEFORE_COMMIT", "2")
    job_id = proj.create_import("p", write_ndjson(tmp_path / "a.ndjson", points(300)))
    t = _run_in_thread(proj, job_id)
    wait_for(proj, job_id, {JobState.COMMITTING})
    time.sleep(0.3)
    assert proj.cancel_job(job_id).state is JobState.CANCELLED
    t.join(timeout=60)
    job = proj.job(job_id)
    assert job.state is JobState.CANCELLED and job.counts["annotations_imported"] == 300
    assert proj.labels("p") == {}
    assert {t.status.value for t in proj.tasks("p")} == {"not_started"}


def test_sqlite_cancel_during_the_commit_waits_and_loses(
    sqlite_proj: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = sqlite_proj
    monkeypatch.setenv("LABELPORT_PAUSE_BEFORE_COMMIT", "1")
    job_id = ws.create_import("p", write_ndjson(tmp_path / "a.ndjson", points(30)))
    t = _run_in_thread(ws, job_id)
    wait_for(ws, job_id, {JobState.COMMITTING})
    with pytest.raises(ConflictError):
        ws.cancel_job(job_id)
    t.join(timeout=60)
    assert ws.job(job_id).state is JobState.SUCCEEDED
    assert sum(len(a) for a in ws.labels("p").values()) == 30


# --- payloads that are not local paths ------------------------------------------------------------


def test_payload_from_s3(proj: Workspace, tmp_path: Path, bucket: str, s3_env: str) -> None:
    body = write_ndjson(tmp_path / "a.ndjson", points(12)).read_bytes()
    with s3_client(s3_env) as client:
        client.put_object(Bucket=bucket, Key="in/labels.ndjson", Body=body)
    job_id = proj.create_import("p", f"s3://{bucket}/in/labels.ndjson")
    job = proj.job(job_id)
    assert job.payload == f"s3://{bucket}/in/labels.ndjson" and job.name.startswith("labels.ndjson ")
    local = proj.create_import("p", tmp_path / "a.ndjson", dry_run=True)
    assert job.payload_sha256 == proj.job(local).payload_sha256  # the same bytes, the same digest
    job = proj.run_job(job_id)
    assert job.state is JobState.SUCCEEDED, job.error
    assert job.counts["annotations_imported"] == 12
    assert any(i.code == "format_detected" for i in proj.job_issues(job_id))
    with pytest.raises(NotFoundError):
        proj.create_import("p", f"s3://{bucket}/in/missing.ndjson")


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: _Files(*a, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_payload_from_a_url_is_kept_as_fetched(
    proj: Workspace, tmp_path: Path, http_root: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root = http_root
    write_ndjson(root / "labels.ndjson", points(6))
    with pytest.raises(InvalidInputError) as err:  # loopback is refused unless allowed
        proj.create_import("p", f"{base}/labels.ndjson")
    assert err.value.code == "url_not_allowed"
    monkeypatch.setenv("LABELPORT_ALLOW_PRIVATE_URLS", "1")
    monkeypatch.setenv("LABELPORT_STORAGE", str(tmp_path / "blobs"))
    job_id = proj.create_import("p", f"{base}/labels.ndjson")
    stored = Path(proj.job(job_id).payload)
    assert stored.is_relative_to(tmp_path / "blobs") and stored.name == "labels.ndjson"
    (root / "labels.ndjson").write_text("changed after the job was created\n")
    job = proj.run_job(job_id)
    assert job.state is JobState.SUCCEEDED and job.counts["annotations_imported"] == 6
    monkeypatch.setenv("LABELPORT_MAX_UPLOAD_BYTES", "10")
    with pytest.raises(InvalidInputError) as err:
        proj.create_import("p", f"{base}/labels.ndjson")
    assert err.value.code == "payload_too_large"
    assert [p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == ["labels.ndjson"]
    with pytest.raises(InvalidInputError):
        proj.create_import("p", "ftp://example.com/x.ndjson")


def test_unknown_scheme_is_a_missing_local_path(proj: Workspace) -> None:
    with pytest.raises(InvalidInputError) as err:
        proj.create_import("p", json.dumps({"not": "a path"}))
    assert err.value.code == "path_not_found"
