"""AIMMO GT folders per the seed import; each of the seed's failure examples is refused with its
code and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labelport import Workspace
from labelport.model.jobs import JobState
from tests.helpers import make_images

PARENT = "/0000/3576612_0_2023-04-03_17-10-44_1683133844"
FILE = "1020312_0_2023-05-03_17-10-44_1683133844_0001584.jpg"
ID = "26-abd21cb9-cb89-4cf4-8de6-b0a6421024b3"
ONTOLOGY = {
    "tools": [
        {"name": "Road", "tool": "poly_seg"},
        {
            "name": "car",
            "tool": "box",
            "classifications": [
                {
                    "name": "weather",
                    "type": "radio",
                    "options": [{"value": "sunny"}, {"value": "cloudy"}, {"value": "rainy"}],
                }
            ],
        },
    ],
    "classifications": [{"name": "time", "type": "radio", "options": [{"value": "day"}, {"value": "night"}]}],
}


@pytest.fixture
def aimmo(ws: Workspace, tmp_path: Path) -> Workspace:
    make_images(
        tmp_path / "res", {f"{PARENT.lstrip('/')}/{FILE}": (1920, 1080), "0000/other.jpg": (640, 480)}
    )
    ws.create_dataset("res")
    ws.add_rows("res", [tmp_path / "res"])
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="image")
    ws.create_batch("p", "b", dataset="res")
    return ws


def gt(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "annotations": [
            {
                "id": ID,
                "type": "poly_seg",
                "attributes": {},
                "label": "Road",
                "points": [[10, 10], [500.5, 10], [500.5, 300], [10, 300]],
            },
            {
                "id": "27-abd21cb9-cb89-4cf4-8de6-b0a6421024b4",
                "type": "box",
                "label": "car",
                "attributes": {"weather": "sunny"},
                "points": [[100, 100], [300.25, 250]],
            },
        ],
        "attributes": {"time": "day"},
        "file_id": None,
        "filename": FILE,
        "parent_path": PARENT,
        "metadata": {"height": 1080, "width": 1920},
        "last_modifier_id": "5fc7323e8511afbb60e8554b",
        "last_workers": {
            "labeling": "5fc7323e8511afbb60e8554b",
            "inspection": None,
            "final inspection": None,
        },
    }
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def write_tree(root: Path, docs: list[dict[str, Any]]) -> Path:
    for d in docs:
        target = root / d["parent_path"].lstrip("/") / (d["filename"] + ".json")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(d), encoding="utf-8")
    return root


def test_seed_shape_imports(aimmo: Workspace, tmp_path: Path) -> None:
    job = aimmo.import_labels("p", write_tree(tmp_path / "gt", [gt()]), format="aimmo")
    assert job.state is JobState.SUCCEEDED, [i.message for i in aimmo.job_issues(job.id)]
    anns = aimmo.labels("p")[f"{PARENT}/{FILE}"]
    road = next(a for a in anns if a.uid == ID)
    assert road.kind == "polygon" and road.geometry == [[10, 10, 500.5, 10, 500.5, 300, 10, 300]]
    car = next(a for a in anns if a.name == "car")
    assert car.geometry == [100, 100, 200.25, 150]
    assert next(a for a in anns if a.name == "time").answer.value.name == "day"  # type: ignore[union-attr]
    task = next(t for t in aimmo.tasks("p") if t.global_key == f"{PARENT}/{FILE}")
    assert task.status.value == "done" and task.last_modifier == "5fc7323e8511afbb60e8554b"
    assert task.last_workers["labeling"] == "5fc7323e8511afbb60e8554b"


def test_undo_gives_the_task_back_its_people_exactly(aimmo: Workspace, tmp_path: Path) -> None:
    """The commit's journal keeps each task as it was (``store.imports._journal``), whatever its
    people's names hold: quotes, backslashes, text beyond ASCII."""
    odd = 'O\'Brien "the \\ second" 김'
    first = gt(last_modifier_id=odd, last_workers={"labeling": odd, "inspection": None})
    a = aimmo.import_labels("p", write_tree(tmp_path / "a", [first]), format="aimmo")
    assert a.state is JobState.SUCCEEDED
    key = f"{PARENT}/{FILE}"
    before = next(t for t in aimmo.tasks("p") if t.global_key == key)
    b = aimmo.import_labels(
        "p", write_tree(tmp_path / "b", [gt(overwrite=True)]), format="aimmo", on_existing="replace"
    )
    assert b.state is JobState.SUCCEEDED
    assert (
        next(t for t in aimmo.tasks("p") if t.global_key == key).last_modifier == "5fc7323e8511afbb60e8554b"
    )
    aimmo.undo_job(b.id)
    after = next(t for t in aimmo.tasks("p") if t.global_key == key)
    assert before.last_modifier == odd and before.last_workers["labeling"] == odd
    assert (after.status, after.stage, after.last_modifier, after.last_workers) == (
        before.status,
        before.stage,
        before.last_modifier,
        before.last_workers,
    )


