"""LabelMe JSON: reading every shape, the issues the reader reports, image paths, flags, writing,
round trips and detection.

``fixtures/labelme/ann/a.json`` is written exactly as labelme 5.4.1 writes a file (``json.dump``
with ``indent=2``, ``ensure_ascii=False``, every shape key, ``imageData`` a base64 PNG, a mask
shape whose PNG holds 0/1 as ``utils.img_arr_to_b64`` makes it, and a Windows ``imagePath``).
"""

from __future__ import annotations

import base64
import io
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from PIL import Image

from labelport.formats import labelme, masks
from labelport.formats.base import ExportContext, ExportRow
from labelport.model.errors import InvalidInputError
from labelport.model.issues import CODES, Issue, Location
from labelport.model.ontology import Ontology, parse_ontology
from labelport.model.records import Annotation, Answer, Choice, Record, RowRef

FIXTURE = Path(__file__).parent / "fixtures" / "labelme"
W, H = 200, 100

ONTOLOGY = parse_ontology(
    {
        "tools": [{"name": "car", "tool": "rectangle"}],
        "classifications": [
            {"name": "scene", "type": "radio", "options": [{"value": "indoor"}, {"value": "outdoor"}]},
            {"name": "light", "type": "radio", "options": [{"value": "day"}, {"value": "night"}]},
            {"name": "tags", "type": "checklist", "options": [{"value": "blurry"}, {"value": "dark"}]},
            {"name": "caption", "type": "text"},
        ],
    }
)
CTX = ExportContext(project="p", media_type="image", ontology=ONTOLOGY)


def put(root: Path, rel: str, doc: Any) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(doc if isinstance(doc, bytes) else orjson.dumps(doc))
    return path


def lm(shapes: list[Any], **more: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": "5.4.1",
        "flags": {},
        "shapes": shapes,
        "imagePath": "a.jpg",
        "imageData": None,
        "imageHeight": H,
        "imageWidth": W,
    }
    doc.update(more)
    return doc


def shape(label: str, points: Any, shape_type: str | None = "polygon", **more: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"label": label, "points": points, "group_id": None, "description": ""}
    if shape_type is not None:
        d["shape_type"] = shape_type
    d.update({"flags": {}, "mask": None})
    d.update(more)
    return d


def run(payload: Path, **options: str) -> tuple[list[Record], list[Issue]]:
    issues: list[Issue] = []

    def sink(issue: Issue) -> None:
        issues.append(issue)

    records = list(labelme.read(payload, sink, options))
    return records, issues


def one(tmp_path: Path, doc: Any, rel: str = "a.json", **options: str) -> tuple[Record | None, list[Issue]]:
    put(tmp_path / "p", rel, doc)
    records, issues = run(tmp_path / "p", **options)
    assert len(records) <= 1
    return (records[0] if records else None), issues


def codes(issues: list[Issue]) -> list[str]:
    return [i.code for i in issues]


def png01(mask: np.ndarray) -> str:
    """A mask the way labelme's ``img_arr_to_b64(mask.astype(np.uint8))`` writes it."""
    buf = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


# --- the labelme 5.4.1 file ------------------------------------------------------------------------


def fixture_mask() -> np.ndarray:
    full = np.zeros((H, W), bool)
    full[12:28, 25:55] = True
    full[10, 20] = True
    return full


def test_labelme_5_file(tmp_path: Path) -> None:
    records, issues = run(FIXTURE)
    assert issues == []
    [rec] = records
    assert rec.row == RowRef(filename="images/a.png")  # ann/..\images\a.png
    assert rec.location == Location(file="ann/a.json", data_row="images/a.png")
    assert rec.image_size == (W, H)
    got = [(a.kind, a.name, a.geometry, a.extra, a.pointer) for a in rec.annotations if a.name]
    assert got == [
        (
            "bbox",
            "car",
            [20.0, 10.0, 40.0, 40.5],
            {"group_id": 1, "attributes": {"occluded": True}},
            "/shapes/0",
        ),
        (
            "polygon",
            "lake",
            [[1.0, 1.0, 50.0, 1.0, 50.0, 40.25, 1.0, 40.25]],
            {"description": "shallow end"},
            "/shapes/1",
        ),
        ("line", "road", [0.0, 0.0, 10.5, 10.0], None, "/shapes/2"),
        ("line", "road", [0.0, 99.0, 10.0, 90.0, 20.0, 95.5], {"group_id": 1}, "/shapes/3"),
        ("point", "eye", [3.5, 4.0], None, "/shapes/4"),
        ("ellipse", "ball", [100.0, 50.0, 5.0, 5.0], None, "/shapes/5"),
        # 150 + sqrt(5) - 150 is not sqrt(5): the file's point is kept for the way back
        (
            "ellipse",
            "ball",
            [150.0, 50.0, math.sqrt(5), math.sqrt(5)],
            {"circle_point": [151.0, 52.0]},
            "/shapes/6",
        ),
        ("mask", "seg", masks.encode(fixture_mask()), None, "/shapes/7"),
    ]
    [flag] = [a for a in rec.annotations if a.name is None]
    assert flag.kind == "classification"
    assert flag.answer == Answer(value="outdoor", loose=True, pointer="/flags/outdoor")


