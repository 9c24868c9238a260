"""YOLO: reading every layout and task, the issues the reader reports, writing, detection.

Fixtures are written by hand: small ``data.yaml`` / ``obj.names`` / label files in ``tmp_path``,
real images made with Pillow where the reader needs one (pairing, OBB sizes).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from labelport.formats import yolo
from labelport.formats.base import ExportContext, ExportRow
from labelport.formats.common import number
from labelport.model.errors import InvalidInputError
from labelport.model.issues import CODES, Issue
from labelport.model.ontology import parse_ontology
from labelport.model.records import Annotation, Answer, Choice, Record, RowRef
from labelport.validate.geometry import to_pixels
from tests.helpers import make_images

W, H = 200, 100


def put(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def data_yaml(root: Path, **doc: Any) -> None:
    doc.setdefault("names", ["car", "bus"])
    put(root, "data.yaml", yaml.safe_dump(doc))


def run(payload: Path, **options: str) -> tuple[list[Record], list[Issue]]:
    issues: list[Issue] = []
    records = list(yolo.read(payload, issues.append, options))
    return records, issues


def codes(issues: list[Issue]) -> list[str]:
    return [i.code for i in issues]


def anns(records: list[Record]) -> list[Annotation]:
    return [a for r in records for a in r.annotations]


# --- reading: layouts and rows --------------------------------------------------------------------


def test_ultralytics_rows_images_background_and_empty(tmp_path: Path) -> None:
    data_yaml(tmp_path, path=".", train="images/train", val="images/val")
    make_images(tmp_path / "images", {"train/a.jpg": (W, H), "train/bg.png": (W, H), "val/e.jpg": (W, H)})
    put(tmp_path, "labels/train/a.txt", "0 0.5 0.5 0.25 0.5\n\n1 0.25 0.75 0.5 0.5 0.875\n")
    put(tmp_path, "labels/train/sub/no_image.txt", "1 0.5 0.5 1 1\n")
    put(tmp_path, "labels/val/e.txt", "")
    records, issues = run(tmp_path)
    assert issues == []
    by_file = [(r.location.file, r.location.line, r.row) for r in records]
    assert by_file == [
        ("labels/train/a.txt", 1, RowRef(filename="train/a.jpg")),
        ("labels/train/a.txt", 3, RowRef(filename="train/a.jpg")),
        ("labels/train/sub/no_image.txt", 1, RowRef(filename="train/sub/no_image", stem=True)),
        ("labels/val/e.txt", None, RowRef(filename="val/e.jpg")),
        ("images/train/bg.png", None, RowRef(filename="train/bg.png")),
    ]
    assert [len(r.annotations) for r in records] == [1, 1, 1, 0, 0]
    car, bus, whole = anns(records)
    assert (car.kind, car.name, car.units) == ("bbox", "car", "fraction")
    assert car.geometry == [0.375, 0.25, 0.25, 0.5] and car.extra is None
    assert bus.geometry == [0.0, 0.5, 0.5, 0.5] and bus.extra == {"confidence": 0.875}
    assert whole.geometry == [0.0, 0.0, 1.0, 1.0]


def test_names_dict_yaml_file_payload_and_split_lists(tmp_path: Path) -> None:
    put(tmp_path, "data.yaml", "names:\n  0: car\n  3: 7\ntrain: train.txt\n")
    put(tmp_path, "train.txt", "./images/train/a.jpg\n")
    put(tmp_path, "labels/train/a.txt", "3 0.5 0.5 0.5 0.5\n0.0 0.5 0.5 0.5 0.5\n")
    records, issues = run(tmp_path / "data.yaml")
    assert issues == []
    assert [a.name for a in anns(records)] == ["7", "car"]


def test_roboflow_style_split_folders(tmp_path: Path) -> None:
    data_yaml(tmp_path, train="../train/images", val="../valid/images")
    make_images(tmp_path, {"train/images/a.jpg": (W, H)})
    put(tmp_path, "train/labels/a.txt", "0 0.5 0.5 0.5 0.5\n")
    put(tmp_path, "README.roboflow.txt", "not a label file\n")
    records, issues = run(tmp_path)
    assert issues == [] and [r.row for r in records] == [RowRef(filename="a.jpg")]


def test_darknet_cvat_layout(tmp_path: Path) -> None:
    put(tmp_path, "obj.names", "car\nbus\n\n")
    put(
        tmp_path,
        "obj.data",
        "classes = 2\ntrain = data/train.txt\nnames = data/obj.names\nbackup = backup/\n",
    )
    put(tmp_path, "train.txt", "data/obj_train_data/sub/a.jpg\n")
    make_images(tmp_path / "obj_train_data", {"sub/a.jpg": (W, H), "bg.jpg": (W, H)})
    put(tmp_path, "obj_train_data/sub/a.txt", "1 0.5 0.5 0.5 0.5\n")
    put(tmp_path, "obj_train_data/b.txt", "0 0.5 0.5 0.5 0.5\n")
    records, issues = run(tmp_path)
    assert issues == []
    assert [(r.row, [a.name for a in r.annotations]) for r in records] == [
        (RowRef(filename="b", stem=True), ["car"]),
        (RowRef(filename="sub/a.jpg"), ["bus"]),
        (RowRef(filename="bg.jpg"), []),
    ]


def test_plain_folder_with_classes_txt(tmp_path: Path) -> None:
    put(tmp_path, "classes.txt", "car\nbus\n")
    put(tmp_path, "a.txt", "1 0.5 0.5 0.5 0.5\n")
    records, issues = run(tmp_path)
    assert issues == [] and [(r.row, anns([r])[0].name) for r in records] == [
        (RowRef(filename="a", stem=True), "bus")
    ]


def test_two_images_one_stem_leave_it_to_validation(tmp_path: Path) -> None:
    data_yaml(tmp_path)
    make_images(tmp_path / "images", {"a.jpg": (W, H), "a.png": (W, H)})
    put(tmp_path, "labels/a.txt", "0 0.5 0.5 0.5 0.5\n")
    records, _ = run(tmp_path)
    assert [r.row for r in records] == [RowRef(filename="a", stem=True)]


# --- reading: tasks ---------------------------------------------------------------------------------


def test_segment_polygons_auto_and_by_option(tmp_path: Path) -> None:
    data_yaml(tmp_path)
    put(
        tmp_path,
        "labels/a.txt",
        "0 0.1 0.1 0.5 0.1 0.5 0.5\n1 0.5 0.5 0.5 0.5\n0 0.1 0.1 0.5 0.1 0.5 0.5 0.25\n",
    )
    records, issues = run(tmp_path)
    poly, box = anns(records)
    assert (
        poly.kind == "polygon"
        and poly.geometry == [[0.1, 0.1, 0.5, 0.1, 0.5, 0.5]]
        and poly.units == "fraction"
    )
    assert box.kind == "bbox"
    assert codes(issues) == ["invalid_value"] and issues[0].location.line == 3
    records, issues = run(tmp_path, task="segment")
    assert issues == [] and anns(records)[2].extra == {"confidence": 0.25}
    _, issues = run(tmp_path, task="detect")
    assert [(i.code, i.location.line) for i in issues] == [("invalid_value", 1), ("invalid_value", 3)]


@pytest.mark.parametrize("dims", [2, 3])
def test_pose(tmp_path: Path, dims: int) -> None:
    data_yaml(tmp_path, names=["person"], kpt_shape=[2, dims], flip_idx=[1, 0])
    kps = "0.2 0.3 2 0.4 0.5 0" if dims == 3 else "0.2 0.3 0.4 0.5"
    put(tmp_path, "labels/a.txt", f"0 0.5 0.5 0.5 0.5 {kps}\n0 0.5 0.5 0.5 0.5 {kps} 0.5\n")
    records, issues = run(tmp_path)
    assert issues == []
    first, second = anns(records)
    assert first.kind == "keypoints" and first.units == "fraction"
    assert first.geometry == ([0.2, 0.3, 2, 0.4, 0.5, 0] if dims == 3 else [0.2, 0.3, 2, 0.4, 0.5, 2])
    assert first.extra == {"bbox": [0.25, 0.25, 0.5, 0.5], "bbox_units": "fraction"}
    assert second.extra is not None and second.extra["confidence"] == 0.5


def test_pose_faults(tmp_path: Path) -> None:
    data_yaml(tmp_path, names=["person"], kpt_shape=[2, 3])
    put(tmp_path, "labels/a.txt", "0 0.5 0.5 0.5 0.5 0.2 0.3 2\n0 0.5 0.5 0.5 0.5 0.2 0.3 2 0.4 0.5 1.5\n")
    _, issues = run(tmp_path)
    assert [(i.code, i.location.line, i.location.pointer) for i in issues] == [
        ("invalid_value", 1, None),
        ("invalid_value", 2, "/10"),
    ]
    data_yaml(tmp_path, names=["person"])
    _, issues = run(tmp_path, task="pose")
    assert [(i.code, i.location.file, i.location.pointer) for i in issues] == [
        ("missing_field", "data.yaml", "/kpt_shape")
    ]


def corners(box: list[float]) -> str:
    c = yolo.box_to_corners(box)
    return " ".join(repr(c[i] / (W if i % 2 == 0 else H)) for i in range(8))


def test_obb_needs_and_uses_the_image(tmp_path: Path) -> None:
    data_yaml(tmp_path, task="obb")
    make_images(tmp_path / "images", {"a.jpg": (W, H)})
    put(
        tmp_path,
        "labels/a.txt",
        "0 0.25 0.25 0.75 0.25 0.75 0.75 0.25 0.75\n"  # axis-aligned, exact
        f"1 {corners([60, 30, 40, 20, 30])} 0.5\n"
        "0 0.1 0.1 0.9 0.1 0.9 0.9 0.3 0.5\n",  # not a rectangle
    )
    put(tmp_path, "labels/b.txt", "0 0.25 0.25 0.75 0.25 0.75 0.75 0.25 0.75\n")
    records, issues = run(tmp_path)
    assert [(i.code, i.location.file, i.location.line) for i in issues] == [
        ("invalid_value", "labels/a.txt", 3),
        ("unsupported_annotation", "labels/b.txt", 1),
    ]
    straight, turned = anns(records)
    assert straight.geometry == [50.0, 25.0, 100.0, 50.0] and straight.units is None
    assert records[0].image_size == (W, H)
    for got, want in zip(turned.geometry, [60, 30, 40, 20, 30], strict=True):
        assert math.isclose(got, want, rel_tol=1e-12)
    assert turned.extra == {"confidence": 0.5}
    # task=obb as an option on a yaml without `task`
    data_yaml(tmp_path)
    records, _ = run(tmp_path, task="obb")
    assert anns(records)[0].geometry == [50.0, 25.0, 100.0, 50.0]


@pytest.mark.parametrize("angle", [0, 1e-9, 30, 89.5, 90, 135, 180, 270.25, 359.75])
def test_corner_conversion_round_trips(angle: float) -> None:
    box = [10.5, 20.25, 40.0, 12.5, angle]
    back = yolo.corners_to_box(yolo.box_to_corners(box))
    assert back is not None
    assert all(
        math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9) for a, b in zip(back[:4], box[:4], strict=True)
    )
    r = back[4] if len(back) > 4 else 0.0
    assert math.isclose(math.remainder(r - angle, 360), 0, abs_tol=1e-9)


# --- reading: faults --------------------------------------------------------------------------------


def test_line_faults_are_located_and_the_rest_goes_on(tmp_path: Path) -> None:
    data_yaml(tmp_path)
    put(
        tmp_path,
        "labels/a.txt",
        "5 0.5 0.5 0.5 0.5\n"
        "x 0.5 0.5 0.5 0.5\n"
        "1.5 0.5 0.5 0.5 0.5\n"
        "0 0.5 abc 0.5 0.5\n"
        "0 0.5 0.5 nan 0.5\n"
        "0 0.5 0.5 1_0 0.5\n"
        "0 0.5 0.5\n"
        "1 0.5 0.5 0.5 0.5\n",
    )
    records, issues = run(tmp_path)
    assert issues[0].message == "class id 5 is not among the payload's names (0, 1)"
    assert [(i.code, i.location.file, i.location.line, i.location.pointer) for i in issues] == [
        ("unknown_category", "labels/a.txt", 1, "/0"),
        ("wrong_type", "labels/a.txt", 2, "/0"),
        ("invalid_value", "labels/a.txt", 3, "/0"),
        ("wrong_type", "labels/a.txt", 4, "/2"),
        ("invalid_value", "labels/a.txt", 5, "/3"),
        ("wrong_type", "labels/a.txt", 6, "/3"),
        ("invalid_value", "labels/a.txt", 7, None),
    ]
    assert issues[0].value == 5 and issues[0].hint
    assert [r.location.line for r in records] == [8]


@pytest.mark.parametrize(
    ("names", "cls", "declared"),
    [
        ({0: "car", 2: "lake"}, 1, "0, 2"),  # sparse: not "0..2"
        (["a", "b", "c"], 3, "0..2"),
        ({i: f"c{i}" for i in range(0, 40, 2)}, 1, "0, 2, 4, 6, 8, 10, 12, 14, 16, 18, … 10 more"),
    ],
)
def test_unknown_class_id_names_the_declared_ids(tmp_path: Path, names: Any, cls: int, declared: str) -> None:
    data_yaml(tmp_path, names=names)
    put(tmp_path, "labels/a.txt", f"{cls} 0.5 0.5 0.5 0.5\n")
    _, issues = run(tmp_path)
    assert [(i.code, i.message) for i in issues] == [
        ("unknown_category", f"class id {cls} is not among the payload's names ({declared})")
    ]


def test_unreadable_label_file(tmp_path: Path) -> None:
    data_yaml(tmp_path)
    put(tmp_path, "labels/a.txt", b"0 0.5 0.5 0.5 0.5\n\xff\xfe\n")
    put(tmp_path, "labels/b.txt", "0 0.5 0.5 0.5 0.5\n")
    records, issues = run(tmp_path)
    assert [(i.code, i.location.file, i.location.line) for i in issues] == [
        ("unreadable_payload", "labels/a.txt", 2)
    ]
    assert [r.location.file for r in records] == ["labels/a.txt", "labels/b.txt"]


@pytest.mark.parametrize(
    ("text", "code", "pointer"),
    [
        ("names: [car\n", "unreadable_payload", None),
        ("- car\n", "wrong_type", None),
        ("train: images\n", "missing_field", "/names"),
        ("names: car\n", "wrong_type", "/names"),
        ("names: [car, yes]\n", "wrong_type", "/names/1"),
        ("names: {a: car}\n", "wrong_type", "/names"),
        ("names: [car]\nnc: 2\n", "invalid_value", "/nc"),
        ("names: [car]\nkpt_shape: [17, 4]\n", "invalid_value", "/kpt_shape"),
        ("names: [car]\ntask: classify\n", "invalid_value", "/task"),
    ],
)
def test_yaml_faults(tmp_path: Path, text: str, code: str, pointer: str | None) -> None:
    put(tmp_path, "data.yaml", text)
    put(tmp_path, "labels/a.txt", "0 0.5 0.5 0.5 0.5\n")
    records, issues = run(tmp_path)
    assert records == []
    assert [(i.code, i.location.file, i.location.pointer) for i in issues] == [(code, "data.yaml", pointer)]
    if code == "unreadable_payload":
        assert issues[0].location.line == 2


def test_darknet_faults(tmp_path: Path) -> None:
    put(tmp_path, "obj.names", "car\n\nbus\n")
    put(tmp_path, "obj.data", "classes = 2\nnames = data/obj.names\njunk\n")
    _, issues = run(tmp_path)
    assert [(i.code, i.location.file, i.location.line) for i in issues] == [
        ("invalid_value", "obj.data", 3),
        ("invalid_value", "obj.names", 2),
        ("invalid_value", "obj.data", 1),
    ]


def test_no_names_and_several_yamls(tmp_path: Path) -> None:
    put(tmp_path, "labels/a.txt", "0 0.5 0.5 0.5 0.5\n")
    records, issues = run(tmp_path)
    assert records == [] and codes(issues) == ["missing_field"]
    put(tmp_path, "a.yaml", "names: [car]\n")
    put(tmp_path, "b.yaml", "names: [bus]\n")
    _, issues = run(tmp_path)
    assert codes(issues) == ["invalid_value"]
    put(tmp_path, "data.yaml", "names: [car]\n")
    _, issues = run(tmp_path)
    assert issues == []


def test_bad_task_option_and_missing_payload(tmp_path: Path) -> None:
    _, issues = run(tmp_path, task="classify")
    assert codes(issues) == ["invalid_value"]
    _, issues = run(tmp_path / "nope")
    assert codes(issues) == ["unreadable_payload"]


def test_every_code_is_catalogued() -> None:
    for code in ("invalid_value", "wrong_type", "unknown_category", "missing_field", "unreadable_payload"):
        assert code in CODES


# --- writing ----------------------------------------------------------------------------------------

ONTOLOGY = parse_ontology(
    {
        "tools": [
            {"name": "car", "tool": "rectangle"},
            {"name": "lake", "tool": "polygon"},
            {"name": "person", "tool": "skeleton", "keypoints": ["a", "b"], "edges": [[1, 2]]},
            {"name": "cat", "tool": "skeleton", "keypoints": ["a", "b", "c"]},
            {"name": "road", "tool": "line"},
            {"name": "bus", "tool": "box"},
        ],
        "classifications": [{"name": "weather", "type": "radio", "options": [{"value": "sunny"}]}],
    }
)


def ctx(**options: str) -> ExportContext:
    return ExportContext(project="p", media_type="image", ontology=ONTOLOGY, options=options)


def row(path: str, annotations: list[Annotation], size: tuple[int, int] | None = (W, H)) -> ExportRow:
    parent, _, name = path.rpartition("/")
    md = {"width": size[0], "height": size[1]} if size else {}
    return ExportRow(
        ref=RowRef(id="x", global_key=path, parent_path="/" + parent, filename=name),
        media_type="image",
        metadata=md,
        annotations=annotations,
    )


def sample_rows() -> list[ExportRow]:
    return [
        row(
            "train/a.jpg",
            [
                Annotation(kind="bbox", name="car", geometry=[50, 25, 100, 50], uid="u1"),
                Annotation(kind="bbox", name="bus", geometry=[10, 10, 20, 20, 30], uid="u2"),
                Annotation(kind="polygon", name="lake", geometry=[[20, 10, 100, 10, 100, 50]], uid="u3"),
                Annotation(
                    kind="polygon", name="lake", geometry=[[0, 0, 1, 0, 1, 1], [2, 2, 3, 2, 3, 3]], uid="u4"
                ),
                Annotation(
                    kind="keypoints",
                    name="person",
                    geometry=[40, 30, 2, 80, 50, 0],
                    extra={"bbox": [0.25, 0.25, 0.5, 0.5], "bbox_units": "fraction", "confidence": 0.75},
                    uid="u5",
                ),
                Annotation(kind="keypoints", name="cat", geometry=[1, 1, 2, 2, 2, 2, 3, 3, 2], uid="u6"),
                Annotation(kind="line", name="road", geometry=[0, 0, 10, 10], uid="u7"),
                Annotation(
                    kind="radio",
                    name="weather",
                    answer=Answer(name="weather", value=Choice(name="sunny")),
                    uid="u8",
                ),
            ],
        ),
        row("b.png", []),
    ]


def lost(summary: Any) -> list[tuple[str | None, str]]:
    return [(i.location.annotation_id, i.message) for i in summary.not_expressible]


def test_write_detect(tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = yolo.write(sample_rows(), out, ctx(task="detect"))
    assert yaml.safe_load((out / "data.yaml").read_text()) == {
        "path": ".",
        "train": "images",
        "val": "images",
        "names": {0: "car", 1: "bus"},
    }
    assert (out / "labels/train/a.txt").read_text() == "0 0.5 0.5 0.5 0.5\n"
    assert (out / "labels/b.txt").read_text() == ""
    assert (summary.rows, summary.annotations) == (2, 1)
    assert [uid for uid, _ in lost(summary)] == ["u2", "u3", "u4", "u5", "u6", "u7", "u8"]
    assert "rotated box" in lost(summary)[0][1]


def test_write_segment_default(tmp_path: Path) -> None:
    onto = parse_ontology(
        {"tools": [{"name": "car", "tool": "rectangle"}, {"name": "lake", "tool": "polygon"}]}
    )
    c = ExportContext(project="p", media_type="image", ontology=onto)
    summary = yolo.write(sample_rows(), tmp_path / "out", c)
    assert yaml.safe_load((tmp_path / "out/data.yaml").read_text())["names"] == {0: "car", 1: "lake"}
    assert (
        tmp_path / "out/labels/train/a.txt"
    ).read_text() == "0 0.5 0.5 0.5 0.5\n1 0.1 0.1 0.5 0.1 0.5 0.5\n"
    assert "2 rings" in dict(lost(summary))["u4"]


def test_write_pose_one_k(tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = yolo.write(sample_rows(), out, ctx(task="pose"))
    doc = yaml.safe_load((out / "data.yaml").read_text())
    assert doc["kpt_shape"] == [2, 3] and doc["names"] == {0: "person"}
    assert (out / "labels/train/a.txt").read_text() == "0 0.5 0.5 0.5 0.5 0.2 0.3 2 0.4 0.5 0 0.75\n"
    assert "u6" in dict(lost(summary))


def test_pose_box_from_pixels_or_points(tmp_path: Path) -> None:
    rows = [
        row(
            "a.jpg",
            [
                Annotation(
                    kind="keypoints",
                    name="person",
                    geometry=[40, 30, 2, 80, 50, 1],
                    extra={"bbox": [20, 10, 100, 50]},
                ),
                Annotation(kind="keypoints", name="person", geometry=[40, 30, 2, 80, 50, 1]),
                Annotation(kind="keypoints", name="person", geometry=[40, 30, 0, 80, 50, 0], uid="none"),
            ],
        )
    ]
    summary = yolo.write(rows, tmp_path / "out", ctx(task="pose"))
    assert (tmp_path / "out/labels/a.txt").read_text().splitlines() == [
        "0 0.35 0.35 0.5 0.5 0.2 0.3 2 0.4 0.5 1",
        # `0.4 … 0.2` would read back as y = (0.4 - 0.2 / 2) * 100 = 30.000000000000004
        "0 0.3 0.39999999999999997 0.2 0.19999999999999998 0.2 0.3 2 0.4 0.5 1",
    ]
    assert [uid for uid, _ in lost(summary)] == ["none"]


def test_write_obb_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "out"
    yolo.write(sample_rows(), out, ctx(task="obb"))
    assert yaml.safe_load((out / "data.yaml").read_text())["task"] == "obb"
    make_images(out / "images", {"train/a.jpg": (W, H), "b.png": (W, H)})
    records, issues = run(out)
    assert issues == []
    car, bus = anns(records)
    assert car.geometry == [50.0, 25.0, 100.0, 50.0]
    assert all(
        math.isclose(a, b, rel_tol=1e-12) for a, b in zip(bus.geometry, [10, 10, 20, 20, 30], strict=True)
    )


def test_write_darknet(tmp_path: Path) -> None:
    out = tmp_path / "out"
    yolo.write(sample_rows(), out, ctx(task="detect", layout="darknet"))
    assert (out / "obj.names").read_text() == "car\nbus\n"
    assert "names = data/obj.names" in (out / "obj.data").read_text()
    assert (out / "train.txt").read_text() == "data/obj_train_data/train/a.jpg\ndata/obj_train_data/b.png\n"
    records, issues = run(out)
    assert issues == [] and [r.row for r in records] == [
        RowRef(filename="b", stem=True),
        RowRef(filename="train/a", stem=True),
    ]
    with pytest.raises(InvalidInputError):
        yolo.write([], tmp_path / "o2", ctx(task="segment", layout="darknet"))


def test_write_attributes_tracks_confidence_and_rows_without_size(tmp_path: Path) -> None:
    rows = [
        row(
            "a.jpg",
            [
                Annotation(
                    kind="bbox",
                    name="car",
                    geometry=[50, 25, 100, 50],
                    uid="attr",
                    extra={"attributes": {"occluded": True}, "confidence": 0.5, "tool": "rectangle"},
                    track_id="7",
                )
            ],
        ),
        row("a.png", []),
        row("nosize.jpg", [Annotation(kind="bbox", name="car", geometry=[1, 1, 1, 1])], size=None),
    ]
    summary = yolo.write(rows, tmp_path / "out", ctx(task="detect"))
    assert (tmp_path / "out/labels/a.txt").read_text() == "0 0.5 0.5 0.5 0.5 0.5\n"
    messages = [m for _, m in lost(summary)]
    assert len(messages) == 4
    assert "attributes" in messages[0] and "track id" in messages[1]
    assert "labels/a.txt" in messages[2] and "width and height" in messages[3]
    assert summary.rows == 1


def test_write_refusals(tmp_path: Path) -> None:
    put(tmp_path, "full/x", "")
    for used in (tmp_path / "full", tmp_path / "full/x"):  # a used folder, a file
        with pytest.raises(InvalidInputError) as exc:
            yolo.write([], used, ctx(task="detect"))
        assert (exc.value.code, exc.value.hint) == ("output_exists", "choose a new path or empty it")
    assert (tmp_path / "full/x").read_text() == ""
    for bad in ({"task": "classify"}, {"layout": "coco"}):
        with pytest.raises(InvalidInputError):
            yolo.write([], tmp_path / "o", ctx(**bad))
    assert not (tmp_path / "o").exists()  # refused before anything is written
    with pytest.raises(ValueError, match="safe relative path"):
        yolo.write([row("../x.jpg", [])], tmp_path / "o3", ctx(task="detect"))


def onto(*tools: tuple[str, str]) -> ExportContext:
    doc = {
        "tools": [
            {"name": n, "tool": t, **({"keypoints": ["a"]} if t == "skeleton" else {})} for n, t in tools
        ]
    }
    return ExportContext(project="p", media_type="image", ontology=parse_ontology(doc))


@pytest.mark.parametrize(
    ("tools", "task"),
    [
        ([("car", "rectangle"), ("bus", "rectangle")], "detect"),
        ([("lake", "polygon")], "segment"),
        ([("car", "rectangle"), ("lake", "polygon"), ("road", "line")], "segment"),  # boxes as box lines
        ([("person", "skeleton"), ("road", "line")], "pose"),
        ([("road", "line")], "detect"),
    ],
)
def test_default_task_is_the_one_task_of_the_ontology(
    tmp_path: Path, tools: list[tuple[str, str]], task: str
) -> None:
    c = onto(*tools)
    assert yolo.default_task(c.ontology) == task
    yolo.write([], tmp_path / "out", c)
    doc = yaml.safe_load((tmp_path / "out/data.yaml").read_text())
    assert ("kpt_shape" in doc) == (task == "pose")


@pytest.mark.parametrize(
    ("tools", "allowed"),
    [
        ([("car", "rectangle"), ("person", "skeleton")], "detect, segment, pose, obb"),
        ([("lake", "polygon"), ("person", "skeleton")], "segment, pose"),
    ],
)
def test_several_tasks_need_the_option(tmp_path: Path, tools: list[tuple[str, str]], allowed: str) -> None:
    """A box project with a skeleton tool used to default to pose and write empty label files."""
    rows = [row("a.jpg", [Annotation(kind="bbox", name="car", geometry=[1, 1, 2, 2])])]
    with pytest.raises(InvalidInputError) as exc:
        yolo.write(rows, tmp_path / "out", onto(*tools))
    assert exc.value.code == "option_required"
    assert exc.value.hint == "--option task=detect|segment|pose|obb"
    assert f"this ontology allows {allowed})" in exc.value.message
    assert "skeleton `person` → pose" in exc.value.message
    assert not (tmp_path / "out").exists()  # refused before writing anything
    yolo.write(rows, tmp_path / "out", dataclasses.replace(onto(*tools), options={"task": "pose"}))


def pixels(records: list[Record], w: int, h: int) -> list[tuple[str, Any, Any]]:
    """What validation stores: geometry (and a pose line's own box) in pixels."""
    out = []
    for a in anns(records):
        box = (a.extra or {}).get("bbox")
        out.append(
            (
                a.kind,
                to_pixels(a.kind, a.geometry, w, h, "fraction"),
                None if box is None else to_pixels("bbox", box, w, h, "fraction"),
            )
        )
    return out


def as_rows(records: list[Record], w: int, h: int) -> list[ExportRow]:
    stored = [
        Annotation(kind=k, name=a.name, geometry=g, extra=None if box is None else {"bbox": box}, uid=str(i))
        for i, (a, (k, g, box)) in enumerate(zip(anns(records), pixels(records, w, h), strict=True))
    ]
    return [row("a.jpg", stored, size=(w, h))]


AWKWARD = (
    "0 0.497261 0.469695 0.133803 0.159857\n"  # the review's line: 0.497261 * 640 is no short text
    "0 0.3333333333333333 0.3333333333333333 0.3333333333333333 0.3333333333333333\n"  # 1/3
    "0 0.30000000000000004 0.30000000000000004 0.1 0.2\n"  # 0.1 + 0.2
    "0 0.1 0.2 0.30000000000000004 0.7 0.6666666666666666 0.123456789 0.9 0.9999999\n"  # polygon
)


def test_round_trip_is_bit_identical_for_awkward_values(tmp_path: Path) -> None:
    """import → export → import gives the very same pixels: no isclose."""
    data_yaml(tmp_path / "in", names=["car"])
    put(tmp_path / "in", "labels/a.txt", AWKWARD)
    first, issues = run(tmp_path / "in")
    assert issues == []
    yolo.write(as_rows(first, 640, 480), tmp_path / "out", ctx(task="segment"))
    second, issues = run(tmp_path / "out")
    assert issues == []
    assert pixels(second, 640, 480) == pixels(first, 640, 480)
    # the line comes back as it was; the plain quotients would not do: (y + h/2) / 480 is
    # 0.4696949999999999, which reads back as y = 187.08791999999994, not 187.08791999999997
    assert (tmp_path / "out/labels/a.txt").read_text().splitlines()[0] == AWKWARD.splitlines()[0]
    _, y, _, h = pixels(first, 640, 480)[0][1]
    plain_cy, plain_h = (y + h / 2) / 480, h / 480
    assert (plain_cy - plain_h / 2) * 480 != y


def test_pose_round_trip_is_bit_identical(tmp_path: Path) -> None:
    data_yaml(tmp_path / "in", names=["person"], kpt_shape=[2, 3])
    put(
        tmp_path / "in",
        "labels/a.txt",
        "0 0.497261 0.469695 0.133803 0.159857 0.1 0.2 2 0.3333333333333333 0.7 1\n",
    )
    first, _ = run(tmp_path / "in")
    yolo.write(as_rows(first, 640, 480), tmp_path / "out", ctx(task="pose"))
    second, issues = run(tmp_path / "out")
    assert issues == [] and pixels(second, 640, 480) == pixels(first, 640, 480)


@pytest.mark.parametrize("size", [640, 480, 200, 333, 1920])
def test_fraction_is_exact_or_the_plain_quotient(size: int) -> None:
    for p in (0.1 + 0.2, size / 3 * 1.0, 1 / 3 * size, 0.0, float(size), 12.5, 99.99):
        f = yolo.fraction(p, size)
        assert float(number(f)) == f  # written with its shortest text
        back = to_pixels("point", [f, f], size, size, "fraction")[0]  # validation's own arithmetic
        if back != p:  # no float f gives f * size == p within a few ulps: the plain quotient
            assert f == p / size and math.isclose(back, p, rel_tol=4e-16)
    assert yolo.fraction(0.1 + 0.2, 640) * 640 == 0.1 + 0.2
    assert yolo.fraction(640 / 3, 640) == 640 / 3 / 640  # 213.33333333333334: out of reach
    assert yolo.fraction(1 / 3 * 640, 640) == 1 / 3  # 213.33333333333331: 1/3 exactly


def test_box_fractions_prefer_exact_to_short() -> None:
    # the tight box of y = 30 .. 50 on 100 pixels: 0.4 and 0.2 read back as y = 30.000000000000004
    cy, fh = yolo.box_fractions([0, 30, 1, 20], 100, 100)[1::2]
    assert (cy - fh / 2) * 100 == 30 and fh * 100 == 20
    assert (0.4 - 0.2 / 2) * 100 != 30
    # pixels from other formats: exact when a fraction reaches them, never more than an ulp off
    for box in ([12.5, 7.25, 33.3, 41.1], [0.30000000000000004, 1, 2, 3], [10.25, 20.5, 100, 50.125]):
        f = [float(number(v)) for v in yolo.box_fractions(box, 200, 100)]
        back = to_pixels("bbox", [f[0] - f[2] / 2, f[1] - f[3] / 2, f[2], f[3]], 200, 100, "fraction")
        assert all(math.isclose(a, b, rel_tol=4e-16, abs_tol=1e-300) for a, b in zip(back, box, strict=True))


def test_writer_and_validation_scale_alike() -> None:
    """The search checks candidates with the validator's arithmetic; the two must not drift apart."""
    for f in (0.497261, 1 / 3, 0.1 + 0.2, 0.9999999, 5e-324):
        for size in (640, 480, 333):
            assert yolo._scaled(f, size) == to_pixels("point", [f, f], size, size, "fraction")[0]


# --- detection --------------------------------------------------------------------------------------


def test_detect(tmp_path: Path) -> None:
    d = yolo.detect(tmp_path / "nope")
    assert d.confidence == 0 and "does not exist" in d.reasons[0]
    d = yolo.detect(tmp_path)
    assert d.confidence == 0 and "no data.yaml" in d.reasons[0]
    put(tmp_path, "other.yaml", "a: 1\n")
    assert "other.yaml declare no `names`" in yolo.detect(tmp_path).reasons[0]
    put(tmp_path, "classes.txt", "car\n")
    assert yolo.detect(tmp_path).confidence < 0.5
    put(tmp_path, "a.txt", "0 0.5 0.5 0.5 0.5\n")
    d = yolo.detect(tmp_path)
    assert d.confidence == 0.7 and "classes.txt" in d.reasons[0]
    put(tmp_path, "obj.names", "car\n")
    assert yolo.detect(tmp_path).confidence == 0.9
    data_yaml(tmp_path)
    put(tmp_path, "labels/a.txt", "")
    d = yolo.detect(tmp_path)
    assert d.confidence == 0.95 and "labels/" in d.reasons[0]
    assert yolo.detect(tmp_path / "data.yaml").confidence == 0.9
    assert yolo.detect(tmp_path / "other.yaml").confidence == 0
    assert yolo.detect(tmp_path / "a.txt").confidence == 0


def test_spec() -> None:
    assert yolo.SPEC.name == "yolo" and yolo.SPEC.read is not None and yolo.SPEC.write is not None
    assert set(yolo.SPEC.options) == {"task", "layout"}


def test_a_label_file_is_not_a_payload(tmp_path: Path) -> None:
    data_yaml(tmp_path)
    label = put(tmp_path, "labels/a.txt", "0 0.5 0.5 0.5 0.5\n")
    records, issues = run(label)
    assert records == [] and codes(issues) == ["unreadable_payload"] and issues[0].hint
    put(tmp_path, "obj.names", "car\n")
    records, issues = run(tmp_path / "obj.names")
    assert issues == [] and [r.row for r in records] == [RowRef(filename="a", stem=True)]
