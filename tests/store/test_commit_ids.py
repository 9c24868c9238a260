"""New labels' and annotations' ids are taken in blocks (labels' by the job while it validates,
``tests/store/test_direct.py``), not given by the database row by row: annotations' follow the
payload (computed from the spool's order, not by sorting it), both come after every id that
exists, and the ids' sequences (PostgreSQL) are left past them, so that nothing written
afterwards collides."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from labelport import Workspace
from labelport.store import db
from labelport.store import imports as store
from labelport.store.schema import annotations, labels
from tests.helpers import make_images

ONTOLOGY = {"tools": [{"name": "car", "tool": "rectangle"}]}


def _payload(path: Path, rows: list[tuple[str, int]], first: int) -> list[str]:
    uids, lines = [], []
    for key, n in rows:
        for _ in range(n):
            uid = f"00000000-0000-4000-8000-{first + len(uids):012d}"
            uids.append(uid)
            box = {"left": 1, "top": 2, "width": 3, "height": 4}
            lines.append({"uuid": uid, "dataRow": {"globalKey": key}, "name": "car", "bbox": box})
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return uids


def test_ids_follow_the_payload_after_those_that_exist(ws: Workspace, db_url: str, tmp_path: Path) -> None:
    make_images(tmp_path / "img", {f"{c}.png": (100, 80) for c in "abc"})
    ws.create_dataset("d")
    ws.add_rows("d", [tmp_path / "img"])
    ws.create_ontology("o", ONTOLOGY)
    for p in ("p", "q"):
        ws.create_project(p, ontology="o", media_type="image")
        ws.create_batch(p, "all", dataset="d")
    # rows in the reverse of their keys' order, and interleaved with another project's import
    first = _payload(tmp_path / "1.ndjson", [("/c.png", 3), ("/a.png", 2), ("/b.png", 4)], 0)
    second = _payload(tmp_path / "2.ndjson", [("/b.png", 2), ("/a.png", 3)], 100)
    assert ws.import_labels("p", tmp_path / "1.ndjson", format="ndjson").state.value == "succeeded"
    assert ws.import_labels("q", tmp_path / "2.ndjson", format="ndjson").state.value == "succeeded"
    engine = db.create_engine(db_url)
    try:
        with engine.begin() as conn:
            q = sa.select(annotations.c.id, annotations.c.uid).order_by(annotations.c.id)
            got = conn.execute(q).all()
            assert [uid for _, uid in got] == first + second
            assert [i for i, _ in got] == list(range(got[0][0], got[0][0] + len(got)))  # no gaps
            # an annotation written without an id afterwards gets a new one
            label = conn.execute(sa.text("SELECT min(id) FROM labels")).scalar_one()
            res = conn.execute(
                sa.insert(annotations)
                .values(label_id=label, uid="later", feature_id=1, kind="bbox", job_id=1)
                .returning(annotations.c.id)
            )
            assert res.scalar_one() > got[-1][0]
            made = conn.execute(sa.select(labels.c.id, labels.c.data_row_id).order_by(labels.c.id)).all()
            assert len(made) == 5 and len({i for i, _ in made}) == 5
            res = conn.execute(
                sa.insert(labels)
                .values(
                    project_id=1,
                    data_row_id=made[0][1],
                    source="prelabel",
                    extra="{}",
                    created_at=sa.func.now(),
                )
                .returning(labels.c.id)
            )
            assert res.scalar_one() > made[-1][0]
    finally:
        engine.dispose()


def test_blocks_taken_at_once_by_several_commits_never_overlap(db_url: str) -> None:
    # SQLite's blocks follow the largest id under the one write lock; PostgreSQL's come from the
    # sequence, which other commits use at the same time
    Workspace(db_url, create=True).close()
    engine = db.create_engine(db_url)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        pytest.skip("PostgreSQL only")
    taken: list[tuple[int, int]] = []

    def commit() -> None:
        with engine.begin() as conn:  # each in a transaction of its own, as a commit is
            for _ in range(25):
                first = store._reserve_ids(conn, "annotations", 1000)
                taken.append((first, first + 999))

    try:
        threads = [threading.Thread(target=commit) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        engine.dispose()
    taken.sort()
    assert len(taken) == 100
    assert all(a[1] < b[0] for a, b in itertools.pairwise(taken))