def _refused(ws: Workspace, tmp_path: Path, doc: dict[str, Any]) -> list[str]:
    job = ws.import_labels("p", write_tree(tmp_path / "gt", [doc]), format="aimmo")
    assert job.state is JobState.FAILED
    assert ws.labels("p") == {}
    assert {t.status.value for t in ws.tasks("p")} == {"not_started"}
    return [i.code for i in ws.job_issues(job.id) if i.severity.value == "error"]


def test_car_for_car_class_case(aimmo: Workspace, tmp_path: Path) -> None:
    doc = gt()
    doc["annotations"][1]["label"] = "Car"
    assert _refused(aimmo, tmp_path, doc) == ["unknown_class"]


def test_snow_is_not_an_allowed_weather(aimmo: Workspace, tmp_path: Path) -> None:
    doc = gt()
    doc["annotations"][1]["attributes"] = {"weather": "Snow"}
    assert _refused(aimmo, tmp_path, doc) == ["attribute_value_not_allowed"]


def test_missing_resource(aimmo: Workspace, tmp_path: Path) -> None:
    assert _refused(aimmo, tmp_path, gt(filename="nope.jpg")) == ["data_row_not_found"]


def test_started_task(aimmo: Workspace, tmp_path: Path) -> None:
    aimmo.set_task_status("p", f"{PARENT}/{FILE}", "in_progress")
    job = aimmo.import_labels("p", write_tree(tmp_path / "gt", [gt()]), format="aimmo")
    assert [i.code for i in aimmo.job_issues(job.id)] == ["task_already_started"]
    assert aimmo.labels("p") == {}


def test_bad_id(aimmo: Workspace, tmp_path: Path) -> None:
    doc = gt()
    doc["annotations"][0]["id"] = "abd21cb9"
    assert _refused(aimmo, tmp_path, doc) == ["bad_annotation_id"]


def test_points_out_of_range(aimmo: Workspace, tmp_path: Path) -> None:
    doc = gt()
    doc["annotations"][0]["points"][1] = [1921, 10]
    assert _refused(aimmo, tmp_path, doc) == ["out_of_bounds"]


def test_duplicated_track_id(aimmo: Workspace, tmp_path: Path) -> None:
    doc = gt()
    doc["annotations"][0]["track_id"] = 7
    doc["annotations"][1]["track_id"] = 7
    assert "duplicate_track_id" in _refused(aimmo, tmp_path, doc)


def test_file_id_must_match(aimmo: Workspace, tmp_path: Path) -> None:
    assert _refused(aimmo, tmp_path, gt(file_id="6465703408f21776587bbdac")) == ["file_id_mismatch"]
    row = aimmo.row(f"{PARENT}/{FILE}")
    job = aimmo.import_labels("p", write_tree(tmp_path / "gt2", [gt(file_id=row.id)]), format="aimmo")
    assert job.state is JobState.SUCCEEDED


def test_overwrite_flag_replaces_that_file_only(aimmo: Workspace, tmp_path: Path) -> None:
    aimmo.import_labels("p", write_tree(tmp_path / "a", [gt()]), format="aimmo")
    doc = gt(overwrite=True)
    doc["annotations"][1]["points"] = [[101, 100], [300, 250]]
    job = aimmo.import_labels("p", write_tree(tmp_path / "b", [doc]), format="aimmo")
    assert job.state is JobState.SUCCEEDED and job.counts["annotations_replaced"] == 3
    car = next(a for a in aimmo.labels("p")[f"{PARENT}/{FILE}"] if a.name == "car")
    assert car.geometry[0] == 101


def test_round_trip(aimmo: Workspace, tmp_path: Path) -> None:
    aimmo.import_labels("p", write_tree(tmp_path / "gt", [gt()]), format="aimmo")
    out = tmp_path / "export"
    summary = aimmo.export("p", out, format="aimmo")
    assert summary.rows == 1 and summary.not_expressible == []
    aimmo.create_project("p2", ontology="o", media_type="image")
    aimmo.create_batch("p2", "b", dataset="res")
    job = aimmo.import_labels("p2", out, format="aimmo")
    assert job.state is JobState.SUCCEEDED, [i.message for i in aimmo.job_issues(job.id)]
    assert _strip(aimmo.labels("p2")) == _strip(aimmo.labels("p"))


def _strip(labels: dict[str, list[Any]]) -> dict[str, list[Any]]:
    import msgspec

    return {k: sorted((msgspec.to_builtins(a) for a in v), key=lambda d: d["uid"]) for k, v in labels.items()}
