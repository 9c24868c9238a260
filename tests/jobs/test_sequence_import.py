"""Image sequences (scenes): a folder of real image frames is one data row; AIMMO frame files land
on their frame, are checked against that frame's own size and the track rules, and come back out
as one file per frame that imports to exactly the same labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labelport import Workspace
from tests.jobs.scenes import aid, canon, refused, succeeded, write_tree
from tests.media.assets import make_image

SCENE = "/0000/drive_1"
FRAMES = ["frame_1.jpg", "frame_2.jpg", "frame_10.jpg"]  # natural order: 10 is the third frame
ONTOLOGY = {
    "tools": [
        {
            "name": "car",
            "tool": "box",
            "classifications": [
                {"name": "occluded", "type": "radio", "options": [{"value": "yes"}, {"value": "no"}]}
            ],
        },
        {"name": "bus", "tool": "box"},
        {"name": "lane", "tool": "polyline"},
    ],
    "classifications": [
        {"name": "weather", "type": "radio", "options": [{"value": "sunny"}, {"value": "rainy"}]}
    ],
}


@pytest.fixture
def seq(ws: Workspace, tmp_path: Path) -> Workspace:
    res = tmp_path / "res"
    folder = res / SCENE.lstrip("/")
    folder.mkdir(parents=True)
    make_image(folder / "frame_1.jpg", (64, 48))
    make_image(folder / "frame_2.jpg", (64, 48))
    make_image(folder / "frame_10.jpg", (32, 24))  # a smaller last frame: bounds are per frame
    ws.create_dataset("res")
    ws.add_rows("res", [res], media_type="image_sequence")
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="image_sequence")
    ws.create_batch("p", "b", dataset="res")
    return ws


def frame(filename: str, annotations: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {
        "annotations": annotations,
        "attributes": more.pop("attributes", {}),
        "filename": filename,
        "parent_path": SCENE,
        "metadata": {},
        **more,
    }


def car(n: int, track: int, points: list[list[float]], label: str = "car") -> dict[str, Any]:
    return {
        "id": aid(n),
        "type": "box",
        "label": label,
        "attributes": {"occluded": "no"} if label == "car" else {},
        "points": points,
        "track_id": track,
    }


def scene_docs() -> list[dict[str, Any]]:
    return [
        frame(
            "frame_1.jpg",
            [
                car(1, 1, [[1, 2], [11, 12]]),
                car(2, 2, [[20, 20], [64, 48]]),
                {"id": aid(3), "type": "polyline", "label": "lane", "points": [[0, 47.5], [63, 0]]},
            ],
            attributes={"weather": "sunny"},
        ),
        frame("frame_2.jpg", [car(4, 1, [[2, 3], [12, 13]]), car(5, 2, [[21, 20], [60, 40]])]),
        frame("frame_10.jpg", [car(6, 1, [[3, 4], [32, 24]])], attributes={"weather": "rainy"}),
    ]


def test_scene_is_one_row_with_ordered_frames(seq: Workspace) -> None:
    (row,) = seq.rows("res")
    assert (row.global_key, row.parent_path, row.filename) == (SCENE, "/0000", "drive_1")
    assert row.metadata == {
        "frames": [
            {"filename": "frame_1.jpg", "width": 64, "height": 48},
            {"filename": "frame_2.jpg", "width": 64, "height": 48},
            {"filename": "frame_10.jpg", "width": 32, "height": 24},
        ],
        "frame_count": 3,
    }


def test_frame_files_land_on_their_frames(seq: Workspace, tmp_path: Path) -> None:
    succeeded(seq, "p", write_tree(tmp_path / "gt", scene_docs()), "aimmo")
    anns = seq.labels("p")[SCENE]
    by_uid = {a.uid: a for a in anns}
    assert [(by_uid[aid(n)].frame, by_uid[aid(n)].track_id) for n in (1, 4, 6)] == [
        (1, "1"),
        (2, "1"),
        (3, "1"),
    ]
    assert by_uid[aid(6)].geometry == [3, 4, 29, 20]
    weather = sorted((a.frame, a.answer.value.name) for a in anns if a.name == "weather")  # type: ignore[union-attr]
    assert weather == [(1, "sunny"), (3, "rainy")]
    assert {t.status.value for t in seq.tasks("p")} == {"done"}


def test_scene_id_names_the_scene_when_the_folders_differ(seq: Workspace, tmp_path: Path) -> None:
    row = seq.row(SCENE)
    docs = [{**d, "parent_path": "/elsewhere/drive_1", "scene_id": row.id} for d in scene_docs()]
    succeeded(seq, "p", write_tree(tmp_path / "gt", docs), "aimmo")
    assert len(seq.labels("p")[SCENE]) == 8


def test_scene_id_by_global_key_beside_the_folder(seq: Workspace, tmp_path: Path) -> None:
    docs = [{**d, "scene_id": SCENE} for d in scene_docs()]
    succeeded(seq, "p", write_tree(tmp_path / "gt", docs), "aimmo")


def test_export_writes_one_file_per_frame_and_round_trips(seq: Workspace, tmp_path: Path) -> None:
    succeeded(seq, "p", write_tree(tmp_path / "gt", scene_docs()), "aimmo")
    out = tmp_path / "export"
    summary = seq.export("p", out, format="aimmo")
    assert summary.rows == 1 and summary.annotations == 8 and summary.not_expressible == []
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))
    assert written == [f"0000/drive_1/{f}.json" for f in ("frame_1.jpg", "frame_10.jpg", "frame_2.jpg")]
    last = json.loads((out / "0000/drive_1/frame_10.jpg.json").read_text())
    assert (last["parent_path"], last["filename"], last["frame_number"]) == (SCENE, "frame_10.jpg", 3)
    assert last["scene_id"] == seq.row(SCENE).id and last["metadata"] == {"height": 24, "width": 32}
    assert last["attributes"] == {"weather": "rainy"}
    assert [(a["track_id"], a["frame_number"]) for a in last["annotations"]] == [(1, 3)]

    seq.create_project("p2", ontology="o", media_type="image_sequence")
    seq.create_batch("p2", "b", dataset="res")
    succeeded(seq, "p2", out, "aimmo")
    assert canon(seq.labels("p2")) == canon(seq.labels("p"))


def test_unknown_frame_is_refused(seq: Workspace, tmp_path: Path) -> None:
    docs = scene_docs()
    docs[1]["filename"] = "frame_3.jpg"
    assert refused(seq, "p", write_tree(tmp_path / "gt", docs), "aimmo") == ["frame_not_found"]


def test_unknown_scene_is_refused(seq: Workspace, tmp_path: Path) -> None:
    docs = [{**d, "parent_path": "/0000/drive_9"} for d in scene_docs()[:1]]
    assert refused(seq, "p", write_tree(tmp_path / "gt", docs), "aimmo") == ["data_row_not_found"]


def test_scene_id_of_another_scene_is_refused(seq: Workspace, tmp_path: Path) -> None:
    docs = [{**scene_docs()[0], "scene_id": "not-this-scene"}]
    assert refused(seq, "p", write_tree(tmp_path / "gt", docs), "aimmo") == ["scene_id_mismatch"]


def test_box_inside_one_frame_but_outside_a_smaller_one(seq: Workspace, tmp_path: Path) -> None:
    docs = scene_docs()
    docs[2]["annotations"][0]["points"] = [[3, 4], [33, 24]]  # fine on 64x48, not on the 32x24 frame
    assert refused(seq, "p", write_tree(tmp_path / "gt", docs), "aimmo") == ["out_of_bounds"]


def test_two_objects_of_one_frame_share_a_track(seq: Workspace, tmp_path: Path) -> None:
    docs = scene_docs()
    docs[1]["annotations"][1]["track_id"] = 1
    assert refused(seq, "p", write_tree(tmp_path / "gt", docs), "aimmo") == ["duplicate_track_id"]


def test_a_track_keeps_its_class(seq: Workspace, tmp_path: Path) -> None:
    docs = scene_docs()
    docs[1]["annotations"][0] = car(4, 1, [[2, 3], [12, 13]], label="bus")
    assert refused(seq, "p", write_tree(tmp_path / "gt", docs), "aimmo") == ["track_class_changed"]


def test_frame_number_that_disagrees_is_a_warning(seq: Workspace, tmp_path: Path) -> None:
    docs = scene_docs()
    docs[2]["frame_number"] = 10  # the file name says frame 3
    job_id = succeeded(seq, "p", write_tree(tmp_path / "gt", docs), "aimmo")
    warned = [i for i in seq.job_issues(job_id) if i.code == "frame_number_mismatch"]
    assert len(warned) == 1 and warned[0].value == 10
    assert {a.frame for a in seq.labels("p")[SCENE] if a.uid == aid(6)} == {3}


def test_a_required_answer_given_on_frames_counts_for_the_scene(seq: Workspace, tmp_path: Path) -> None:
    required = json.loads(json.dumps(ONTOLOGY))
    required["classifications"][0]["required"] = True
    seq.create_ontology("o2", required)
    seq.create_project("p2", ontology="o2", media_type="image_sequence")
    seq.create_batch("p2", "b", dataset="res")
    succeeded(seq, "p2", write_tree(tmp_path / "gt", scene_docs()), "aimmo")
    seq.create_project("p3", ontology="o2", media_type="image_sequence")
    seq.create_batch("p3", "b", dataset="res")
    unanswered = [{**d, "attributes": {}} for d in scene_docs()]
    codes = refused(seq, "p3", write_tree(tmp_path / "gt2", unanswered), "aimmo")
    assert codes == ["missing_required_classification"]