def test_single_file_payload(tmp_path: Path) -> None:
    records, issues = run(FIXTURE / "ann" / "a.json")
    assert issues == []
    # the single file's folder is the root: ..\images leaves it, so the basename is matched
    assert records[0].row == RowRef(filename="a.png")
    assert records[0].location.file == "a.json"


# --- shapes --------------------------------------------------------------------------------------


def test_rectangle_any_corner_order(tmp_path: Path) -> None:
    rec, issues = one(
        tmp_path,
        lm(
            [
                shape("car", [[30, 5.5], [10, 20]], "rectangle"),
                shape("car", [[10, 20], [30, 5.5]], "rectangle"),
                shape("car", [[10, 5.5], [30, 5.5], [30, 20], [10, 20]], "rectangle"),  # X-AnyLabeling
            ]
        ),
    )
    assert issues == [] and rec is not None
    assert [a.geometry for a in rec.annotations] == [[10, 5.5, 20, 14.5]] * 3


def test_missing_shape_type_is_polygon(tmp_path: Path) -> None:
    old = {"label": "lake", "line_color": None, "fill_color": None, "points": [[1, 2], [3, 4], [5, 0]]}
    doc = {
        "shapes": [old],
        "lineColor": [0, 255, 0, 128],
        "imagePath": "a.jpg",
        "imageData": None,
        "flags": {},
    }
    rec, issues = one(tmp_path, doc)  # as labelme 3.x wrote it
    assert issues == [] and rec is not None and rec.annotations[0].kind == "polygon"
    assert rec.annotations[0].geometry == [[1, 2, 3, 4, 5, 0]]
    assert rec.image_size is None


def test_linestrip_of_two_points_keeps_its_type(tmp_path: Path) -> None:
    rec, _ = one(tmp_path, lm([shape("road", [[0, 0], [1, 1]], "linestrip")]))
    assert rec is not None
    assert rec.annotations[0].extra == {"shape_type": "linestrip"}


def test_circle_radius_is_not_rounded(tmp_path: Path) -> None:
    rec, _ = one(tmp_path, lm([shape("ball", [[10.25, 10], [11, 12.5]], "circle")]))
    assert rec is not None
    assert rec.annotations[0].geometry == [10.25, 10, math.hypot(0.75, 2.5), math.hypot(0.75, 2.5)]


def test_mask_placed_inclusive(tmp_path: Path) -> None:
    region = np.ones((3, 4), bool)
    rec, issues = one(tmp_path, lm([shape("seg", [[5, 6], [8, 8]], "mask", mask=png01(region))]))
    assert issues == [] and rec is not None
    full = masks.decode(rec.annotations[0].geometry)
    assert full.shape == (H, W) and full.sum() == 12 and full[6:9, 5:9].all()


def test_shape_extras(tmp_path: Path) -> None:
    s = shape(
        "car", [[0, 0], [1, 1]], "rectangle", group_id=7, description="d", flags={"a": True, "b": False}
    )
    rec, _ = one(tmp_path, lm([s]))
    assert rec is not None
    assert rec.annotations[0].extra == {
        "group_id": 7,
        "description": "d",
        "attributes": {"a": True, "b": False},
    }


def test_unknown_shape_type(tmp_path: Path) -> None:
    rec, issues = one(tmp_path, lm([shape("x", [[0, 0]], "points"), shape("eye", [[1, 1]], "point")]))
    assert codes(issues) == ["unsupported_annotation"]
    assert issues[0].location == Location(file="a.json", pointer="/shapes/0/shape_type", data_row="a.jpg")
    assert rec is not None and [a.kind for a in rec.annotations] == ["point"]  # the rest goes on


