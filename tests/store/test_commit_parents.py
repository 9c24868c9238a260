"""Annotations, labels and the journal have no per-row foreign keys (migrations 0004 and 0007):
the commit checks each distinct label, feature and data row once instead. A job whose feature or
data row vanished is refused and writes nothing; a workspace upgraded from 0003 keeps its
annotations and its partial unique index, and one upgraded from 0006 keeps its labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from labelport import Workspace
from labelport.model.errors import ConflictError
from labelport.model.jobs import Mode
from labelport.model.stored import Accepted, accepted
from labelport.store import db
from labelport.store import imports as store
from labelport.store.schema import annotations
from labelport.store.spool import for_engine
from tests.helpers import make_images

ONTOLOGY = {"tools": [{"name": "car", "tool": "rectangle"}]}


def _project(ws: Workspace, tmp_path: Path) -> Path:
    make_images(tmp_path / "img", {"a.png": (100, 80), "b.png": (100, 80)})
    ws.create_dataset("d")
    ws.add_rows("d", [tmp_path / "img"])
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="image")
    ws.create_batch("p", "all", dataset="d")
    payload = tmp_path / "p.ndjson"
    lines = [
        {
            "uuid": f"00000000-0000-4000-8000-00000000000{i}",
            "dataRow": {"globalKey": k},
            "name": "car",
            "bbox": {"left": 1, "top": 2, "width": 3, "height": 4},
        }
        for i, k in enumerate(("/a.png", "/b.png"))
    ]
    payload.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return payload


def _refused(
    engine: sa.Engine, conn: sa.Connection, job_id: int, change: store.RowChange, rows: list[Accepted]
) -> ConflictError:
    """The error of a commit of ``rows`` for one row's ``change``, rolled back."""
    spool = for_engine(engine)
    for row in rows:
        spool.add(row)
    tx = db.writer(conn).begin()
    try:
        with pytest.raises(ConflictError) as err:
            store.commit(
                conn, job_id=job_id, project_id=1, mode=Mode.GROUND_TRUTH, changes=[change], accepted=spool
            )
    finally:
        tx.rollback()
        store.release_spool(conn, spool)
        spool.close()
    return err.value


def test_a_feature_that_no_longer_exists_refuses_the_commit(
    ws: Workspace, db_url: str, tmp_path: Path
) -> None:
    payload = _project(ws, tmp_path)
    job = ws.import_labels("p", payload, format="ndjson")
    assert job.counts["annotations_imported"] == 2
    job = ws.import_labels("p", payload, format="ndjson", dry_run=True)  # a job that wrote nothing
    engine = db.create_engine(db_url)
    try:
        with engine.connect() as conn:
            before = conn.execute(sa.select(sa.func.count()).select_from(annotations)).scalar_one()
            row_pk = conn.execute(sa.text("SELECT id FROM data_rows ORDER BY id LIMIT 1")).scalar_one()
            label_pk = conn.execute(
                sa.text("SELECT id FROM labels WHERE data_row_id = :r"), {"r": row_pk}
            ).scalar_one()
            conn.rollback()
            row = accepted(row_pk, "new-uid", 987654, "bbox", [1, 2, 3, 4], [], *[None] * 6)
            change = store.RowChange(row_pk, "replace", label_pk, None, None)
            err = _refused(engine, conn, job.id, change, [row])
            assert err.code == "parent_missing"
            after = conn.execute(sa.select(sa.func.count()).select_from(annotations)).scalar_one()
            assert after == before
    finally:
        engine.dispose()


def _labelled_at(revision: str, db_url: str, tmp_path: Path) -> tuple[sa.Engine, Path]:
    """A workspace at an older revision with labels in it, made by downgrading a head workspace
    that has them; and the payload that made them."""
    with Workspace(db_url, create=True) as ws:
        payload = _project(ws, tmp_path)
        ws.import_labels("p", payload, format="ndjson")
    engine = db.create_engine(db_url)
    command.downgrade(db.alembic_config(engine), revision)
    assert db.current_revision(engine) == revision
    return engine, payload


