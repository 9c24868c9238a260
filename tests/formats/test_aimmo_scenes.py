"""AIMMO scenes at the format level: frame files read as references to their scene, and a scene row
written as one file per frame in the scene's folder (no database: rows built by hand)."""

from __future__ import annotations

from pathlib import Path

import orjson

from labelport.formats import aimmo
from labelport.formats.base import ExportContext, ExportRow
from labelport.model.issues import Issue
from labelport.model.ontology import Ontology
from labelport.model.records import Annotation, Answer, Choice, LabelFields, RowRef

CTX = ExportContext(project="p", media_type="image_sequence", ontology=Ontology())
FRAMES = [
    {"filename": "a.jpg", "width": 64, "height": 48},
    {"filename": "b.jpg", "width": 32, "height": 24},
]


def aid(n: int) -> str:
    return f"{n}-abd21cb9-cb89-4cf4-8de6-{n:012d}"


def scene_row(annotations: list[Annotation], media_type: str = "image_sequence", **meta: object) -> ExportRow:
    return ExportRow(
        ref=RowRef(id="row-1", global_key="/0000/drive", parent_path="/0000", filename="drive"),
        media_type=media_type,
        metadata={"frames": FRAMES, "frame_count": 2, **meta},
        annotations=annotations,
        fields=LabelFields(last_workers={"labeling": "w1", "inspection": None, "final inspection": None}),
    )


def box(n: int, frame: int | None, track: str = "3") -> Annotation:
    return Annotation(kind="bbox", uid=aid(n), name="car", geometry=[1, 2, 3, 4], frame=frame, track_id=track)


def test_frame_file_reads_as_a_reference_to_its_scene(tmp_path: Path) -> None:
    doc = {
        "annotations": [
            {"id": aid(1), "type": "box", "label": "car", "points": [[1, 2], [4, 6]], "track_id": 3}
        ],
        "attributes": {"weather": "sunny"},
        "filename": "b.jpg",
        "parent_path": "/0000/drive",
        "scene_id": "row-1",
        "frame_number": 2,
    }
    path = tmp_path / "0000" / "drive" / "b.jpg.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(orjson.dumps(doc))
    issues: list[Issue] = []
    (record,) = aimmo.read(tmp_path, issues.append)
    assert issues == []
    assert record.row == RowRef(parent_path="/0000/drive", filename="b.jpg", scene_id="row-1")
    assert record.fields is not None and record.fields.extra == {"frame_number": 2, "scene_id": "row-1"}
    obj, weather = record.annotations
    assert (obj.track_id, obj.frame) == ("3", None)  # the frame comes from the scene, in validation
    assert (weather.uid, weather.name) == (None, "weather")  # an id derived per row and frame


def test_scene_row_writes_one_file_per_frame(tmp_path: Path) -> None:
    weather = Annotation(
        kind="radio",
        uid="x",
        name="weather",
        answer=Answer(name="weather", value=Choice(name="rain")),
        frame=2,
    )
    summary = aimmo.write([scene_row([box(1, 1), box(2, 2), weather])], tmp_path / "out", CTX)
    assert (summary.rows, summary.annotations, summary.not_expressible) == (1, 3, [])
    first = orjson.loads((tmp_path / "out/0000/drive/a.jpg.json").read_bytes())
    second = orjson.loads((tmp_path / "out/0000/drive/b.jpg.json").read_bytes())
    for n, doc in enumerate((first, second), 1):
        assert (doc["parent_path"], doc["scene_id"], doc["frame_number"]) == ("/0000/drive", "row-1", n)
        assert doc["last_workers"]["labeling"] == "w1" and "file_id" not in doc
    assert first["filename"] == "a.jpg" and first["metadata"] == {"height": 48, "width": 64}
    assert second["metadata"] == {"height": 24, "width": 32}
    assert [a["id"] for a in second["annotations"]] == [aid(2)]
    assert second["annotations"][0]["frame_number"] == 2 and second["annotations"][0]["track_id"] == 3
    assert first["attributes"] == {} and second["attributes"] == {"weather": "rain"}


def test_empty_frames_are_written_too(tmp_path: Path) -> None:
    aimmo.write([scene_row([box(1, 2)])], tmp_path / "out", CTX)
    empty = orjson.loads((tmp_path / "out/0000/drive/a.jpg.json").read_bytes())
    assert empty["annotations"] == [] and empty["frame_number"] == 1


def test_point_cloud_frames_write_empty_metadata(tmp_path: Path) -> None:
    cub = Annotation(kind="cuboid", uid=aid(1), name="car", geometry=[0, 0, 0, 1, 1, 1, 0], frame=1)
    aimmo.write([scene_row([cub], media_type="point_cloud")], tmp_path / "out", CTX)
    doc = orjson.loads((tmp_path / "out/0000/drive/a.jpg.json").read_bytes())
    assert doc["metadata"] == {} and doc["annotations"][0]["points"] == [0, 0, 0, 1, 1, 1, 0]


def test_annotation_on_no_frame_is_reported_not_dropped(tmp_path: Path) -> None:
    summary = aimmo.write([scene_row([box(1, None), box(2, 3), box(3, 1)])], tmp_path / "out", CTX)
    assert summary.annotations == 1
    assert [(i.code, i.location.annotation_id) for i in summary.not_expressible] == [
        ("unsupported_annotation", aid(1)),
        ("unsupported_annotation", aid(2)),
    ]
    assert "frame 3" in summary.not_expressible[1].message


def test_image_row_in_a_scene_project_is_one_file(tmp_path: Path) -> None:
    row = ExportRow(
        ref=RowRef(id="r", global_key="/x/a.jpg", parent_path="/x", filename="a.jpg"),
        media_type="image",
        metadata={"width": 10, "height": 10},
        annotations=[box(1, None)],
    )
    aimmo.write([row], tmp_path / "out", CTX)
    assert [p.name for p in (tmp_path / "out").rglob("*.json")] == ["a.jpg.json"]