# --- image flags ---------------------------------------------------------------------------------


def test_image_flags_default_radio_options(tmp_path: Path) -> None:
    rec, _ = one(tmp_path, lm([], flags={"indoor": True, "day": True, "dark": False}))
    assert rec is not None
    assert [(a.kind, a.name, a.answer) for a in rec.annotations] == [
        ("classification", None, Answer(value="indoor", loose=True, pointer="/flags/indoor")),
        ("classification", None, Answer(value="day", loose=True, pointer="/flags/day")),
    ]


def test_image_flags_as_one_checklist(tmp_path: Path) -> None:
    rec, _ = one(tmp_path, lm([], flags={"blurry": True, "dark": True, "x": False}), flags_checklist="tags")
    assert rec is not None
    [a] = rec.annotations
    assert a.name == "tags" and a.answer is not None
    assert a.answer.value == [
        Choice(name="blurry", pointer="/flags/blurry"),
        Choice(name="dark", pointer="/flags/dark"),
    ]
    rec, _ = one(tmp_path / "none", lm([], flags={"x": False}), flags_checklist="tags")
    assert rec is not None and rec.annotations == []


# --- image paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "image_path", "expected"),
    [
        ("a.json", "a.jpg", "a.jpg"),
        ("train/a.json", "a.jpg", "train/a.jpg"),
        ("train/a.json", "./sub/../a.jpg", "train/a.jpg"),
        ("ann/train/a.json", "../../images/train/a.jpg", "images/train/a.jpg"),
        ("ann/train/a.json", "..\\..\\images\\train\\a.jpg", "images/train/a.jpg"),
        ("ann/a.json", "../../elsewhere/a.jpg", "a.jpg"),  # leaves the root: basename
        ("a.json", "C:\\Users\\me\\data\\a.jpg", "a.jpg"),  # absolute: basename
        ("a.json", "/home/me/a.jpg", "a.jpg"),
    ],
)
def test_image_path_resolution(tmp_path: Path, rel: str, image_path: str, expected: str) -> None:
    rec, _ = one(tmp_path, lm([], imagePath=image_path), rel=rel)
    assert rec is not None and rec.row == RowRef(filename=expected)


def test_image_root_option(tmp_path: Path) -> None:
    doc = lm([], imagePath="..\\..\\images\\train\\a.jpg")
    rec, _ = one(tmp_path, doc, rel="train/a.json", image_root="../images")
    assert rec is not None and rec.row == RowRef(filename="train/a.jpg")
    rec, _ = one(tmp_path / "abs", lm([], imagePath="D:\\data\\train\\a.jpg"), image_root="D:\\data")
    assert rec is not None and rec.row == RowRef(filename="train/a.jpg")


# --- structural issues ---------------------------------------------------------------------------


def test_invalid_json_and_encoding(tmp_path: Path) -> None:
    put(tmp_path / "p", "a.json", b'{\n  "shapes": [\n}')
    put(tmp_path / "p", "b.json", b'{"imagePath": "\xff"}')
    put(tmp_path / "p", "c.json", lm([shape("eye", [[1, 1]], "point")], imagePath="c.jpg"))
    records, issues = run(tmp_path / "p")
    assert [(i.code, i.location.file, i.location.line) for i in issues] == [
        ("invalid_json", "a.json", 3),
        ("unreadable_payload", "b.json", None),
    ]
    assert [r.row.filename for r in records] == ["c.jpg"]  # the rest goes on


def test_bom_is_accepted(tmp_path: Path) -> None:
    rec, issues = one(tmp_path, b"\xef\xbb\xbf" + orjson.dumps(lm([])))
    assert issues == [] and rec is not None


@pytest.mark.parametrize(
    ("doc", "code", "pointer"),
    [
        ([], "wrong_type", ""),
        ({"shapes": []}, "missing_field", "/imagePath"),
        ({"imagePath": "a.jpg"}, "missing_field", "/shapes"),
        ({"imagePath": 3, "shapes": []}, "wrong_type", "/imagePath"),
        ({"imagePath": "", "shapes": []}, "invalid_value", "/imagePath"),
        ({"imagePath": "a.jpg", "shapes": {}}, "wrong_type", "/shapes"),
    ],
)
def test_file_level_errors_refuse_the_file(tmp_path: Path, doc: Any, code: str, pointer: str) -> None:
    rec, issues = one(tmp_path, doc)
    assert rec is None
    assert [(i.code, i.location.pointer) for i in issues] == [(code, pointer)]
    assert issues[0].location.file == "a.json"


