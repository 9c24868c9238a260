from __future__ import annotations

from pathlib import Path

import pytest

from labelport import ConflictError, InvalidInputError, NotFoundError, OntologyError, Workspace
from labelport.model.catalog import TaskStatus
from tests.helpers import ONTOLOGY, make_images


@pytest.fixture
def setup(ws: Workspace, tmp_path: Path) -> Workspace:
    make_images(tmp_path / "imgs", {"a/1.png": (10, 10), "a/2.png": (10, 10), "b/3.png": (10, 10)})
    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "t.txt").write_text("hi", encoding="utf-8")
    ws.create_dataset("imgs")
    ws.add_rows("imgs", [tmp_path / "imgs"])
    ws.create_dataset("texts")
    ws.add_rows("texts", [tmp_path / "txt"])
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="image")
    return ws


def test_project_and_batches(setup: Workspace, tmp_path: Path) -> None:
    ws = setup
    b = ws.create_batch("p", "first", prefix="/a")
    assert b.row_count == 2
    keys = tmp_path / "keys.txt"
    b2 = ws.create_batch("p", "second", dataset="imgs")
    assert (b2.row_count, b2.already_in_project) == (1, 2)
    p = ws.project("p")
    assert p.task_counts["not_started"] == 3 and p.batch_count == 2
    with pytest.raises(InvalidInputError, match="already in project"):
        ws.create_batch("p", "third", global_keys=["/a/1.png"])
    with pytest.raises(ConflictError):
        ws.create_batch("p", "first", prefix="/b")
    del keys


def test_wrong_media_type_is_refused(setup: Workspace) -> None:
    with pytest.raises(InvalidInputError, match=r"'/t\.txt' is text, project 'p' takes image"):
        setup.create_batch("p", "t", dataset="texts")
    assert setup.tasks("p") == []


def test_unknown_names(setup: Workspace) -> None:
    with pytest.raises(NotFoundError, match="no project named 'P'"):
        setup.create_batch("P", "x", dataset="imgs")
    with pytest.raises(NotFoundError) as e:
        setup.create_project("q", ontology="O", media_type="image")
    assert e.value.hint == "did you mean `o`?"
    with pytest.raises(NotFoundError, match="global keys '/nope'"):
        setup.create_batch("p", "x", global_keys=["/nope"])
    with pytest.raises(InvalidInputError, match="unknown media type"):
        setup.create_project("q", ontology="o", media_type="photo")


def test_task_status(setup: Workspace) -> None:
    ws = setup
    ws.create_batch("p", "all", dataset="imgs")
    t = ws.set_task_status(
        "p", "/a/1.png", "in_review", stage="inspection", workers={"labeling": "u1"}, modifier="u2"
    )
    assert (t.status, t.stage.value, t.last_workers["labeling"], t.last_modifier) == (
        TaskStatus.IN_REVIEW,
        "inspection",
        "u1",
        "u2",
    )
    assert t.last_workers["final inspection"] is None
    with pytest.raises(InvalidInputError, match="unknown status"):
        ws.set_task_status("p", "/a/1.png", "finished")
    with pytest.raises(NotFoundError, match="no data row"):
        ws.set_task_status("p", "/zzz.png", "done")
    assert [x.status.value for x in ws.tasks("p", status="in_review")] == ["in_review"]


def test_bad_ontology_changes_nothing(ws: Workspace) -> None:
    bad = {"tools": [{"name": "car", "tool": "rectangle"}, {"name": "car", "tool": "polygon"}]}
    with pytest.raises(OntologyError, match="/tools/1"):
        ws.create_ontology("o", bad)
    assert ws.ontologies() == []


def test_ontology_round_trip_keeps_feature_ids(ws: Workspace) -> None:
    info = ws.create_ontology("o", ONTOLOGY)
    again = ws.create_ontology("o2", info.spec)
    assert again.spec == info.spec
    assert info.spec["tools"][0]["featureSchemaId"].startswith("c")
