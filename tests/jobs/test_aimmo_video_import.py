"""AIMMO GT for a video (a real 10-frame clip encoded with PyAV): one file for the video, each
annotation a keyframe on its 1-based ``frame_number`` with the object's ``track_id``; a
`classification` entry on a frame is an answer held over that frame. Broken copies are refused with
their codes; export then import gives back exactly the stored labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labelport import Workspace
from labelport.model.records import Choice
from tests.jobs.scenes import aid, canon, refused, succeeded, write_tree
from tests.media.assets import make_video

W, H, FRAMES = 64, 48, 10
ONTOLOGY = {
    "tools": [
        {
            "name": "car",
            "tool": "box",
            "classifications": [
                {"name": "braking", "type": "radio", "options": [{"value": "yes"}, {"value": "no"}]}
            ],
        },
        {"name": "truck", "tool": "box"},
        {"name": "cone", "tool": "keypoint"},
    ],
    "classifications": [
        {
            "name": "light",
            "type": "radio",
            "scope": "index",
            "options": [
                {
                    "value": "day",
                    "options": [
                        {"name": "glare", "type": "radio", "options": [{"value": "yes"}, {"value": "no"}]}
                    ],
                },
                {"value": "night"},
            ],
        },
        {"name": "quality", "type": "radio", "options": [{"value": "good"}, {"value": "poor"}]},
    ],
}


@pytest.fixture
def vid(ws: Workspace, tmp_path: Path) -> Workspace:
    (tmp_path / "res" / "cam").mkdir(parents=True)
    make_video(tmp_path / "res" / "cam" / "clip.mp4", frames=FRAMES, size=(W, H), fps=10)
    ws.create_dataset("res")
    ws.add_rows("res", [tmp_path / "res"])
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="video")
    ws.create_batch("p", "b", dataset="res")
    return ws


def keyframe(n: int, frame: int, track: int, box: list[list[float]], label: str = "car") -> dict[str, Any]:
    return {
        "id": aid(n),
        "type": "box",
        "label": label,
        "attributes": {"braking": "no"} if label == "car" else {},
        "points": box,
        "track_id": track,
        "frame_number": frame,
    }


def doc() -> dict[str, Any]:
    return {
        "annotations": [
            keyframe(1, 1, 1, [[0, 0], [10, 10]]),
            keyframe(2, 5, 1, [[5, 5], [15, 15]]),
            keyframe(3, 5, 2, [[30, 20], [64, 48]], label="truck"),
            keyframe(4, 10, 1, [[20, 20], [30, 30]]),
            {"id": aid(5), "type": "keypoint", "label": "cone", "points": [[3, 4]], "frame_number": 2},
            {
                "id": aid(6),
                "type": "classification",
                "label": "day",
                "attributes": {"glare": "yes"},
                "frame_number": 3,
            },
        ],
        "attributes": {"quality": "good"},
        "filename": "clip.mp4",
        "parent_path": "/cam",
        "metadata": {"fps": 10},
    }


def test_keyframes_tracks_and_frame_answers(vid: Workspace, tmp_path: Path) -> None:
    succeeded(vid, "p", write_tree(tmp_path / "gt", [doc()]), "aimmo")
    by_uid = {a.uid: a for a in vid.labels("p")["/cam/clip.mp4"]}
    assert [(by_uid[aid(n)].frame, by_uid[aid(n)].track_id) for n in (1, 2, 3, 4)] == [
        (1, "1"),
        (5, "1"),
        (5, "2"),
        (10, "1"),
    ]
    light = by_uid[aid(6)]
    assert (light.name, light.frame) == ("light", None)
    (value,) = light.answer.value  # type: ignore[union-attr]  # a radio over time: its answers
    assert isinstance(value, Choice) and (value.name, value.frames) == ("day", [(3, 3)])
    assert value.classifications[0].value.name == "yes"  # type: ignore[union-attr]
    quality = next(a for a in by_uid.values() if a.name == "quality")
    assert quality.answer.value.frames is None  # type: ignore[union-attr]


def test_round_trip(vid: Workspace, tmp_path: Path) -> None:
    succeeded(vid, "p", write_tree(tmp_path / "gt", [doc()]), "aimmo")
    out = tmp_path / "export"
    summary = vid.export("p", out, format="aimmo")
    assert (summary.rows, summary.annotations, summary.not_expressible) == (1, 7, [])
    written = json.loads((out / "cam" / "clip.mp4.json").read_text())
    assert written["metadata"] == {"fps": 10}
    entry = next(a for a in written["annotations"] if a["type"] == "classification")
    assert (entry["label"], entry["frame_number"], entry["attributes"]) == ("day", 3, {"glare": "yes"})
    vid.create_project("p2", ontology="o", media_type="video")
    vid.create_batch("p2", "b", dataset="res")
    succeeded(vid, "p2", out, "aimmo")
    assert canon(vid.labels("p2")) == canon(vid.labels("p"))


@pytest.mark.parametrize(
    ("index", "change", "code"),
    [
        (3, {"frame_number": 11}, "frame_out_of_range"),
        (0, {"frame_number": 0}, "frame_out_of_range"),
        (5, {"frame_number": 12}, "frame_out_of_range"),
        (1, {"points": [[5, 5], [65, 15]]}, "out_of_bounds"),
        (2, {"track_id": 1, "label": "car", "attributes": {}}, "duplicate_track_id"),
        (3, {"label": "truck", "attributes": {}}, "track_class_changed"),
    ],
)
def test_broken_copies(vid: Workspace, tmp_path: Path, index: int, change: dict[str, Any], code: str) -> None:
    broken = doc()
    broken["annotations"][index].update(change)
    assert refused(vid, "p", write_tree(tmp_path / "gt", [broken]), "aimmo") == [code]


def test_keyframe_without_a_frame(vid: Workspace, tmp_path: Path) -> None:
    broken = doc()
    del broken["annotations"][0]["frame_number"]
    assert refused(vid, "p", write_tree(tmp_path / "gt", [broken]), "aimmo") == ["missing_field"]