@pytest.mark.parametrize(
    ("more", "code", "pointer"),
    [
        ({"version": 5}, "wrong_type", "/version"),
        ({"imageData": 1}, "wrong_type", "/imageData"),
        ({"imageWidth": "200"}, "wrong_type", "/imageWidth"),
        ({"imageHeight": 0}, "invalid_value", "/imageHeight"),
        ({"imageHeight": 10.5}, "invalid_value", "/imageHeight"),
        ({"imageHeight": None}, "missing_field", "/imageHeight"),
        ({"flags": []}, "wrong_type", "/flags"),
        ({"flags": {"a/b": 1}}, "wrong_type", "/flags/a~1b"),
        ({"otherData": 1}, "unknown_field", "/otherData"),
    ],
)
def test_field_issues(tmp_path: Path, more: dict[str, Any], code: str, pointer: str) -> None:
    rec, issues = one(tmp_path, lm([], **more))
    assert [(i.code, i.location.pointer) for i in issues] == [(code, pointer)]
    assert rec is not None  # the file's rows still come through; the error fails the job


@pytest.mark.parametrize(
    ("raw", "code", "pointer"),
    [
        (3, "wrong_type", "/shapes/0"),
        ({"points": [[1, 1]], "shape_type": "point"}, "missing_field", "/shapes/0/label"),
        (shape(1, [[1, 1]], "point"), "wrong_type", "/shapes/0/label"),  # type: ignore[arg-type]
        ({"label": "eye", "shape_type": "point"}, "missing_field", "/shapes/0/points"),
        (shape("eye", "1,1", "point"), "wrong_type", "/shapes/0/points"),
        (shape("eye", [[1, 1, 1]], "point"), "wrong_type", "/shapes/0/points/0"),
        (shape("eye", [[1, "1"]], "point"), "wrong_type", "/shapes/0/points/0/1"),
        (shape("eye", [[1, True]], "point"), "wrong_type", "/shapes/0/points/0/1"),
        (shape("eye", [[1, 1]], 4), "wrong_type", "/shapes/0/shape_type"),  # type: ignore[arg-type]
        (shape("eye", [[1, 1]], "point", group_id=1.5), "wrong_type", "/shapes/0/group_id"),
        (shape("eye", [[1, 1]], "point", description=1), "wrong_type", "/shapes/0/description"),
        (shape("eye", [[1, 1]], "point", flags=[]), "wrong_type", "/shapes/0/flags"),
        (shape("eye", [[1, 1]], "point", flags={"x": "yes"}), "wrong_type", "/shapes/0/flags/x"),
        (shape("eye", [[1, 1], [2, 2]], "point"), "invalid_value", "/shapes/0/points"),
        (shape("ball", [[1, 1]], "circle"), "invalid_value", "/shapes/0/points"),
        (shape("car", [[1, 1]], "rectangle"), "invalid_value", "/shapes/0/points"),
        (shape("car", [[0, 0], [2, 1], [3, 3], [1, 2]], "rectangle"), "invalid_value", "/shapes/0/points"),
        (shape("seg", [[0, 0], [1, 1]], "mask"), "missing_field", "/shapes/0/mask"),
        (shape("seg", [[0, 0], [1, 1]], "mask", mask=5), "wrong_type", "/shapes/0/mask"),
        (shape("seg", [[0, 0], [1, 1]], "mask", mask="AAAA"), "mask_invalid", "/shapes/0/mask"),
        (
            shape("seg", [[0, 0], [1, 1]], "mask", mask=png01(np.ones((3, 2)))),
            "mask_invalid",
            "/shapes/0/mask",
        ),
        (
            shape("seg", [[0.5, 0], [1, 1]], "mask", mask=png01(np.ones((2, 2)))),
            "invalid_value",
            "/shapes/0/points",
        ),
        (
            shape("seg", [[199, 0], [200, 1]], "mask", mask=png01(np.ones((2, 2)))),
            "mask_invalid",
            "/shapes/0/points",
        ),
        (shape("seg", [[0, 0], [1, 1]], "mask"), "missing_field", "/shapes/0/mask"),
    ],
)
def test_shape_issues(tmp_path: Path, raw: Any, code: str, pointer: str) -> None:
    rec, issues = one(tmp_path, lm([raw, shape("eye", [[1, 1]], "point")]))
    assert [(i.code, i.location.pointer) for i in issues] == [(code, pointer)]
    assert issues[0].location.file == "a.json" and issues[0].location.data_row == "a.jpg"
    assert rec is not None and [a.kind for a in rec.annotations] == ["point"]  # the good shape survives


