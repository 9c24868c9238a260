"""Point clouds: a folder of real PCD and KITTI frames is one scene row with each frame's point
count and bounds; AIMMO cuboids land on their frame, are checked against that frame's points and
the track rules, and export to one file per frame that imports back exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labelport import Workspace
from tests.jobs.scenes import aid, canon, refused, succeeded, write_tree
from tests.media.assets import make_kitti_bin, make_pcd

SCENE = "/lidar/seq_01"
# frame 1 spans x -10..10, y -5..5, z -1..2; frame 2 (the sensor moved) x 0..30
CLOUD_1 = np.array([[-10, -5, -1, 0.1], [10, 5, 2, 0.9], [0, 0, 0, 0.5]], dtype=np.float32)
CLOUD_2 = CLOUD_1 + np.array([20, 0, 0, 0], dtype=np.float32)
ONTOLOGY = {
    "tools": [
        {
            "name": "car",
            "tool": "cuboid",
            "classifications": [
                {"name": "moving", "type": "radio", "options": [{"value": "yes"}, {"value": "no"}]}
            ],
        },
        {"name": "pedestrian", "tool": "cuboid"},
    ]
}


@pytest.fixture
def lidar(ws: Workspace, tmp_path: Path) -> Workspace:
    folder = tmp_path / "res" / SCENE.lstrip("/")
    folder.mkdir(parents=True)
    make_pcd(folder / "000001.pcd", CLOUD_1, data="binary")
    make_pcd(folder / "000002.pcd", CLOUD_2, data="ascii")
    make_kitti_bin(folder / "000003.bin", CLOUD_2)
    ws.create_dataset("res")
    ws.add_rows("res", [tmp_path / "res"], media_type="point_cloud")
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="point_cloud")
    ws.create_batch("p", "b", dataset="res")
    return ws


def cuboid(n: int, track: int, points: Any, label: str = "car") -> dict[str, Any]:
    return {
        "id": aid(n),
        "type": "cuboid",
        "label": label,
        "attributes": {"moving": "yes"} if label == "car" else {},
        "points": points,
        "track_id": track,
    }


def docs() -> list[dict[str, Any]]:
    def frame(name: str, annotations: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "annotations": annotations,
            "attributes": {},
            "filename": name,
            "parent_path": SCENE,
            "scene_id": SCENE,
            "metadata": {},
        }

    return [
        frame(
            "000001.pcd",
            [
                cuboid(1, 1, [1.5, 0.25, 0.5, 4.2, 1.8, 1.5, 0.1]),
                cuboid(
                    2,
                    2,
                    {"cx": -9.5, "cy": 4, "cz": 0, "length": 0.6, "width": 0.6, "height": 1.8, "yaw": -3.14},
                    "pedestrian",
                ),
            ],
        ),
        frame("000002.pcd", [cuboid(3, 1, [21.5, 0.25, 0.5, 4.2, 1.8, 1.5, 0.15])]),
        frame("000003.bin", [cuboid(4, 1, [29.0, 5, 2, 4.2, 1.8, 1.5, 0.2])]),
    ]


def test_folder_of_frames_is_one_scene_row(lidar: Workspace) -> None:
    (row,) = lidar.rows("res")
    assert (row.global_key, row.media_type.value) == (SCENE, "point_cloud")
    assert row.metadata == {
        "frames": [
            {"filename": "000001.pcd", "point_count": 3, "bounds": [-10.0, -5.0, -1.0, 10.0, 5.0, 2.0]},
            {"filename": "000002.pcd", "point_count": 3, "bounds": [10.0, -5.0, -1.0, 30.0, 5.0, 2.0]},
            {"filename": "000003.bin", "point_count": 3, "bounds": [10.0, -5.0, -1.0, 30.0, 5.0, 2.0]},
        ],
        "frame_count": 3,
    }


def test_cuboids_land_on_their_frames(lidar: Workspace, tmp_path: Path) -> None:
    succeeded(lidar, "p", write_tree(tmp_path / "gt", docs()), "aimmo")
    by_uid = {a.uid: a for a in lidar.labels("p")[SCENE]}
    assert by_uid[aid(2)].geometry == [-9.5, 4, 0, 0.6, 0.6, 1.8, -3.14]
    assert [(by_uid[aid(n)].frame, by_uid[aid(n)].track_id) for n in (1, 3, 4)] == [
        (1, "1"),
        (2, "1"),
        (3, "1"),
    ]


def test_export_one_file_per_frame_and_round_trip(lidar: Workspace, tmp_path: Path) -> None:
    succeeded(lidar, "p", write_tree(tmp_path / "gt", docs()), "aimmo")
    out = tmp_path / "export"
    summary = lidar.export("p", out, format="aimmo")
    assert (summary.rows, summary.annotations, summary.not_expressible) == (1, 4, [])
    second = json.loads((out / "lidar/seq_01/000002.pcd.json").read_text())
    assert (second["filename"], second["frame_number"], second["metadata"]) == ("000002.pcd", 2, {})
    assert second["annotations"][0]["points"] == [21.5, 0.25, 0.5, 4.2, 1.8, 1.5, 0.15]
    lidar.create_project("p2", ontology="o", media_type="point_cloud")
    lidar.create_batch("p2", "b", dataset="res")
    succeeded(lidar, "p2", out, "aimmo")
    assert canon(lidar.labels("p2")) == canon(lidar.labels("p"))


def test_centre_outside_its_own_frame(lidar: Workspace, tmp_path: Path) -> None:
    broken = docs()
    broken[0]["annotations"][0]["points"][0] = 21.5  # inside frame 2's points, not frame 1's
    assert refused(lidar, "p", write_tree(tmp_path / "gt", broken), "aimmo") == ["out_of_bounds"]


def test_cuboid_without_size(lidar: Workspace, tmp_path: Path) -> None:
    broken = docs()
    broken[1]["annotations"][0]["points"][4] = 0
    assert refused(lidar, "p", write_tree(tmp_path / "gt", broken), "aimmo") == ["degenerate_geometry"]


def test_two_cuboids_of_one_frame_share_a_track(lidar: Workspace, tmp_path: Path) -> None:
    broken = docs()
    broken[0]["annotations"][1]["track_id"] = 1
    codes = refused(lidar, "p", write_tree(tmp_path / "gt", broken), "aimmo")
    assert codes == ["duplicate_track_id", "track_class_changed"]


def test_box_in_a_point_cloud_project(lidar: Workspace, tmp_path: Path) -> None:
    broken = docs()
    broken[0]["annotations"][0] = {"id": aid(9), "type": "box", "label": "car", "points": [[0, 0], [1, 1]]}
    codes = refused(lidar, "p", write_tree(tmp_path / "gt", broken), "aimmo")
    assert codes == ["wrong_media_type"]


def test_single_file_cloud_is_its_own_frame(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "res").mkdir()
    make_pcd(tmp_path / "res" / "scan.pcd", CLOUD_1, data="binary")
    ws.create_dataset("res")
    ws.add_rows("res", [tmp_path / "res"])  # detected per file: one row per cloud
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="point_cloud")
    ws.create_batch("p", "b", dataset="res")
    doc = {
        "annotations": [cuboid(1, 1, [1.5, 0.25, 0.5, 4.2, 1.8, 1.5, 0.1])],
        "filename": "scan.pcd",
        "parent_path": "/",
    }
    succeeded(ws, "p", write_tree(tmp_path / "gt", [doc]), "aimmo")
    (ann,) = ws.labels("p")["/scan.pcd"]
    assert ann.frame == 1
    out = tmp_path / "export"
    ws.export("p", out, format="aimmo")
    assert json.loads((out / "scan.pcd.json").read_text())["annotations"][0]["frame_number"] == 1
    doc["annotations"][0]["points"][0] = 10.5
    assert refused(ws, "p", write_tree(tmp_path / "gt2", [{**doc, "overwrite": True}]), "aimmo") == [
        "out_of_bounds"
    ]
