"""The annotations of rows that get a new label are written while the job validates, owned by
label ids taken for them (``model.stored``): nothing reaches them before the commit, a job that
stops short deletes them, and no one else is ever given those ids."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from labelport import Workspace
from labelport.jobs import pipeline
from labelport.model.jobs import JobState
from labelport.model.stored import accepted
from labelport.store import db, spool, spool_writer
from labelport.store import imports as store
from tests.helpers import make_images

ONTOLOGY = {"tools": [{"name": "car", "tool": "rectangle"}]}
REACHED = "SELECT count(*) FROM annotations a JOIN labels l ON l.id = a.label_id"


def _project(ws: Workspace, tmp_path: Path, rows: int) -> None:
    make_images(tmp_path / "img", {f"{i}.png": (100, 80) for i in range(rows)})
    ws.create_dataset("d")
    ws.add_rows("d", [tmp_path / "img"])
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="image")
    ws.create_batch("p", "all", dataset="d")


def _payload(path: Path, rows: int, per_row: int, *, bad_last: bool = False, bad_first: bool = False) -> Path:
    lines = []
    if bad_first:  # an error the validator finds before any row is written
        lines.append(
            {
                "dataRow": {"globalKey": "/0.png"},
                "name": "bus",
                "bbox": {"left": 1, "top": 2, "width": 3, "height": 4},
            }
        )
    for i in range(rows * per_row):
        box = {"left": 1, "top": 2, "width": 3 + i % 50, "height": 4}
        lines.append({"dataRow": {"globalKey": f"/{i // per_row}.png"}, "name": "car", "bbox": box})
    if bad_last:  # an error the validator finds only after every other row is written
        lines.append({"dataRow": {"globalKey": "/0.png"}, "name": "bus", "bbox": box})
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def _count(db_url: str, sql: str) -> int:
    engine = db.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def test_a_job_that_fails_leaves_no_annotation_behind(ws: Workspace, db_url: str, tmp_path: Path) -> None:
    _project(ws, tmp_path, 30)
    # 24,000 rows: more than a batch, so a writer process wrote them, then one bad class
    payload = _payload(tmp_path / "a.ndjson", 30, 800, bad_last=True)
    job = ws.import_labels("p", payload, format="ndjson")
    assert job.state is JobState.FAILED
    assert [i.code for i in ws.job_issues(job.id) if i.severity.value == "error"] == ["unknown_class"]
    assert _count(db_url, "SELECT count(*) FROM annotations") == 0
    assert _count(db_url, "SELECT count(*) FROM labels") == 0
    # and the same rows, fixed, import in full
    job = ws.import_labels("p", _payload(tmp_path / "b.ndjson", 30, 800), format="ndjson")
    assert job.state is JobState.SUCCEEDED and job.counts["annotations_imported"] == 24_000
    assert _count(db_url, "SELECT count(*) FROM annotations") == 24_000
    assert _count(db_url, REACHED) == 24_000


def test_a_job_that_has_found_an_error_writes_no_more_rows(
    ws: Workspace, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It will fail whatever follows, and it still reads and checks every line to report every
    error; the rows it would have written and then deleted are never written."""
    written: list[int] = []

    class Counted(spool.DirectSpool):
        def close(self) -> None:
            written.append(self.count)
            super().close()

    monkeypatch.setattr(pipeline, "DirectSpool", Counted)
    _project(ws, tmp_path, 30)
    job = ws.import_labels("p", _payload(tmp_path / "a.ndjson", 30, 800, bad_first=True), format="ndjson")
    assert job.state is JobState.FAILED and job.counts["lines"] == 24_001
    assert [i.code for i in ws.job_issues(job.id) if i.severity.value == "error"] == ["unknown_class"]
    assert written == [0]
    assert _count(db_url, "SELECT count(*) FROM annotations") == 0


def test_a_dry_run_writes_no_annotation(ws: Workspace, db_url: str, tmp_path: Path) -> None:
    _project(ws, tmp_path, 3)
    job = ws.import_labels("p", _payload(tmp_path / "a.ndjson", 3, 4), format="ndjson", dry_run=True)
    assert job.state is JobState.SUCCEEDED and job.counts["annotations_imported"] == 12
    assert _count(db_url, "SELECT count(*) FROM annotations") == 0