def test_mask_needs_the_image_size(tmp_path: Path) -> None:
    doc = lm([shape("seg", [[0, 0], [1, 1]], "mask", mask=png01(np.ones((2, 2))))])
    del doc["imageWidth"], doc["imageHeight"]
    _, issues = one(tmp_path, doc)
    assert [(i.code, i.location.pointer) for i in issues] == [("missing_field", "/imageHeight")]


def test_unknown_shape_field_reported_once_per_file(tmp_path: Path) -> None:
    shapes = [shape("eye", [[1, 1]], "point", score=0.9) for _ in range(3)]
    _, issues = one(tmp_path, lm(shapes))
    assert [(i.code, i.location.pointer) for i in issues] == [("unknown_field", "/shapes/0/score")]


def test_missing_payload() -> None:
    records, issues = run(Path("/nonexistent/labelme"))
    assert records == [] and codes(issues) == ["unreadable_payload"]


def test_folder_without_json_is_reported(tmp_path: Path) -> None:
    (tmp_path / "lm" / "sub").mkdir(parents=True)
    (tmp_path / "lm" / "a.xml").write_text("<annotation/>")
    (tmp_path / "lm" / ".hidden.json").write_text("{}")
    records, issues = run(tmp_path / "lm")
    assert records == []
    assert [(i.code, i.message, i.location.file) for i in issues] == [
        ("unreadable_payload", "no LabelMe JSON files under lm", ".")
    ]


def test_every_code_is_catalogued() -> None:
    used = {
        "invalid_json",
        "unreadable_payload",
        "wrong_type",
        "missing_field",
        "invalid_value",
        "unknown_field",
        "unsupported_annotation",
        "mask_invalid",
    }
    assert used <= set(CODES)


# --- writing -------------------------------------------------------------------------------------


def row(key: str, anns: list[Annotation], w: int = W, h: int = H) -> ExportRow:
    parent, _, name = key.rpartition("/")
    return ExportRow(
        ref=RowRef(id="c1", global_key=key, parent_path="/" + parent, filename=name),
        media_type="image",
        metadata={"width": w, "height": h},
        annotations=anns,
    )


def radio(name: str, option: str, nested: list[Answer] | None = None) -> Annotation:
    choice = Choice(name=option, classifications=nested or [])
    return Annotation(kind="radio", uid=f"u-{name}", name=name, answer=Answer(name=name, value=choice))


