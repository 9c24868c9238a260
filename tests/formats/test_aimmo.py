"""AIMMO GT JSON: reading, the issues it reports, writing, round trips and detection.

Fixtures are written by hand from Python dicts, following the "Upload GT-file" page
(``../shared/seeds/001_e183dfe9f5509cbe.txt``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from labelport.formats import aimmo
from labelport.formats.base import ExportContext, ExportRow
from labelport.model.issues import CODES, Issue, Location
from labelport.model.ontology import Ontology
from labelport.model.records import Annotation, Answer, Choice, LabelFields, Record, RowRef

UID = "26-abd21cb9-cb89-4cf4-8de6-b0a6421024b3"
PARENT = "/0000/3576612_0_2023-04-03_17-10-44_1683133844"
FILENAME = "1020312_0_2023-05-03_17-10-44_1683133844_0001584.jpg"

CTX = ExportContext(project="p", media_type="image", ontology=Ontology())


def uid(n: int) -> str:
    return f"{n}-abd21cb9-cb89-4cf4-8de6-{n:012d}"


def gt(
    annotations: list[Any], *, filename: str = "a.jpg", parent_path: str = "/day", **more: Any
) -> dict[str, Any]:
    return {"annotations": annotations, "filename": filename, "parent_path": parent_path, **more}


def put(root: Path, rel: str, doc: Any) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(doc if isinstance(doc, bytes) else orjson.dumps(doc))
    return path


def run(payload: Path) -> tuple[list[Record], list[Issue]]:
    issues: list[Issue] = []

    def sink(issue: Issue) -> None:
        issues.append(issue)

    records = list(aimmo.read(payload, sink))
    return records, issues


def codes(issues: list[Issue]) -> list[str]:
    return [i.code for i in issues]


def seed_doc() -> dict[str, Any]:
    return {
        "annotations": [
            {
                "id": UID,
                "type": "poly_seg",
                "attributes": {},
                "points": [[10, 20], [30.5, 20], [30.5, 40.25]],
                "label": "Road",
            }
        ],
        "attributes": {},
        "file_id": "6465703408f21776587bbdac",
        "filename": FILENAME,
        "parent_path": PARENT,
        "metadata": {"height": 1080, "width": 1920},
    }


# --- reading ---------------------------------------------------------------------------------------


def test_seed_example(tmp_path: Path) -> None:
    put(tmp_path, PARENT.lstrip("/") + "/" + FILENAME + ".json", seed_doc())
    records, issues = run(tmp_path)
    assert issues == []
    [rec] = records
    assert rec.row == RowRef(parent_path=PARENT, filename=FILENAME, file_id="6465703408f21776587bbdac")
    assert rec.lines == 1
    assert rec.location == Location(
        file=PARENT.lstrip("/") + "/" + FILENAME + ".json", data_row=f"{PARENT}/{FILENAME}"
    )
    [ann] = rec.annotations
    assert ann == Annotation(
        kind="polygon",
        uid=UID,
        name="Road",
        geometry=[[10, 20, 30.5, 20, 30.5, 40.25]],
        extra={"aimmo_type": "poly_seg"},
        pointer="/annotations/0",
    )
    assert isinstance(ann.geometry[0][0], int) and isinstance(ann.geometry[0][2], float)
    assert rec.fields == LabelFields(extra={"metadata": {"height": 1080, "width": 1920}})


def test_every_type(tmp_path: Path) -> None:
    anns = [
        {"id": uid(1), "type": "box", "label": "car", "points": [[30, 40.5], [10, 20]]},
        {"id": uid(2), "type": "box", "label": "car", "points": [[10, 20], [30, 20], [30, 40], [10, 40]]},
        {"id": uid(3), "type": "polygon", "label": "lake", "points": [[0, 0], [5, 0], [5, 5]]},
        {"id": uid(4), "type": "polyline", "label": "road", "points": [[0, 0], [1.5, 2.5]]},
        {"id": uid(5), "type": "keypoint", "label": "eye", "points": [[3, 4]]},
        {"id": uid(6), "type": "keypoint", "label": "eye", "points": [3, 4]},
        {"id": uid(7), "type": "keypoint", "label": "face", "points": [[1, 2], [3, 4]]},
        {"id": uid(8), "type": "cuboid", "label": "truck", "points": [1, 2, 3, 4.5, 2, 1.5, 0.25]},
        {
            "id": uid(9),
            "type": "cuboid",
            "label": "truck",
            "points": {"cx": 1, "cy": 2, "cz": 3, "length": 4, "width": 5, "height": 6, "yaw": -1.5},
        },
        {"id": uid(10), "type": "classification", "label": "sunny", "attributes": {}},
        {"id": uid(11), "type": "classification", "label": "rainy", "attributes": {"strength": "heavy"}},
        {
            "id": uid(12),
            "type": "box",
            "label": "car",
            "points": [[0, 0], [1, 1]],
            "attributes": {"color": "red", "occluded": ["front", "back"], "a/b~c": "x"},
            "track_id": 7,
            "frame_number": 3,
        },
        {"id": uid(13), "type": "box", "label": "car", "points": [[0, 0], [1, 1]], "track_id": "t-1"},
    ]
    put(tmp_path, "day/a.jpg.json", gt(anns))
    [rec], issues = run(tmp_path)
    assert issues == []
    got = {a.uid: a for a in rec.annotations}
    assert (got[uid(1)].kind, got[uid(1)].geometry) == ("bbox", [10, 20, 20, 20.5])
    assert (got[uid(2)].kind, got[uid(2)].geometry) == ("bbox", [10, 20, 20, 20])
    assert (got[uid(3)].kind, got[uid(3)].geometry, got[uid(3)].extra) == (
        "polygon",
        [[0, 0, 5, 0, 5, 5]],
        None,
    )
    assert (got[uid(4)].kind, got[uid(4)].geometry) == ("line", [0, 0, 1.5, 2.5])
    assert (got[uid(5)].kind, got[uid(5)].geometry) == ("point", [3, 4])
    assert (got[uid(6)].kind, got[uid(6)].geometry) == ("point", [3, 4])
    assert (got[uid(7)].kind, got[uid(7)].geometry) == ("keypoints", [1, 2, 2, 3, 4, 2])
    assert (got[uid(8)].kind, got[uid(8)].geometry) == ("cuboid", [1, 2, 3, 4.5, 2, 1.5, 0.25])
    assert (got[uid(9)].kind, got[uid(9)].geometry) == ("cuboid", [1, 2, 3, 4, 5, 6, -1.5])
    assert got[uid(10)] == Annotation(
        kind="classification",
        uid=uid(10),
        name=None,
        pointer="/annotations/9",
        answer=Answer(value="sunny", loose=True, pointer="/annotations/9/label"),
    )
    rainy = got[uid(11)].answer
    assert rainy is not None and isinstance(rainy.value, Choice)
    assert rainy.value.name == "rainy"
    assert rainy.value.classifications == [
        Answer(name="strength", value="heavy", loose=True, pointer="/annotations/10/attributes/strength")
    ]
    boxed = got[uid(12)]
    assert boxed.track_id == "7" and boxed.frame == 3
    assert boxed.classifications == [
        Answer(name="color", value="red", loose=True, pointer="/annotations/11/attributes/color"),
        Answer(
            name="occluded",
            loose=True,
            pointer="/annotations/11/attributes/occluded",
            value=[
                Choice(name="front", pointer="/annotations/11/attributes/occluded/0"),
                Choice(name="back", pointer="/annotations/11/attributes/occluded/1"),
            ],
        ),
        Answer(name="a/b~c", value="x", loose=True, pointer="/annotations/11/attributes/a~1b~0c"),
    ]
    assert got[uid(13)].track_id == "t-1"


def test_file_attributes_label_and_envelope(tmp_path: Path) -> None:
    doc = gt(
        [],
        attributes={"weather": "sunny", "flags": ["blur"]},
        label="day",
        file_id="f1",
        scene_id="s1",
        frame_number=4,
        metadata={},
        last_modifier_id="u1",
        last_workers={"labeling": "u1", "inspection": None, "final inspection": None},
        tags=["car"],
        parent_tags=["Primary task"],
        overwrite=True,
    )
    put(tmp_path, "day/a.jpg.json", doc)
    [rec], issues = run(tmp_path)
    assert issues == []
    assert rec.row == RowRef(parent_path="/day", filename="a.jpg", file_id="f1", scene_id="s1")
    assert rec.annotations == [
        Annotation(
            kind="classification",
            name="weather",
            pointer="/attributes/weather",
            answer=Answer(name="weather", value="sunny", loose=True, pointer="/attributes/weather"),
        ),
        Annotation(
            kind="classification",
            name="flags",
            pointer="/attributes/flags",
            answer=Answer(
                name="flags",
                loose=True,
                pointer="/attributes/flags",
                value=[Choice(name="blur", pointer="/attributes/flags/0")],
            ),
        ),
        Annotation(
            kind="classification",
            name=None,
            pointer="/label",
            answer=Answer(value="day", loose=True, pointer="/label"),
        ),
    ]
    assert rec.fields == LabelFields(
        last_modifier="u1",
        last_workers={"labeling": "u1", "inspection": None, "final inspection": None},
        tags=["car"],
        overwrite=True,
        extra={"metadata": {}, "parent_tags": ["Primary task"], "frame_number": 4, "scene_id": "s1"},
    )


def test_folder_order_hidden_and_mirror(tmp_path: Path) -> None:
    put(tmp_path, "b/x.jpg.json", gt([], parent_path="/b", filename="x.jpg"))
    put(tmp_path, "a/z/y.json", gt([], parent_path="/a/z", filename="y.png"))  # stem form
    put(tmp_path, "a.json", gt([], parent_path="/", filename="a"))
    put(tmp_path, "a/m.jpg.json", gt([], parent_path="/elsewhere", filename="m.jpg"))
    put(tmp_path, ".hidden/h.jpg.json", gt([], parent_path="/.hidden", filename="h.jpg"))
    put(tmp_path, "a/.h.jpg.json", gt([], parent_path="/a", filename=".h.jpg"))
    put(tmp_path, "notes.txt", b"not json")
    records, issues = run(tmp_path)
    assert [r.location.file for r in records] == ["a/m.jpg.json", "a/z/y.json", "a.json", "b/x.jpg.json"]
    [mis] = issues
    assert mis.code == "path_mismatch" and mis.severity == "warning"
    assert mis.location.file == "a/m.jpg.json" and mis.location.data_row == "/elsewhere/m.jpg"
    assert records[0].row == RowRef(parent_path="/elsewhere", filename="m.jpg")  # the fields decide


def test_single_file_has_no_mirror_check(tmp_path: Path) -> None:
    path = put(tmp_path, "anything.json", seed_doc())
    [rec], issues = run(path)
    assert issues == [] and rec.location.file == "anything.json"


# --- issues ----------------------------------------------------------------------------------------


def test_invalid_json_and_wrong_top_level_keep_going(tmp_path: Path) -> None:
    put(tmp_path, "day/a.jpg.json", b'{"annotations": [,]}')
    put(tmp_path, "day/b.jpg.json", [1, 2])
    put(tmp_path, "day/c.jpg.json", b"\xff\xfe{}")
    put(tmp_path, "day/d.jpg.json", gt([], filename="d.jpg"))
    records, issues = run(tmp_path)
    assert [r.row.filename for r in records] == ["d.jpg"]
    assert codes(issues) == ["invalid_json", "wrong_type", "unreadable_payload"]
    bad = issues[0]
    assert bad.location.file == "day/a.jpg.json" and bad.location.line == 1
    assert "line 1, column" in bad.message and "char" in bad.message
    assert issues[1].location.pointer == ""


def test_bom_is_accepted(tmp_path: Path) -> None:
    put(tmp_path, "day/a.jpg.json", b"\xef\xbb\xbf" + orjson.dumps(gt([])))
    records, issues = run(tmp_path)
    assert len(records) == 1 and issues == []


@pytest.mark.parametrize(
    ("doc", "code", "pointer"),
    [
        ({"filename": "a.jpg", "parent_path": "/day"}, "missing_field", "/annotations"),
        ({"annotations": {}, "filename": "a.jpg", "parent_path": "/day"}, "wrong_type", "/annotations"),
        ({"annotations": [], "parent_path": "/day"}, "missing_field", "/filename"),
        ({"annotations": [], "filename": 3, "parent_path": "/day"}, "wrong_type", "/filename"),
        ({"annotations": [], "filename": "a.jpg"}, "missing_field", "/parent_path"),
        ({"annotations": [], "filename": "a.jpg", "parent_path": None}, "wrong_type", "/parent_path"),
        ({"annotations": [], "filename": "", "parent_path": "/day"}, "wrong_type", "/filename"),
    ],
)
def test_fatal_envelope(tmp_path: Path, doc: dict[str, Any], code: str, pointer: str) -> None:
    put(tmp_path, "day/a.jpg.json", doc)
    put(tmp_path, "day/b.jpg.json", gt([], filename="b.jpg"))
    records, issues = run(tmp_path)
    assert [r.row.filename for r in records] == ["b.jpg"]
    assert [(i.code, i.location.pointer, i.location.file) for i in issues] == [
        (code, pointer, "day/a.jpg.json")
    ]
    assert CODES[code]


def test_fatal_file_reports_everything(tmp_path: Path) -> None:
    put(tmp_path, "x.json", {"annotations": [{"id": "bad", "type": "box", "label": "car", "points": "no"}]})
    records, issues = run(tmp_path)
    assert records == []
    assert sorted(codes(issues)) == ["bad_annotation_id", "missing_field", "missing_field", "wrong_type"]


def test_optional_fields_wrong_and_unknown(tmp_path: Path) -> None:
    doc = gt(
        [],
        file_id=5,
        scene_id=[],
        frame_number=True,
        metadata="x",
        label=1,
        overwrite="yes",
        last_modifier_id=3,
        last_workers={"labeling": 1, "review": "u2", "inspection": "u3"},
        tags=["a", 2],
        parent_tags="x",
        attributes={"w": 3, "ok": "yes"},
        colour="red",
    )
    put(tmp_path, "day/a.jpg.json", doc)
    [rec], issues = run(tmp_path)
    got = {(i.code, i.location.pointer) for i in issues}
    assert got == {
        ("unknown_field", "/colour"),
        ("wrong_type", "/file_id"),
        ("wrong_type", "/scene_id"),
        ("wrong_type", "/frame_number"),
        ("wrong_type", "/metadata"),
        ("wrong_type", "/label"),
        ("wrong_type", "/overwrite"),
        ("wrong_type", "/last_modifier_id"),
        ("wrong_type", "/last_workers/labeling"),
        ("unknown_field", "/last_workers/review"),
        ("wrong_type", "/tags/1"),
        ("wrong_type", "/parent_tags"),
        ("wrong_type", "/attributes/w"),
    }
    assert all(i.location.data_row == "/day/a.jpg" for i in issues)
    severities = {i.location.pointer: i.severity for i in issues}
    assert severities["/colour"] == "warning" and severities["/last_workers/review"] == "warning"
    assert rec.fields is not None
    assert rec.fields.last_workers == {"inspection": "u3"} and rec.fields.tags == ["a"]
    assert [(a.uid, a.name) for a in rec.annotations] == [(None, "ok")]


def test_bad_annotation_id_still_yielded(tmp_path: Path) -> None:
    anns = [
        {"id": "abc", "type": "box", "label": "car", "points": [[0, 0], [1, 1]]},
        {
            "id": "26-ABD21CB9-CB89-4CF4-8DE6-B0A6421024B3",
            "type": "box",
            "label": "car",
            "points": [[0, 0], [1, 1]],
        },
        {"type": "box", "label": "car", "points": [[0, 0], [1, 1]]},
        {"id": 26, "type": "box", "label": "car", "points": [[0, 0], [1, 1]]},
    ]
    put(tmp_path, "day/a.jpg.json", gt(anns))
    [rec], issues = run(tmp_path)
    assert [a.uid for a in rec.annotations] == ["abc", "26-ABD21CB9-CB89-4CF4-8DE6-B0A6421024B3", None, None]
    assert [(i.code, i.location.pointer, i.location.annotation_id) for i in issues] == [
        ("bad_annotation_id", "/annotations/0/id", "abc"),
        ("missing_field", "/annotations/2/id", None),
        ("wrong_type", "/annotations/3/id", None),
    ]


@pytest.mark.parametrize(
    ("ann", "code", "pointer"),
    [
        ({"type": "ellipse", "label": "car", "points": []}, "unsupported_annotation", "/annotations/1/type"),
        ({"label": "car", "points": []}, "missing_field", "/annotations/1/type"),
        ({"type": 3, "label": "car", "points": []}, "wrong_type", "/annotations/1/type"),
        ({"type": "box", "points": [[0, 0], [1, 1]]}, "missing_field", "/annotations/1/label"),
        ({"type": "box", "label": 4, "points": [[0, 0], [1, 1]]}, "wrong_type", "/annotations/1/label"),
        ({"type": "classification"}, "missing_field", "/annotations/1/label"),
        ({"type": "box", "label": "car"}, "missing_field", "/annotations/1/points"),
        ({"type": "box", "label": "car", "points": "1,2"}, "wrong_type", "/annotations/1/points"),
        (
            {"type": "box", "label": "car", "points": [[0, 0], [1, "1"]]},
            "wrong_type",
            "/annotations/1/points/1/1",
        ),
        (
            {"type": "box", "label": "car", "points": [[0, 0], [1, True]]},
            "wrong_type",
            "/annotations/1/points/1/1",
        ),
        (
            {"type": "box", "label": "car", "points": [[0, 0], [1, 1, 1]]},
            "wrong_type",
            "/annotations/1/points/1",
        ),
        (
            {"type": "box", "label": "car", "points": [[0, 0], [1, 1], [2, 2]]},
            "wrong_type",
            "/annotations/1/points",
        ),
        (
            {"type": "box", "label": "car", "points": [[0, 0], [2, 1], [3, 3], [0, 3]]},
            "unsupported_annotation",
            "/annotations/1/points",
        ),
        (
            {"type": "polygon", "label": "lake", "points": [[0, 0], 5]},
            "wrong_type",
            "/annotations/1/points/1",
        ),
        (
            {"type": "polyline", "label": "road", "points": [[0, None]]},
            "wrong_type",
            "/annotations/1/points/0/1",
        ),
        ({"type": "keypoint", "label": "eye", "points": []}, "wrong_type", "/annotations/1/points"),
        ({"type": "cuboid", "label": "t", "points": [1, 2, 3]}, "wrong_type", "/annotations/1/points"),
        (
            {"type": "cuboid", "label": "t", "points": [1, 2, 3, 4, 5, 6, "7"]},
            "wrong_type",
            "/annotations/1/points/6",
        ),
        ({"type": "cuboid", "label": "t", "points": {"cx": 1}}, "missing_field", "/annotations/1/points/cy"),
        (
            {"type": "box", "label": "car", "points": [[0, 0], [1, 1]], "attributes": []},
            "wrong_type",
            "/annotations/1/attributes",
        ),
        (
            {"type": "box", "label": "car", "points": [[0, 0], [1, 1]], "attributes": {"n": 1}},
            "wrong_type",
            "/annotations/1/attributes/n",
        ),
        (
            {"type": "box", "label": "car", "points": [[0, 0], [1, 1]], "attributes": {"n": ["a", 1]}},
            "wrong_type",
            "/annotations/1/attributes/n/1",
        ),
        (
            {"type": "box", "label": "car", "points": [[0, 0], [1, 1]], "track_id": 1.5},
            "wrong_type",
            "/annotations/1/track_id",
        ),
        (
            {"type": "box", "label": "car", "points": [[0, 0], [1, 1]], "frame_number": "3"},
            "wrong_type",
            "/annotations/1/frame_number",
        ),
        (
            {"type": "box", "label": "car", "points": [[0, 0], [1, 1]], "z": 1},
            "unknown_field",
            "/annotations/1/z",
        ),
    ],
)
def test_bad_annotation_others_survive(tmp_path: Path, ann: dict[str, Any], code: str, pointer: str) -> None:
    good = {"id": uid(1), "type": "box", "label": "car", "points": [[0, 0], [1, 1]]}
    after = {"id": uid(3), "type": "polygon", "label": "lake", "points": [[0, 0], [1, 0], [1, 1]]}
    put(tmp_path, "day/a.jpg.json", gt([good, {"id": uid(2), **ann}, after]))
    put(tmp_path, "day/b.jpg.json", gt([good], filename="b.jpg"))
    records, issues = run(tmp_path)
    assert len(records) == 2
    [issue] = issues
    assert (issue.code, issue.location.pointer) == (code, pointer)
    assert issue.location.annotation_id == uid(2)
    assert issue.location.data_row == "/day/a.jpg" and issue.location.file == "day/a.jpg.json"
    uids = [a.uid for a in records[0].annotations]
    assert uids[0] == uid(1) and uids[-1] == uid(3)
    # structural faults skip the annotation; attribute, track, frame and unknown-key faults keep it
    kept = (
        code == "unknown_field" or "/attributes" in pointer or pointer.endswith(("track_id", "frame_number"))
    )
    assert (uid(2) in uids) == kept


def test_not_an_object_annotation(tmp_path: Path) -> None:
    put(
        tmp_path,
        "day/a.jpg.json",
        gt([5, {"id": uid(1), "type": "keypoint", "label": "eye", "points": [1, 2]}]),
    )
    [rec], issues = run(tmp_path)
    assert [(i.code, i.location.pointer) for i in issues] == [("wrong_type", "/annotations/0")]
    assert [a.uid for a in rec.annotations] == [uid(1)]


def test_missing_payload() -> None:
    records, issues = run(Path("/nonexistent/labelport-aimmo"))
    assert records == [] and codes(issues) == ["unreadable_payload"]


# --- writing and round trips -----------------------------------------------------------------------


def export_rows(
    records: list[Record], media_type: str = "image", metadata: dict[str, Any] | None = None
) -> list[ExportRow]:
    rows = []
    for rec in records:
        ref = RowRef(
            id=rec.row.file_id,
            global_key=str(rec.row),
            parent_path=rec.row.parent_path,
            filename=rec.row.filename,
            scene_id=rec.row.scene_id,
        )
        rows.append(
            ExportRow(
                ref=ref,
                media_type=media_type,
                metadata=metadata or {},
                annotations=rec.annotations,
                fields=rec.fields,
            )
        )
    return rows


def same(a: Record, b: Record) -> None:
    assert a.row == b.row
    assert a.fields == b.fields
    assert a.annotations == b.annotations


def full_doc() -> dict[str, Any]:
    anns = [
        {
            "id": uid(1),
            "type": "box",
            "attributes": {"color": "red", "occluded": ["front"]},
            "points": [[10.5, 20.25], [30, 40]],
            "label": "car",
            "track_id": 7,
            "frame_number": 2,
        },
        {
            "id": uid(2),
            "type": "poly_seg",
            "attributes": {},
            "points": [[1, 2], [3, 4], [5, 6]],
            "label": "Road",
        },
        {
            "id": uid(3),
            "type": "polygon",
            "attributes": {},
            "points": [[1, 2], [3, 4], [5, 6.5]],
            "label": "lake",
        },
        {
            "id": uid(4),
            "type": "polyline",
            "attributes": {"kind": "dashed"},
            "points": [[0, 0], [9, 9]],
            "label": "road",
            "track_id": "lane-1",
        },
        {"id": uid(5), "type": "keypoint", "attributes": {}, "points": [[3, 4]], "label": "eye"},
        {"id": uid(6), "type": "keypoint", "attributes": {}, "points": [[1, 2], [3, 4]], "label": "face"},
        {
            "id": uid(7),
            "type": "cuboid",
            "attributes": {},
            "points": [1, 2, 3, 4.5, 2, 1.5, 0.25],
            "label": "t",
        },
        {"id": uid(8), "type": "classification", "attributes": {"strength": "heavy"}, "label": "rainy"},
        {"id": uid(9), "type": "classification", "attributes": {}, "label": "night"},
    ]
    return gt(
        anns,
        filename=FILENAME,
        parent_path=PARENT,
        attributes={"weather": "sunny", "f": ["a", "b"]},
        label="day",
        file_id="6465703408f21776587bbdac",
        scene_id="scene-1",
        frame_number=2,
        metadata={"height": 1080, "width": 1920},
        last_modifier_id="u1",
        last_workers={"labeling": "u1", "inspection": None, "final inspection": "u2"},
        tags=["car"],
        parent_tags=["Primary task"],
        overwrite=True,
    )


def test_round_trip_identical(tmp_path: Path) -> None:
    src = tmp_path / "src"
    put(src, PARENT.lstrip("/") + "/" + FILENAME + ".json", full_doc())
    put(
        src,
        "day/b.jpg.json",
        gt(
            [],
            filename="b.jpg",
            metadata={"height": 1080, "width": 1920},
            last_modifier_id=None,
            last_workers={"labeling": None, "inspection": None, "final inspection": None},
        ),
    )
    first, issues = run(src)
    assert issues == [] and len(first) == 2
    summary = aimmo.write(export_rows(first, metadata={"height": 1080, "width": 1920}), tmp_path / "out", CTX)
    assert summary.rows == 2 and summary.not_expressible == []
    assert summary.annotations == sum(len(r.annotations) for r in first)
    second, issues = run(tmp_path / "out")
    assert issues == []
    assert len(second) == 2
    for a, b in zip(first, second, strict=True):
        same(a, b)
    written = orjson.loads((tmp_path / "out" / PARENT.lstrip("/") / (FILENAME + ".json")).read_bytes())
    assert written["annotations"][0]["points"] == [[10.5, 20.25], [30, 40]]
    assert written["annotations"][0]["track_id"] == 7 and written["annotations"][3]["track_id"] == "lane-1"
    assert written["file_id"] == "6465703408f21776587bbdac" and written["label"] == "day"
    assert written["attributes"] == {"weather": "sunny", "f": ["a", "b"]}


def test_write_minimal_defaults_and_fixed_point(tmp_path: Path) -> None:
    put(
        tmp_path / "src",
        "day/a.jpg.json",
        gt([{"id": uid(1), "type": "box", "label": "car", "points": [[0, 0], [4, 3]]}]),
    )
    first, _ = run(tmp_path / "src")
    aimmo.write(export_rows(first, media_type="point_cloud"), tmp_path / "o1", CTX)
    doc = orjson.loads((tmp_path / "o1/day/a.jpg.json").read_bytes())
    assert doc == {
        "annotations": [
            {"id": uid(1), "type": "box", "attributes": {}, "points": [[0, 0], [4, 3]], "label": "car"}
        ],
        "attributes": {},
        "filename": "a.jpg",
        "parent_path": "/day",
        "metadata": {},
        "last_modifier_id": None,
        "last_workers": {"labeling": None, "inspection": None, "final inspection": None},
    }
    second, issues = run(tmp_path / "o1")
    assert issues == []
    aimmo.write(export_rows(second, media_type="point_cloud"), tmp_path / "o2", CTX)
    third, _ = run(tmp_path / "o2")
    same(second[0], third[0])
    assert second[0].annotations == first[0].annotations


def test_write_from_other_formats(tmp_path: Path) -> None:
    ref = RowRef(id="r1", global_key="img-1", parent_path="/x/", filename="img.png")
    anns = [
        Annotation(
            kind="bbox",
            uid="1",
            name="car",
            geometry=[1, 2, 3, 4],
            extra={"tool": "rectangle"},
            classifications=[
                Answer(
                    name="color",
                    value=Choice(
                        name="red", classifications=[Answer(name="shade", value=Choice(name="dark"))]
                    ),
                ),
                Answer(name="occluded", value=[Choice(name="front"), Choice(name="back")]),
                Answer(name="note", value="hi"),
            ],
        ),
        Annotation(
            kind="polygon", uid="2", name="seg", geometry=[[0, 0, 1, 0, 1, 1]], extra={"tool": "poly_seg"}
        ),
        Annotation(kind="polygon", uid="3", name="lake", geometry=[[0, 0, 1, 0, 1, 1], [0, 0, 1, 1, 0, 1]]),
        Annotation(kind="mask", uid="4", name="seg", geometry={"size": [2, 2], "counts": "04"}),
        Annotation(kind="entity", uid="5", name="person", geometry=[0, 4]),
        Annotation(
            kind="relationship",
            uid="6",
            name="near",
            geometry={"source": "1", "target": "2", "type": "unidirectional"},
        ),
        Annotation(kind="keypoints", uid="7", name="face", geometry=[1, 2, 2, 3, 4, 0]),
        Annotation(
            kind="radio",
            uid="8",
            name="weather",
            answer=Answer(
                name="weather",
                value=Choice(name="sunny", classifications=[Answer(name="glare", value=Choice(name="yes"))]),
            ),
        ),
        Annotation(kind="text", uid="9", name="caption", answer=Answer(name="caption", value="a car")),
        Annotation(
            kind="line", uid="10", name="road", geometry=[0, 0, 5, 5], extra={"tool": "line"}, frame=4
        ),
    ]
    row = ExportRow(ref=ref, media_type="image", metadata={"width": 640, "height": 480}, annotations=anns)
    summary = aimmo.write([row], tmp_path / "out", CTX)
    doc = orjson.loads((tmp_path / "out/x/img.png.json").read_bytes())
    assert summary.rows == 1
    lost = {(i.location.annotation_id, i.code) for i in summary.not_expressible}
    assert lost == {(u, "unsupported_annotation") for u in ("1", "3", "4", "5", "6", "7", "8")}
    assert all(i.location.data_row == "img-1" for i in summary.not_expressible)
    by_id = {a["id"]: a for a in doc["annotations"]}
    assert set(by_id) == {"1", "2", "7", "10"}
    assert by_id["1"] == {
        "id": "1",
        "type": "box",
        "label": "car",
        "points": [[1, 2], [4, 6]],
        "attributes": {"color": "red", "occluded": ["front", "back"], "note": "hi"},
    }
    assert by_id["2"]["type"] == "poly_seg" and by_id["2"]["points"] == [[0, 0], [1, 0], [1, 1]]
    assert by_id["7"]["type"] == "keypoint" and by_id["7"]["points"] == [[1, 2], [3, 4]]
    assert by_id["10"]["type"] == "polyline" and by_id["10"]["frame_number"] == 4
    assert doc["attributes"] == {"weather": "sunny", "caption": "a car"}
    assert doc["metadata"] == {"height": 480, "width": 640} and doc["file_id"] == "r1"
    assert summary.annotations == 6  # 1, 2, 7, 8 (its nested part dropped), 9, 10


def test_write_refuses_non_empty_out(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("x")
    with pytest.raises(FileExistsError):
        aimmo.write([], tmp_path / "out", CTX)
    (tmp_path / "empty").mkdir()
    assert aimmo.write([], tmp_path / "empty", CTX).rows == 0


def test_write_refuses_escaping_paths(tmp_path: Path) -> None:
    row = ExportRow(
        ref=RowRef(id="r", global_key="g", parent_path="/../up", filename="a.jpg"),
        media_type="image",
        metadata={},
        annotations=[],
    )
    with pytest.raises(ValueError, match="safe"):
        aimmo.write([row], tmp_path / "out", CTX)


# --- detect ----------------------------------------------------------------------------------------


def test_detect_folder(tmp_path: Path) -> None:
    for i in range(7):
        put(tmp_path, f"day/{i}.jpg.json", gt([], filename=f"{i}.jpg"))
    det = aimmo.detect(tmp_path)
    assert det.confidence == 0.9
    assert det.reasons == ["found filename/parent_path/annotations in 5 of 5 JSON files"]


def test_detect_single_file(tmp_path: Path) -> None:
    assert aimmo.detect(put(tmp_path, "a.json", seed_doc())).confidence == 0.9
    det = aimmo.detect(put(tmp_path, "b.json", {"annotations": [], "filename": "x"}))
    assert det.confidence == 0 and det.reasons == ["b.json has no `parent_path`"]


def test_detect_ndjson(tmp_path: Path) -> None:
    line = orjson.dumps(gt([]))
    det = aimmo.detect(put(tmp_path, "a.ndjson", line + b"\n" + line + b"\n"))
    assert det.confidence == 0 and "NDJSON" in det.reasons[0]
    det = aimmo.detect(put(tmp_path, "b.json", line + b"\n" + line + b"\n"))
    assert det.confidence == 0 and "NDJSON" in det.reasons[0]
    folder = tmp_path / "f"
    put(folder, "x.json", line + b"\n" + line + b"\n")
    assert aimmo.detect(folder).confidence == 0


def test_detect_empty_and_other_folders(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert aimmo.detect(tmp_path / "empty").reasons == ["no .json files"]
    put(tmp_path / "coco", "instances.json", {"images": [], "annotations": []})
    det = aimmo.detect(tmp_path / "coco")
    assert det.confidence == 0 and det.reasons == ["instances.json has no `filename`"]


def test_detect_large_file_by_keys(tmp_path: Path) -> None:
    anns = [{"id": uid(i), "type": "box", "label": "car", "points": [[0, 0], [1, 1]]} for i in range(20000)]
    path = put(tmp_path, "big.json", gt(anns))
    assert path.stat().st_size > 1 << 20
    assert aimmo.detect(path).confidence == 0.9


def test_spec() -> None:
    from labelport.formats import get

    spec = get("aimmo")
    assert spec is aimmo.SPEC and spec.name == "aimmo" and spec.read is aimmo.read
    assert "point_cloud" in spec.media_types
