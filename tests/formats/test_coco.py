"""COCO JSON: reading every shape, the issues the reader reports (code and JSON pointer), writing,
a format-level round trip and detection. Fixtures are small dicts written by hand."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from labelport.formats import coco, masks
from labelport.formats.base import ExportContext, ExportRow
from labelport.model.issues import CODES, Issue
from labelport.model.ontology import parse_ontology
from labelport.model.records import Annotation, Answer, Choice, Record, RowRef

W, H = 200, 100
ONTOLOGY = {
    "tools": [
        {"name": "car", "tool": "rectangle", "classifications": [{"name": "color", "type": "text"}]},
        {"name": "road", "tool": "line"},
        {"name": "lake", "tool": "polygon"},
        {"name": "seg", "tool": "raster-segmentation"},
        {"name": "person", "tool": "skeleton", "keypoints": ["nose", "eye"], "edges": [[1, 2]]},
    ],
    "classifications": [{"name": "weather", "type": "radio", "options": [{"value": "sunny"}]}],
}
CTX = ExportContext(project="p", media_type="image", ontology=parse_ontology(ONTOLOGY))


def box_mask() -> np.ndarray:
    m = np.zeros((H, W), bool)
    m[10:30, 20:60] = True
    return m


def base() -> dict[str, Any]:
    rle = masks.encode(box_mask())
    return {
        "info": {"year": 2024},
        "licenses": [],
        "images": [
            {"id": 1, "file_name": "a.jpg", "width": W, "height": H},
            {"id": 2, "file_name": "train/b.jpg", "width": W, "height": H},
            {"id": 3, "file_name": "empty.jpg", "width": W, "height": H},
        ],
        "categories": [
            {"id": 1, "name": "car", "supercategory": "vehicle"},
            {"id": 2, "name": "lake", "supercategory": ""},
            {"id": 3, "name": "seg"},
            {"id": 4, "name": "person", "keypoints": ["nose", "eye"], "skeleton": [[1, 2]]},
        ],
        "annotations": [
            {
                "id": 10,
                "image_id": 1,
                "category_id": 1,
                "bbox": [10.5, 20, 30.25, 40],
                "area": 1210.0,
                "iscrowd": 0,
                "segmentation": [],
                "attributes": {"color": "red", "occluded": False},
            },
            {
                "id": 11,
                "image_id": 1,
                "category_id": 2,
                "bbox": [1, 1, 9, 9],
                "area": 33.5,
                "iscrowd": 0,
                "segmentation": [[1, 1, 5, 1, 5, 5], [6, 6, 10, 6, 10, 10, 6, 10]],
            },
            {
                "id": 12,
                "image_id": 2,
                "category_id": 3,
                "iscrowd": 1,
                "segmentation": rle,
                "bbox": [20, 10, 40, 20],
            },
            {
                "id": 13,
                "image_id": 2,
                "category_id": 3,
                "iscrowd": 1,
                "segmentation": masks.to_uncompressed(rle),
                "area": 800,
            },
            {
                "id": 14,
                "image_id": 2,
                "category_id": 4,
                "keypoints": [10, 20, 2, 30.5, 40, 1],
                "num_keypoints": 2,
                "bbox": [5, 5, 50, 50],
                "segmentation": [[5, 5, 55, 5, 55, 55]],
                "iscrowd": 0,
            },
        ],
    }


def put(tmp: Path, doc: Any, name: str = "coco.json") -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(doc if isinstance(doc, bytes) else orjson.dumps(doc))
    return path


def run(payload: Path) -> tuple[list[Record], list[Issue]]:
    issues: list[Issue] = []
    records = list(coco.read(payload, issues.append, {}))
    return records, issues


def where(issues: list[Issue]) -> list[tuple[str, str | None]]:
    return [(i.code, i.location.pointer) for i in issues]


# --- reading ---------------------------------------------------------------------------------------


def test_every_shape(tmp_path: Path) -> None:
    records, issues = run(put(tmp_path, base()))
    assert issues == []
    assert [r.row for r in records] == [
        RowRef(filename="a.jpg"),
        RowRef(filename="train/b.jpg"),
        RowRef(filename="empty.jpg"),
    ]
    assert all(r.image_size == (W, H) for r in records)
    assert [r.location.pointer for r in records] == ["/images/0", "/images/1", "/images/2"]
    assert records[0].location.file == "coco.json"
    car, lake = records[0].annotations
    assert (car.kind, car.name, car.geometry) == ("bbox", "car", [10.5, 20, 30.25, 40])
    assert car.pointer == "/annotations/0/bbox"
    assert car.extra == {
        "id": 10,
        "iscrowd": 0,
        "supercategory": "vehicle",
        "attributes": {"color": "red", "occluded": False},
    }
    assert lake.kind == "polygon" and lake.geometry == [[1, 1, 5, 1, 5, 5], [6, 6, 10, 6, 10, 10, 6, 10]]
    assert lake.extra == {"id": 11, "iscrowd": 0, "area": 33.5}  # shoelace gives 24; bbox is the extent
    crowd, plain_rle, person = records[1].annotations
    expected = masks.encode(box_mask())
    assert crowd.kind == plain_rle.kind == "mask"
    assert crowd.geometry == plain_rle.geometry == expected
    assert crowd.extra == {"id": 12, "iscrowd": 1} and plain_rle.extra == {"id": 13, "iscrowd": 1}
    assert person.kind == "keypoints" and person.geometry == [10, 20, 2, 30.5, 40, 1]
    assert person.extra == {
        "id": 14,
        "iscrowd": 0,
        "segmentation": [[5, 5, 55, 5, 55, 55]],
        "bbox": [5, 5, 50, 50],
        "keypoint_names": ["nose", "eye"],
    }
    assert records[2].annotations == []  # labelled, no objects


def test_rotation_attribute_is_geometry(tmp_path: Path) -> None:
    doc = base()
    doc["annotations"][0]["attributes"] = {"rotation": 30.5, "occluded": True}
    doc["annotations"][1] = {"id": 2, "image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2]}
    doc["annotations"][1]["attributes"] = {"rotation": 0.0}
    records, issues = run(put(tmp_path, doc))
    assert issues == []
    turned, straight = records[0].annotations
    assert turned.geometry == [10.5, 20, 30.25, 40, 30.5] and turned.extra is not None
    assert turned.extra["attributes"] == {"occluded": True}
    assert straight.geometry == [1, 1, 2, 2] and straight.extra == {"id": 2, "supercategory": "vehicle"}


def test_folder_payloads(tmp_path: Path) -> None:
    put(tmp_path / "ds" / "annotations", base(), "instances_default.json")
    (tmp_path / "ds" / "images").mkdir()
    records, issues = run(tmp_path / "ds")
    assert issues == [] and len(records) == 3
    assert records[0].location.file == "annotations/instances_default.json"
    put(tmp_path / "flat", base(), "labels.json")
    put(tmp_path / "flat", {"something": "else"}, "meta.json")
    records, issues = run(tmp_path / "flat")
    assert issues == [] and records[0].location.file == "labels.json"


def _mutate(fn: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    doc = base()
    fn(doc)
    return doc


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        *parents, last = path.strip("/").split("/")
        node: Any = doc
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if value is _DELETE:
            del node[last]
        elif isinstance(node, list) and int(last) == len(node):
            node.append(value)
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


_DELETE = object()


@pytest.mark.parametrize(
    ("change", "code", "pointer"),
    [
        (_set("/images/0/file_name", _DELETE), "missing_field", "/images/0/file_name"),
        (_set("/images/0/width", "wide"), "wrong_type", "/images/0/width"),
        (_set("/images/0/file_name", ""), "invalid_value", "/images/0/file_name"),
        (_set("/images/2/id", 1), "invalid_value", "/images/2/id"),
        (_set("/categories/4", {"id": 1, "name": "again"}), "invalid_value", "/categories/4/id"),
        (_set("/categories/0/name", None), "wrong_type", "/categories/0/name"),
        (_set("/annotations/0/bbox/0", "10"), "wrong_type", "/annotations/0/bbox/0"),
        (_set("/annotations/0/category_id", 99), "unknown_category", "/annotations/0/category_id"),
        (_set("/annotations/0/image_id", 99), "unknown_image", "/annotations/0/image_id"),
        (_set("/annotations/0/image_id", _DELETE), "missing_field", "/annotations/0/image_id"),
        (_set("/annotations/0/bbox", [1, 2, 3]), "invalid_value", "/annotations/0/bbox"),
        (_set("/annotations/0/bbox", _DELETE), "missing_field", "/annotations/0"),
        (
            _set("/annotations/1/segmentation/1", [1, 2, 3, 4, 5]),
            "invalid_value",
            "/annotations/1/segmentation/1",
        ),
        (
            _set("/annotations/1/segmentation", [1, 2, 3, 4, 5, 6]),
            "wrong_type",
            "/annotations/1/segmentation/0",
        ),
        (_set("/annotations/2/segmentation/counts", "!!"), "mask_invalid", "/annotations/2/segmentation"),
        (_set("/annotations/3/segmentation/counts", [1, 2]), "mask_invalid", "/annotations/3/segmentation"),
        (
            _set("/annotations/3/segmentation/size", _DELETE),
            "missing_field",
            "/annotations/3/segmentation/size",
        ),
        (_set("/annotations/4/keypoints", [1, 2, 2]), "invalid_value", "/annotations/4/keypoints"),
        (_set("/annotations/4/keypoints", [1, 2, 2, 3]), "invalid_value", "/annotations/4/keypoints"),
        (_set("/annotations/4/keypoints/5", 3), "invalid_value", "/annotations/4/keypoints/5"),
        (_set("/annotations/4/iscrowd", "no"), "wrong_type", "/annotations/4/iscrowd"),
        (_set("/annotations/4/attributes", [1]), "wrong_type", "/annotations/4/attributes"),
        (_set("/images", {"id": 1}), "wrong_type", "/images"),
        (_set("/categories", _DELETE), "missing_field", "/categories"),
    ],
)
def test_each_problem_has_its_code_and_pointer(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], code: str, pointer: str
) -> None:
    _, issues = run(put(tmp_path, _mutate(change)))
    assert where(issues) == [(code, pointer)]
    assert code in CODES
    assert issues[0].location.file == "coco.json"


def test_a_bad_element_does_not_stop_the_rest(tmp_path: Path) -> None:
    doc = base()
    doc["annotations"][0]["bbox"] = "10,20,30,40"
    doc["annotations"][2]["category_id"] = "seg"
    doc["images"][1]["file_name"] = 7  # its annotations are not reported again
    records, issues = run(put(tmp_path, doc))
    assert where(issues) == [
        ("wrong_type", "/images/1/file_name"),
        ("wrong_type", "/annotations/0/bbox"),
        ("wrong_type", "/annotations/2/category_id"),
    ]
    assert issues[1].message == "expected an array, got a string"
    assert [r.row.filename for r in records] == ["a.jpg", "empty.jpg"]
    assert [a.name for a in records[0].annotations] == ["lake"]


def test_location_names_the_row_and_annotation(tmp_path: Path) -> None:
    doc = base()
    doc["annotations"][0]["category_id"] = 42
    _, issues = run(put(tmp_path, doc))
    loc = issues[0].location
    assert (loc.file, loc.pointer, loc.data_row, loc.annotation_id) == (
        "coco.json",
        "/annotations/0/category_id",
        "a.jpg",
        "10",
    )


def test_invalid_json_gives_the_line(tmp_path: Path) -> None:
    _, issues = run(put(tmp_path, b'{"images": [\n  {"id": 1,\n  "file_name": "a.jpg",,}]}'))
    assert where(issues) == [("invalid_json", None)]
    assert issues[0].location.line == 3
    _, issues = run(put(tmp_path, b'{"images": [], "annotations": [{"bbox": [NaN, 1, 2, 3]}]}'))
    assert (
        issues[0].code == "invalid_json" and issues[0].hint == "NaN and Infinity are not JSON; write numbers"
    )


def test_empty_and_non_utf8_files(tmp_path: Path) -> None:
    _, issues = run(put(tmp_path, b"  \n", "empty.json"))
    assert [(i.code, i.message) for i in issues] == [("invalid_json", "the file is empty")]
    latin1 = b'{"images": [{"id": 1,\n "file_name": "\xe9.jpg"}], "annotations": [], "categories": []}'
    _, issues = run(put(tmp_path, latin1, "latin1.json"))
    assert [(i.code, i.location.line, i.message) for i in issues] == [
        ("unreadable_payload", 2, "the file is not UTF-8 (byte 37)")
    ]
    # a type error before the bad byte: the encoding is checked first, for the whole file (the
    # annotations are decoded one by one later, and a bad byte there must not pass as text)
    both = latin1.replace(b'[{"id": 1,', b'[{"id": 1.5, "file_name": "a.jpg"}, {"id": 2,')
    _, issues = run(put(tmp_path, both, "both.json"))
    assert [(i.code, i.location.line) for i in issues] == [("unreadable_payload", 2)]
    in_annotation = b'{"images": [], "categories": [],\n"annotations": [{"image_id": 1, "x": "\xe9"}]}'
    _, issues = run(put(tmp_path, in_annotation, "ann.json"))
    assert [(i.code, i.location.line) for i in issues] == [("unreadable_payload", 2)]
    # UTF-8 that is not ASCII (told apart by the long way) is read
    utf8 = latin1.decode("latin-1").encode("utf-8")
    records, issues = run(put(tmp_path, utf8, "utf8.json"))
    assert issues == [] and [r.row.filename for r in records] == ["\u00e9.jpg"]


def test_a_results_file_is_refused(tmp_path: Path) -> None:
    _, issues = run(put(tmp_path, [{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9}]))
    assert where(issues) == [("wrong_type", "")]
    assert "results file" in (issues[0].hint or "")


def test_missing_lists_are_all_named(tmp_path: Path) -> None:
    _, issues = run(put(tmp_path, {"info": {}}))
    assert where(issues) == [
        ("missing_field", "/images"),
        ("missing_field", "/annotations"),
        ("missing_field", "/categories"),
    ]


def test_unreadable_folders(tmp_path: Path) -> None:
    put(tmp_path / "two" / "annotations", base(), "a.json")
    put(tmp_path / "two" / "annotations", base(), "b.json")
    _, issues = run(tmp_path / "two")
    assert [i.code for i in issues] == ["unreadable_payload"]
    assert "2 .json files" in issues[0].message
    (tmp_path / "none").mkdir()
    _, issues = run(tmp_path / "none")
    assert [i.code for i in issues] == ["unreadable_payload"]


# --- writing ---------------------------------------------------------------------------------------


def _row(key: str, anns: list[Annotation]) -> ExportRow:
    parent, _, name = key.rpartition("/")
    return ExportRow(
        ref=RowRef(id="x", global_key=key, parent_path=parent, filename=name),
        media_type="image",
        metadata={"width": W, "height": H},
        annotations=anns,
    )


def export(tmp_path: Path, rows: list[ExportRow], **options: str) -> tuple[dict[str, Any], Any]:
    ctx = ExportContext(project="p", media_type="image", ontology=CTX.ontology, options=options)
    out = tmp_path / "out.json"
    summary = coco.write(rows, out, ctx)
    return orjson.loads(out.read_bytes()), summary


def test_writer_fields(tmp_path: Path) -> None:
    rle = masks.encode(box_mask())
    anns = [
        Annotation(
            kind="bbox",
            name="car",
            geometry=[10.5, 20.0, 30.0, 40.0],
            extra={
                "id": 7,
                "supercategory": "vehicle",
                "attributes": {"occluded": True},
                "tool": "rectangle",
            },
            classifications=[Answer(name="color", value="red")],
        ),
        Annotation(kind="polygon", name="lake", geometry=[[0.0, 0.0, 4.0, 0.0, 4.0, 3.0]], extra={"id": 7}),
        Annotation(kind="mask", name="seg", geometry=rle, extra={"iscrowd": 1}),
        Annotation(kind="keypoints", name="person", geometry=[10.0, 20.0, 2.0, 0.0, 0.0, 0.0]),
    ]
    doc, summary = export(tmp_path, [_row("train/a.jpg", anns), _row("b.jpg", [])])
    assert summary.rows == 2 and summary.annotations == 4 and summary.not_expressible == []
    assert list(doc) == ["info", "licenses", "images", "categories", "annotations"]
    assert doc["images"] == [
        {"id": 1, "file_name": "train/a.jpg", "width": W, "height": H},
        {"id": 2, "file_name": "b.jpg", "width": W, "height": H},
    ]
    assert doc["categories"] == [
        {"id": 1, "name": "car", "supercategory": "vehicle"},
        {"id": 2, "name": "lake", "supercategory": ""},
        {"id": 3, "name": "seg", "supercategory": ""},
        {"id": 4, "name": "person", "supercategory": "", "keypoints": ["nose", "eye"], "skeleton": [[1, 2]]},
    ]
    car, lake, seg, person = doc["annotations"]
    assert car == {
        "id": 7,
        "image_id": 1,
        "category_id": 1,
        "segmentation": [],
        "area": 1200,
        "bbox": [10.5, 20, 30, 40],
        "iscrowd": 0,
        "attributes": {"occluded": True, "color": "red"},
    }
    assert lake["id"] == 1  # 7 is taken: the next free id
    assert lake["segmentation"] == [[0, 0, 4, 0, 4, 3]] and lake["area"] == 6 and lake["bbox"] == [0, 0, 4, 3]
    assert seg["segmentation"] == rle and seg["area"] == 800 and seg["bbox"] == [20, 10, 40, 20]
    assert seg["iscrowd"] == 1 and seg["id"] == 2
    assert person["keypoints"] == [10, 20, 2, 0, 0, 0] and person["num_keypoints"] == 1
    assert person["bbox"] == [10, 20, 0, 0] and person["category_id"] == 4


def test_writer_reports_what_it_cannot_carry(tmp_path: Path) -> None:
    anns = [
        Annotation(kind="line", name="road", geometry=[0, 0, 5, 5]),
        Annotation(kind="radio", name="weather", answer=Answer(name="weather", value=Choice(name="sunny"))),
        Annotation(
            kind="bbox",
            name="car",
            geometry=[1, 1, 5, 5],
            classifications=[
                Answer(name="color", value=Choice(name="red", classifications=[Answer(name="x", value="y")]))
            ],
        ),
        Annotation(kind="bbox", name="car", geometry=[1, 1, 5, 5, 15.0]),
    ]
    doc, summary = export(tmp_path, [_row("a.jpg", anns)])
    messages = [i.message for i in summary.not_expressible]
    assert messages == [
        "COCO cannot carry a line (`road`)",
        "COCO cannot carry the global classification `weather`",
        "COCO cannot carry the answers nested under `color` of `car` (written flat)",
    ]
    assert all(i.code == "unsupported_annotation" for i in summary.not_expressible)
    assert summary.not_expressible[0].location.data_row == "a.jpg"
    nested, rotated = doc["annotations"]
    assert nested["attributes"] == {"color": "red"}
    assert rotated["bbox"] == [1, 1, 5, 5] and rotated["attributes"] == {"rotation": 15.0}
    _, summary = export(tmp_path / "refuse", [_row("a.jpg", anns[3:])], rotation="refuse")
    assert [i.message for i in summary.not_expressible] == [
        "COCO cannot carry a rotated box (`car`, 15.0 degrees)"
    ]


def test_round_trip_through_the_writer(tmp_path: Path) -> None:
    """read → write → read gives the same annotations, extras included."""
    doc = base()
    doc["annotations"][0]["attributes"]["rotation"] = 10
    first, issues = run(put(tmp_path, doc))
    assert issues == []
    rows = [_row(r.row.filename or "", r.annotations) for r in first]
    written, summary = export(tmp_path, rows)
    assert summary.not_expressible == []
    again, issues = run(tmp_path / "out.json")
    assert issues == []

    def key(records: list[Record]) -> list[Any]:
        return [
            [(a.kind, a.name, a.geometry, a.extra) for a in r.annotations] + [r.row.filename, r.image_size]
            for r in records
        ]

    assert key(again) == key(first)
    assert [a["id"] for a in written["annotations"]] == [10, 11, 12, 13, 14]


def test_bad_ids_are_renumbered(tmp_path: Path) -> None:
    anns = [
        Annotation(kind="bbox", name="car", geometry=[1, 1, 2, 2], extra={"id": 2}),
        Annotation(kind="bbox", name="car", geometry=[1, 1, 3, 3], extra={"id": 2}),
        Annotation(kind="bbox", name="car", geometry=[1, 1, 4, 4], extra={"id": "x"}),
        Annotation(kind="bbox", name="car", geometry=[1, 1, 5, 5], extra={"id": True}),
    ]
    doc, _ = export(tmp_path, [_row("a.jpg", anns)])
    assert [a["id"] for a in doc["annotations"]] == [2, 1, 3, 4]


# --- detection -------------------------------------------------------------------------------------


def test_detection_says_why(tmp_path: Path) -> None:
    d = coco.detect(put(tmp_path, base()))
    assert d.confidence == 1.0
    assert d.reasons == ["coco.json: a JSON object with 3 images, 5 annotations, 4 categories"]
    d = coco.detect(put(tmp_path / "ds" / "annotations", base(), "instances_train.json").parents[1])
    assert d.confidence == 1.0 and d.reasons[0].startswith("annotations/instances_train.json:")
    results = coco.detect(put(tmp_path, [{"image_id": 1}], "results.json"))
    assert results.confidence == 0 and "results file" in results.reasons[0]
    labelme = coco.detect(put(tmp_path, {"shapes": [], "imagePath": "a.jpg"}, "labelme.json"))
    assert labelme.confidence == 0
    assert labelme.reasons == ["labelme.json: a JSON object without `images` and `annotations`"]
    no_cats = copy.deepcopy(base())
    del no_cats["categories"]
    assert coco.detect(put(tmp_path, no_cats, "nocats.json")).confidence == 0.6
    assert coco.detect(put(tmp_path, b"{nope", "bad.json")).reasons == ["bad.json: not valid JSON"]
    assert coco.detect(put(tmp_path, base(), "x.ndjson")).reasons == ["x.ndjson is not a .json file"]
    (tmp_path / "empty").mkdir()
    assert coco.detect(tmp_path / "empty").reasons == [
        "the folder has no annotations/*.json and no *.json file"
    ]
    assert coco.detect(tmp_path / "missing").confidence == 0


def test_detection_of_large_files_reads_head_and_tail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coco, "_PARSE_FOR_DETECTION", 100)
    monkeypatch.setattr(coco, "_SNIFF_BYTES", 300)
    doc = base()
    doc["images"] *= 20
    d = coco.detect(put(tmp_path, doc))
    assert d.confidence == 0.9
    assert d.reasons == [
        "coco.json: too big to parse for detection; its first and last MiB show images, annotations"
    ]
    d = coco.detect(put(tmp_path, {"shapes": [{"label": "x" * 400}], "imagePath": "a.jpg"}, "big.json"))
    assert d.reasons == ["big.json: its first and last MiB show no sign of `images` or `annotations`"]


def test_other_formats_fields_are_reported_not_dropped(tmp_path: Path) -> None:
    """A CVAT-born box's z_order and group_id have no place in COCO: said (as errors); its source
    file's bookkeeping (`source`) is said at INFO."""
    ann = Annotation(
        kind="bbox",
        name="car",
        geometry=[1, 1, 5, 5],
        extra={"z_order": 3, "group_id": 7, "source": "manual"},
    )
    _, summary = export(tmp_path, [_row("a.jpg", [ann])])
    got = [(i.message, i.severity.value) for i in summary.not_expressible]
    assert got == [
        ("COCO cannot carry the field `group_id` of `car`", "error"),
        ("COCO cannot carry the field `source` of `car`", "info"),
        ("COCO cannot carry the field `z_order` of `car`", "error"),
    ]