def read_back(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = orjson.loads(path.read_bytes())
    return doc


def test_write_every_shape(tmp_path: Path) -> None:
    m = np.zeros((H, W), bool)
    m[10:20, 30:35] = True
    anns = [
        Annotation(
            kind="bbox",
            uid="1",
            name="car",
            geometry=[10, 20.5, 30, 40],
            classifications=[Answer(name="occluded", value=Choice(name="true"))],
            extra={
                "tool": "rectangle",
                "group_id": 2,
                "description": "d",
                "attributes": {"truncated": False},
            },
        ),
        Annotation(kind="polygon", uid="2", name="lake", geometry=[[1, 1, 5, 1, 5, 5]]),
        Annotation(kind="line", uid="3", name="road", geometry=[0, 0, 1.5, 1]),
        Annotation(
            kind="line", uid="4", name="road", geometry=[0, 0, 1, 1], extra={"shape_type": "linestrip"}
        ),
        Annotation(kind="line", uid="5", name="road", geometry=[0, 0, 1, 1, 2, 0]),
        Annotation(kind="point", uid="6", name="eye", geometry=[3.5, 4.0]),
        Annotation(kind="ellipse", uid="7", name="ball", geometry=[50, 50, 2.5, 2.5]),
        Annotation(kind="mask", uid="8", name="seg", geometry=masks.encode(m)),
        radio("scene", "outdoor"),
    ]
    summary = labelme.write([row("train/a.jpg", anns)], tmp_path / "out", CTX)
    assert summary.not_expressible == [] and summary.rows == 1 and summary.annotations == 9
    doc = read_back(tmp_path / "out" / "train" / "a.json")
    assert list(doc) == ["version", "flags", "shapes", "imagePath", "imageData", "imageHeight", "imageWidth"]
    assert doc["version"] == "5.4.1" and doc["imagePath"] == "a.jpg" and doc["imageData"] is None
    assert (doc["imageWidth"], doc["imageHeight"]) == (W, H)
    assert doc["flags"] == {"indoor": False, "outdoor": True, "day": False, "night": False}
    s = doc["shapes"]
    assert s[0] == {
        "label": "car",
        "points": [[10, 20.5], [40, 60.5]],
        "group_id": 2,
        "description": "d",
        "shape_type": "rectangle",
        "flags": {"truncated": False, "occluded": True},
        "mask": None,
    }
    assert [(x["shape_type"], x["points"]) for x in s[1:7]] == [
        ("polygon", [[1, 1], [5, 1], [5, 5]]),
        ("line", [[0, 0], [1.5, 1]]),
        ("linestrip", [[0, 0], [1, 1]]),
        ("linestrip", [[0, 0], [1, 1], [2, 0]]),
        ("point", [[3.5, 4.0]]),
        ("circle", [[50, 50], [52.5, 50]]),
    ]
    assert s[7]["shape_type"] == "mask" and s[7]["points"] == [[30, 10], [34, 19]]
    assert masks.from_png_base64(s[7]["mask"]).shape == (10, 5)


def test_write_then_read_is_exact(tmp_path: Path) -> None:
    m = np.zeros((H, W), bool)
    m[0, 0] = m[99, 199] = True  # the region spans the whole image
    anns = [
        Annotation(kind="bbox", name="car", geometry=[0.25, 1.5, 10.75, 2], extra={"group_id": 1}),
        Annotation(kind="polygon", name="lake", geometry=[[1.1, 2.2, 3.3, 4.4, 0.1, 9.9]]),
        Annotation(kind="line", name="road", geometry=[0, 0, 1, 1], extra={"shape_type": "linestrip"}),
        Annotation(kind="ellipse", name="ball", geometry=[10.5, 20.25, 3.125, 3.125]),
        Annotation(kind="mask", name="seg", geometry=masks.encode(m)),
        Annotation(kind="point", name="eye", geometry=[0.1, 0.2], extra={"attributes": {"x": True}}),
    ]
    labelme.write([row("d/a.jpg", anns)], tmp_path / "out", CTX)
    records, issues = run(tmp_path / "out")
    assert issues == []
    [rec] = records
    assert rec.row == RowRef(filename="d/a.jpg") and rec.image_size == (W, H)
    assert [(a.kind, a.name, a.geometry, a.extra) for a in rec.annotations] == [
        (a.kind, a.name, a.geometry, a.extra) for a in anns
    ]


def test_circle_point_written_back_while_it_fits(tmp_path: Path) -> None:
    kept = {"circle_point": [151, 52]}
    anns = [
        Annotation(kind="ellipse", name="ball", geometry=[150, 50, math.sqrt(5), math.sqrt(5)], extra=kept),
        Annotation(kind="ellipse", name="ball", geometry=[150, 50, 3, 3], extra=kept),  # edited since
    ]
    labelme.write([row("a.jpg", anns)], tmp_path / "out", CTX)
    doc = read_back(tmp_path / "out" / "a.json")
    assert [s["points"] for s in doc["shapes"]] == [[[150, 50], [151, 52]], [[150, 50], [153, 50]]]
    records, _ = run(tmp_path / "out")
    assert [a.geometry for a in records[0].annotations] == [a.geometry for a in anns]


def test_write_cannot_carry(tmp_path: Path) -> None:
    anns = [
        Annotation(kind="bbox", uid="r", name="car", geometry=[10, 10, 5, 5, 30]),
        Annotation(kind="ellipse", uid="e", name="e", geometry=[10, 10, 5, 4]),
        Annotation(kind="ellipse", uid="e2", name="e", geometry=[10, 10, 5, 5, 10]),
        Annotation(kind="polygon", uid="p", name="lake", geometry=[[0, 0, 5, 0, 5, 5], [1, 1, 2, 1, 2, 2]]),
        Annotation(kind="keypoints", uid="k", name="face", geometry=[1, 1, 2]),
        Annotation(kind="mask", uid="m", name="seg", geometry=masks.encode(np.zeros((H, W), bool))),
        Annotation(
            kind="point",
            uid="a",
            name="eye",
            geometry=[1, 1],
            classifications=[
                Answer(name="color", value=Choice(name="red")),
                Answer(name="deep", value=Choice(name="true", classifications=[Answer(name="x", value="y")])),
            ],
        ),
        Annotation(kind="text", uid="t", name="caption", answer=Answer(name="caption", value="hi")),
        Annotation(
            kind="checklist", uid="c", name="tags", answer=Answer(name="tags", value=[Choice(name="dark")])
        ),
        radio("scene", "indoor", nested=[Answer(name="n", value="v")]),
    ]
    summary = labelme.write([row("a.jpg", anns)], tmp_path / "out", CTX)
    lost = [(i.location.annotation_id, i.message) for i in summary.not_expressible]
    assert [u for u, _ in lost] == ["r", "e", "e2", "p", "k", "m", "a", "a", "t", "c", "u-scene"]
    assert all(
        i.code == "unsupported_annotation" and i.location.data_row == "a.jpg" for i in summary.not_expressible
    )
    assert "rotated box" in lost[0][1]
    assert {lost[6][1], lost[7][1]} == {
        "LabelMe cannot carry answers nested under `deep`",
        "LabelMe cannot carry `color` = 'red': shape flags are true or false",
    }
    doc = read_back(tmp_path / "out" / "a.json")
    assert [s["label"] for s in doc["shapes"]] == ["eye"]
    assert doc["shapes"][0]["flags"] == {"deep": True}  # written; what hangs under it is reported
    assert doc["flags"]["indoor"] is True


def test_write_flags_checklist(tmp_path: Path) -> None:
    ctx = ExportContext(
        project="p", media_type="image", ontology=ONTOLOGY, options={"flags_checklist": "tags"}
    )
    anns = [
        Annotation(
            kind="checklist", uid="c", name="tags", answer=Answer(name="tags", value=[Choice(name="dark")])
        ),
        radio("scene", "indoor"),
    ]
    summary = labelme.write([row("a.jpg", anns)], tmp_path / "out", ctx)
    assert [i.location.annotation_id for i in summary.not_expressible] == ["u-scene"]
    assert read_back(tmp_path / "out" / "a.json")["flags"] == {"blurry": False, "dark": True}
    records, _ = run(tmp_path / "out", flags_checklist="tags")
    assert records[0].annotations[0].answer == Answer(
        name="tags", value=[Choice(name="dark", pointer="/flags/dark")], loose=True, pointer="/flags"
    )
    bad = ExportContext(
        project="p", media_type="image", ontology=ONTOLOGY, options={"flags_checklist": "scene"}
    )
    with pytest.raises(InvalidInputError):
        labelme.write([], tmp_path / "out2", bad)


def test_shared_flag_names_are_not_written(tmp_path: Path) -> None:
    onto = parse_ontology(
        {
            "classifications": [
                {"name": "a", "type": "radio", "options": [{"value": "yes"}, {"value": "no"}]},
                {"name": "b", "type": "radio", "options": [{"value": "yes"}, {"value": "maybe"}]},
            ]
        }
    )
    ctx = ExportContext(project="p", media_type="image", ontology=onto)
    summary = labelme.write([row("a.jpg", [radio("a", "yes"), radio("b", "maybe")])], tmp_path / "o", ctx)
    assert [i.location.annotation_id for i in summary.not_expressible] == ["u-a"]
    assert read_back(tmp_path / "o" / "a.json")["flags"] == {"yes": False, "no": False, "maybe": True}


def test_write_names_and_image_paths(tmp_path: Path) -> None:
    rows = [row("x/a.jpg", []), row("x/a.png", []), row("b.jpg", [])]
    labelme.write(rows, tmp_path / "out", CTX)
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.json")) == [
        "b.json",
        "x/a.json",
        "x/a.png.json",
    ]
    assert read_back(tmp_path / "out" / "x" / "a.png.json")["imagePath"] == "a.png"
    # a third name for the same file on a case-blind disk is reported, not a FileExistsError
    summary = labelme.write([row("A.jpg", []), row("a.jpg", []), row("a.JPG", [])], tmp_path / "o4", CTX)
    assert [(i.code, i.location.data_row) for i in summary.not_expressible] == [
        ("unsupported_annotation", "a.JPG")
    ]
    assert summary.rows == 2 and "a.JPG.json" in summary.not_expressible[0].message
    ctx = ExportContext(
        project="p", media_type="image", ontology=Ontology(), options={"image_root": "../images"}
    )
    labelme.write(rows, tmp_path / "out2", ctx)
    assert read_back(tmp_path / "out2" / "x" / "a.json")["imagePath"] == "../../images/x/a.jpg"
    assert read_back(tmp_path / "out2" / "b.json")["imagePath"] == "../images/b.jpg"
    records, _ = run(tmp_path / "out2", image_root="../images")
    assert [r.row.filename for r in records] == ["b.jpg", "x/a.jpg", "x/a.png"]
    ctx = ExportContext(
        project="p", media_type="image", ontology=Ontology(), options={"image_root": "/data/imgs"}
    )
    labelme.write(rows, tmp_path / "out3", ctx)
    assert read_back(tmp_path / "out3" / "x" / "a.json")["imagePath"] == "/data/imgs/x/a.jpg"