def test_label_ids_taken_are_never_taken_again(ws: Workspace, db_url: str, tmp_path: Path) -> None:
    # ids taken while validating (in their own transactions, from several threads at once) and
    # those a commit takes for itself never meet
    _project(ws, tmp_path, 4)
    engine = db.create_engine(db_url)
    taken: list[tuple[int, int]] = []

    def take() -> None:
        for _ in range(10):
            first = store.reserve_label_ids(engine, 100)
            taken.append((first, first + 99))

    try:
        threads = [threading.Thread(target=take) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        job = ws.import_labels("p", _payload(tmp_path / "a.ndjson", 4, 2), format="ndjson")
        assert job.state is JobState.SUCCEEDED
        with engine.connect() as conn:
            made = conn.execute(sa.text("SELECT id FROM labels")).scalars().all()
        with db.transaction(engine) as conn:  # the commit's own, for rows the job took no id for
            later = store._reserve_ids(conn, "labels", 5)
    finally:
        engine.dispose()
    taken.sort()
    assert len(taken) == 30
    assert all(a[1] < b[0] for a, b in itertools.pairwise(taken))
    assert len(made) == 4
    assert all(not (lo <= i <= hi) for i in made for lo, hi in taken)
    assert later > max(*made, taken[-1][1])


def test_what_a_crashed_attempt_wrote_is_deleted_when_it_runs_again(
    ws: Workspace, db_url: str, tmp_path: Path
) -> None:
    _project(ws, tmp_path, 2)
    job_id = ws.create_import("p", _payload(tmp_path / "a.ndjson", 2, 3), format="ndjson")
    engine = db.create_engine(db_url)
    try:
        # as an attempt killed before its commit leaves them: rows of a label never made, written
        # as a job writes them (on SQLite with the range of ids that finds them again)
        direct = spool.DirectSpool(engine, job_id)
        try:
            first = store.reserve_label_ids(engine, 1)
            direct.add(accepted(first, "left", 1, "bbox", [1, 2, 3, 4], [], *[None] * 6))
            direct.flush()
        finally:
            direct.close()
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE import_jobs SET attempts = 1 WHERE id = :j"), {"j": job_id})
    finally:
        engine.dispose()
    job = ws.run_job(job_id)
    assert job.state is JobState.SUCCEEDED and job.counts["annotations_imported"] == 6
    assert _count(db_url, "SELECT count(*) FROM annotations") == 6
    assert _count(db_url, "SELECT count(*) FROM annotations WHERE uid = 'left'") == 0


def test_where_an_annotation_sits_is_stored_whether_or_not_its_neighbours_sit_anywhere(
    ws: Workspace, db_url: str
) -> None:
    """SQLite's writer sets the five place columns NULL for a transaction's worth of rows in
    which none has a place, and splits each row's array otherwise: a first transaction of rows
    that sit nowhere, then one that mixes both."""
    engine = db.create_engine(db_url)
    direct = spool.DirectSpool(engine, 99)
    nowhere = spool_writer._SQLITE_TRANSACTION
    placed = {nowhere + 1: (3, 5, None, None, "t1"), nowhere + 3: (None, None, 2, "m1", None)}
    try:
        for i in range(nowhere + 5):
            frame, frame_end, page, message, track = placed.get(i, (None,) * 5)
            direct.add(
                accepted(
                    10**6, f"u{i}", 1, "bbox", [i, 0, 1, 1], [], frame, frame_end, page, message, track, None
                )
            )
        direct.flush()
        with engine.connect() as conn:
            got = conn.execute(
                sa.text(
                    "SELECT uid, frame, frame_end, page, message_id, track_id, extra FROM annotations "
                    "WHERE job_id = 99 ORDER BY id"
                )
            ).all()
    finally:
        direct.close()
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM annotations WHERE job_id = 99"))
        engine.dispose()
    assert [r[0] for r in got] == [f"u{i}" for i in range(nowhere + 5)]
    assert [tuple(r[1:]) for r in got] == [(*placed.get(i, (None,) * 5), None) for i in range(nowhere + 5)]


def test_a_jobs_rows_are_found_again_when_another_jobs_rows_were_written_between_them(
    ws: Workspace, db_url: str
) -> None:
    """On SQLite a job's rows are found by the runs of ids it wrote (migration 0010), not by an
    index on the job: two jobs' writes interleaved give each job two runs, or a run that holds
    the other's rows too; either way discarding one job's rows leaves exactly the other's."""
    engine = db.create_engine(db_url)

    def write(job: int, uids: list[str]) -> None:
        direct = spool.DirectSpool(engine, job)
        try:
            for uid in uids:
                direct.add(accepted(10**6 + job, uid, 1, "bbox", [1, 2, 3, 4], [], *[None] * 6))
            direct.flush()
        finally:
            direct.close()

    try:
        write(71, ["a1", "a2"])
        write(72, ["b1", "b2", "b3"])
        write(71, ["a3"])
        with engine.begin() as conn:  # neither job made its labels: every row is unowned
            assert store.discard_unowned(conn, 71) == 3
            left = conn.execute(sa.text("SELECT uid FROM annotations ORDER BY id")).scalars().all()
            assert left == ["b1", "b2", "b3"]
            if engine.dialect.name == "sqlite":
                runs = conn.execute(
                    sa.text("SELECT job_id, first_id, last_id FROM annotation_ranges ORDER BY first_id")
                ).all()
                assert [tuple(r) for r in runs] == [(71, 1, 2), (72, 3, 5), (71, 6, 6)]
            assert store.discard_unowned(conn, 72) == 3
            assert conn.execute(sa.text("SELECT count(*) FROM annotations")).scalar_one() == 0
    finally:
        engine.dispose()


def test_a_run_of_ids_grows_while_no_other_job_writes_between_its_transactions(
    ws: Workspace, db_url: str
) -> None:
    """SQLite's writer commits every few thousand rows; consecutive transactions of one job
    extend one run instead of adding one each."""
    if ws.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL finds a job's rows by its block-range index")
    engine = db.create_engine(db_url)
    n = spool_writer._SQLITE_TRANSACTION * 2 + 7
    direct = spool.DirectSpool(engine, 73)
    try:
        for i in range(n):
            direct.add(accepted(10**6, f"u{i}", 1, "bbox", [i, 0, 1, 1], [], *[None] * 6))
        direct.flush()
    finally:
        direct.close()
    try:
        with engine.connect() as conn:
            runs = conn.execute(sa.text("SELECT job_id, first_id, last_id FROM annotation_ranges")).all()
        assert [tuple(r) for r in runs] == [(73, 1, n)]
    finally:
        engine.dispose()