def test_upgrading_from_0003_keeps_annotations_and_the_live_uid_rule(db_url: str, tmp_path: Path) -> None:
    engine, _ = _labelled_at("0003", db_url, tmp_path)
    try:
        fks = sa.inspect(engine).get_foreign_keys("annotations")
        assert {fk["constrained_columns"][0] for fk in fks} == {
            "label_id",
            "feature_id",
            "job_id",
            "superseded_by",
        }
        db.upgrade(engine)
        assert sa.inspect(engine).get_foreign_keys("annotations") == []
        with engine.begin() as conn:
            rows = conn.execute(sa.select(annotations.c.label_id, annotations.c.uid)).all()
            assert len(rows) == 2
            label_id, uid = rows[0]
            # the same uid may exist again once the first is superseded, never twice live
            conn.execute(sa.update(annotations).where(annotations.c.uid == uid).values(superseded_by=1))
            conn.execute(
                sa.insert(annotations).values(
                    label_id=label_id, uid=uid, feature_id=1, kind="bbox", job_id=1, geometry="[1,2,3,4]"
                )
            )
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.insert(annotations).values(
                    label_id=label_id, uid=uid, feature_id=1, kind="bbox", job_id=1, geometry="[1,2,3,4]"
                )
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("outcome", ["create", "skip"])
def test_a_data_row_that_no_longer_exists_refuses_the_commit(
    ws: Workspace, db_url: str, tmp_path: Path, outcome: str
) -> None:
    payload = _project(ws, tmp_path)
    job = ws.import_labels("p", payload, format="ndjson", dry_run=True)
    engine = db.create_engine(db_url)
    try:
        with engine.connect() as conn:
            feature = conn.execute(sa.text("SELECT min(id) FROM features")).scalar_one()
            conn.rollback()
            rows = [accepted(987654, "u", feature, "bbox", [1, 2, 3, 4], [], *[None] * 6)]
            change = store.RowChange(987654, outcome, None, None, None)
            err = _refused(engine, conn, job.id, change, rows if outcome == "create" else [])
            assert err.code == "parent_missing"
            assert "1 of the data rows" in err.message
            for table in ("labels", "job_rows", "annotations"):
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    finally:
        engine.dispose()


def test_upgrading_from_0006_keeps_labels_and_drops_their_foreign_keys(db_url: str, tmp_path: Path) -> None:
    engine, payload = _labelled_at("0006", db_url, tmp_path)
    try:
        inspect = sa.inspect(engine)
        assert {fk["constrained_columns"][0] for fk in inspect.get_foreign_keys("labels")} == {
            "project_id",
            "data_row_id",
            "job_id",
        }
        assert {fk["constrained_columns"][0] for fk in inspect.get_foreign_keys("job_rows")} == {
            "job_id",
            "data_row_id",
        }
        db.upgrade(engine)
        inspect = sa.inspect(engine)
        assert inspect.get_foreign_keys("labels") == inspect.get_foreign_keys("job_rows") == []
        names = {i["name"] for i in inspect.get_indexes("labels")} | {
            c["name"] for c in inspect.get_unique_constraints("labels")
        }
        assert "uq_labels_project_row_source" in names  # the data row's own index: see 0009's test
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM labels")).scalar_one() == 2
            assert conn.execute(sa.text("SELECT count(*) FROM job_rows")).scalar_one() == 2
        with Workspace(db_url) as ws:  # and imports again, replacing what is there
            assert ws.import_labels("p", payload, format="ndjson").state.value == "succeeded"
    finally:
        engine.dispose()