def test_write_refuses_a_used_folder_and_unsafe_paths(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("")
    with pytest.raises(InvalidInputError) as exc:
        labelme.write([], tmp_path / "out", CTX)
    assert (exc.value.code, exc.value.hint) == ("output_exists", "choose a new path or empty it")
    assert (tmp_path / "out" / "x").read_text() == ""
    with pytest.raises(InvalidInputError) as exc:
        labelme.write([], tmp_path / "out" / "x", CTX)  # a file where the folder goes
    assert exc.value.code == "output_exists"
    labelme.write([], tmp_path / "empty", CTX)
    labelme.write([], tmp_path / "empty", CTX)  # an empty folder is fine
    with pytest.raises(ValueError):
        labelme.write([row("../a.jpg", [])], tmp_path / "out2", CTX)


# --- detection -----------------------------------------------------------------------------------


def test_detect_matches(tmp_path: Path) -> None:
    d = labelme.detect(FIXTURE)
    assert d.confidence >= 0.9 and "shapes" in d.reasons[0]
    assert labelme.detect(FIXTURE / "ann" / "a.json").confidence >= 0.9


def test_detect_large_file_reads_only_its_ends(tmp_path: Path) -> None:
    big = lm([], imageData="A" * (2 << 20))
    path = put(tmp_path, "big.json", big)
    assert labelme.detect(path).confidence >= 0.9
    path.write_bytes(b'{"imageData": "' + b"A" * (2 << 20) + b'"}')
    assert labelme.detect(path).reasons == ["big.json has no `shapes`"]


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({}, "no .json files"),
        ({"a.txt": b"0 0.5 0.5 0.1 0.1"}, "no .json files"),
        ({"a.json": b"[1]"}, "a.json holds array, not a LabelMe object"),
        ({"a.json": b"{"}, "a.json is not valid JSON"),
        ({"a.json": b'{"annotations": [], "filename": "a", "parent_path": "/"}'}, "a.json has no `shapes`"),
        ({"a.json": b'{"shapes": []}'}, "a.json has no `imagePath`"),
        ({"a.json": b'{"shapes": {}, "imagePath": "a"}'}, "a.json: `shapes` is not an array"),
    ],
)
def test_detect_rejects(tmp_path: Path, files: dict[str, bytes], reason: str) -> None:
    root = tmp_path / "p"
    root.mkdir()
    for rel, data in files.items():
        put(root, rel, data)
    d = labelme.detect(root)
    assert d.confidence == 0 and d.reasons == [reason]


def test_detect_single_file_and_missing(tmp_path: Path) -> None:
    assert labelme.detect(put(tmp_path, "a.xml", b"<annotation/>")).reasons == ["a.xml is not a .json file"]
    assert labelme.detect(tmp_path / "nope").confidence == 0
    shutil.copy(FIXTURE / "ann" / "a.json", tmp_path / "b.json")
    assert labelme.detect(tmp_path / "b.json").confidence >= 0.9