def test_the_plain_box_path_makes_what_the_general_path_makes() -> None:
    """Boxes without segmentation, keypoints or attributes take a shorter path; an attribute that
    changes nothing (rotation 0) sends the same box down the general one."""
    import random

    from labelport.formats import coco

    rnd = random.Random(3)
    seen = 0
    for _ in range(2000):
        b = [rnd.choice([0, 1.5, 10, 2.25, 1e-9]) for _ in range(4)]
        fields = {
            "image_id": 1,
            "category_id": 1,
            "id": rnd.choice([None, 5, "x"]),
            "area": rnd.choice([None, b[2] * b[3], float(b[2] * b[3]), 7.0, 0]),
            "iscrowd": rnd.choice([None, 0, 1]),
        }
        for supercategory in (None, "", "v"):
            cat = coco._Category(id=1, name="c", supercategory=supercategory)
            fast = coco._convert(coco._Ann(bbox=list(b), **fields), "/annotations/0", cat)
            general = coco._convert(
                coco._Ann(bbox=list(b), attributes={"rotation": 0}, **fields), "/annotations/0", cat
            )
            assert fast == general
            seen += 1
    assert seen == 6000


def test_a_file_not_grouped_by_image_makes_at_most_two_records_an_image(tmp_path: Path) -> None:
    """Records follow the annotations' runs of one image until an image comes back; the rest of
    the file is grouped by image then, so a file ordered by class, say, does not make a record of
    every annotation. The records hold every annotation once, in the file's order per image."""
    images = [{"id": k, "file_name": f"{k}.png", "width": W, "height": H} for k in (1, 2, 3)]
    anns = [
        {"id": 10 * n + k, "image_id": k, "category_id": 1, "bbox": [n, n, 5, 5]}
        for n in range(1, 5)
        for k in (1, 2, 3)
    ]
    doc = {"images": images, "categories": [{"id": 1, "name": "car"}], "annotations": anns}
    records, issues = run(put(tmp_path, doc))
    assert issues == []
    by_image: dict[str, list[Record]] = {}
    for r in records:
        by_image.setdefault(str(r.row), []).append(r)
    assert {k: [r.continues for r in rs] for k, rs in by_image.items()} == {
        "1.png": [False, True],
        "2.png": [False, True],
        "3.png": [False, True],
    }
    boxes = {k: [a.geometry[0] for r in rs for a in r.annotations] for k, rs in by_image.items()}
    assert boxes == {f"{k}.png": [1, 2, 3, 4] for k in (1, 2, 3)}
    grouped = {**doc, "annotations": sorted(anns, key=lambda a: a["image_id"])}
    records, _ = run(put(tmp_path, grouped, "grouped.json"))
    assert [(str(r.row), r.continues, len(r.annotations)) for r in records] == [
        (f"{k}.png", False, 4) for k in (1, 2, 3)
    ]