def test_upgrading_from_0008_drops_the_data_row_indexes_and_still_imports_and_undoes(
    db_url: str, tmp_path: Path
) -> None:
    engine, payload = _labelled_at("0008", db_url, tmp_path)
    try:

        def indexes(table: str) -> set[str]:
            return {i["name"] for i in sa.inspect(engine).get_indexes(table)}

        ours = {"ix_tasks_data_row_id", "ix_labels_data_row_id"}
        assert ours <= indexes("tasks") | indexes("labels")
        db.upgrade(engine)
        assert not ours & (indexes("tasks") | indexes("labels"))
        with Workspace(db_url) as ws:  # what the indexes served is found by the project's own

            def labels() -> dict[str, list[tuple[str | None, object]]]:
                return {row: [(a.uid, a.geometry) for a in anns] for row, anns in ws.labels("p").items()}

            before = labels()
            assert len(before) == 2
            job = ws.import_labels("p", payload, format="ndjson", on_existing="replace")
            assert job.state.value == "succeeded" and job.counts["data_rows_done"] == 2
            assert labels() == before
            ws.undo_job(job.id)
            assert labels() == before  # the first job's annotations are live again
        command.downgrade(db.alembic_config(engine), "0008")
        assert ours <= indexes("tasks") | indexes("labels")
    finally:
        engine.dispose()


def test_a_job_from_before_0010_is_undone_by_the_range_its_rows_were_given(
    db_url: str, tmp_path: Path
) -> None:
    engine, _ = _labelled_at("0009", db_url, tmp_path)
    try:
        sqlite = engine.dialect.name == "sqlite"
        db.upgrade(engine)
        with engine.connect() as conn:
            runs = conn.execute(sa.text("SELECT job_id, first_id, last_id FROM annotation_ranges")).all()
            ids = conn.execute(sa.text("SELECT min(id), max(id) FROM annotations")).one()
            job_id = conn.execute(sa.text("SELECT max(id) FROM import_jobs")).scalar_one()
        assert [tuple(r) for r in runs] == ([(job_id, ids[0], ids[1])] if sqlite else [])
        with Workspace(db_url) as ws:
            assert ws.labels("p")
            ws.undo_job(job_id)
            assert ws.labels("p") == {}
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM annotations")).scalar_one() == 0
            assert conn.execute(sa.text("SELECT count(*) FROM annotation_ranges")).scalar_one() == 0
    finally:
        engine.dispose()


def test_upgrading_from_0010_keys_tasks_by_project_and_row_and_keeps_them(
    db_url: str, tmp_path: Path
) -> None:
    """Migration 0011: the tasks lose their ``id`` and its key; the project and the row are the key,
    every task is kept as it was, and a task is still set, marked done and given back by undo."""
    engine, payload = _labelled_at("0010", db_url, tmp_path)
    try:

        def shape() -> tuple[list[str], set[str], list[str]]:
            inspect = sa.inspect(engine)
            columns = [c["name"] for c in inspect.get_columns("tasks")]
            uniques = {u["name"] for u in inspect.get_unique_constraints("tasks")}
            return columns, uniques, inspect.get_pk_constraint("tasks")["constrained_columns"]

        def tasks() -> list[tuple[object, ...]]:
            with engine.connect() as conn:
                q = "SELECT project_id, data_row_id, status, stage, last_workers FROM tasks ORDER BY 1, 2"
                return [tuple(r) for r in conn.execute(sa.text(q))]

        columns, uniques, key = shape()
        assert "id" in columns and uniques == {"uq_tasks_project_row"} and key == ["id"]
        before = tasks()
        assert [t[2] for t in before] == ["done", "done"]
        db.upgrade(engine)
        columns, uniques, key = shape()
        assert "id" not in columns and uniques == set() and key == ["project_id", "data_row_id"]
        assert tasks() == before
        with Workspace(db_url) as ws:
            job = ws.import_labels("p", payload, format="ndjson", on_existing="replace")
            assert job.state.value == "succeeded" and job.counts["data_rows_done"] == 2
            ws.undo_job(job.id)
            assert tasks() == before
            (first, *_) = ws.tasks("p")
            ws.set_task_status("p", first.global_key, "in_review")
            assert {t.global_key: t.status.value for t in ws.tasks("p")}[first.global_key] == "in_review"
        command.downgrade(db.alembic_config(engine), "0010")
        columns, uniques, key = shape()
        assert "id" in columns and uniques == {"uq_tasks_project_row"} and key == ["id"]
        with engine.connect() as conn:  # numbered again, and numbering the next ones
            ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM tasks ORDER BY id"))]
        assert len(ids) == len(set(ids)) == 2 and all(ids)
    finally:
        engine.dispose()
