"""Label Studio JSON reader, detection and helpers on small hand-written exports: every shape,
every structural issue the reader emits (code and location), and the reasons detection gives."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labelport.formats import labelstudio as ls
from labelport.formats import masks
from labelport.formats.base import Detection, ExportContext, ExportRow
from labelport.model.errors import InvalidInputError
from labelport.model.issues import Issue
from labelport.model.ontology import parse_ontology
from labelport.model.records import Annotation, Answer, Choice, Record, RowRef

FIXTURE = Path(__file__).parent / "fixtures/labelstudio/project-1-at-2024-05-02-09-15-3f2a9b1c.json"
SIZE: dict[str, Any] = {"original_width": 200, "original_height": 100, "image_rotation": 0}


class Sink(list[Issue]):
    """Collects what a reader reports."""

    def __call__(self, issue: Issue) -> None:
        self.append(issue)


def rect(rid: str = "r1", labels: list[str] | None = None, size: bool = True, **value: Any) -> dict[str, Any]:
    v: dict[str, Any] = {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0}
    v.update(value)
    v["rectanglelabels"] = ["car"] if labels is None else labels
    out: dict[str, Any] = dict(SIZE) if size else {}
    out.update(
        {
            "value": v,
            "id": rid,
            "from_name": "label",
            "to_name": "image",
            "type": "rectanglelabels",
            "origin": "manual",
        }
    )
    return out


def task(result: list[Any], image: str = "/data/local-files/?d=a.jpg", **extra: Any) -> dict[str, Any]:
    t: dict[str, Any] = {
        "id": 1,
        "data": {"image": image},
        "annotations": [
            {"id": 10, "completed_by": 1, "result": result, "was_cancelled": False, "ground_truth": False}
        ],
        "predictions": [],
    }
    t.update(extra)
    return t


def run(tmp_path: Path, doc: Any, **options: str) -> tuple[list[Record], list[Issue]]:
    path = tmp_path / "export.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=1), encoding="utf-8")
    issues = Sink()
    return list(ls.read(path, issues, options)), issues


def one(tmp_path: Path, result: list[Any], **options: str) -> tuple[list[Any], list[Issue]]:
    records, issues = run(tmp_path, [task(result)], **options)
    return (records[0].annotations if records else []), issues


def codes(issues: list[Issue]) -> list[tuple[str, str | None]]:
    return [(i.code, i.location.pointer) for i in issues]


# --- shapes ---------------------------------------------------------------------------------------


def test_fixture_reads_every_shape() -> None:
    issues = Sink()
    records = list(ls.read(FIXTURE, issues, {}))
    assert issues == []
    assert [(str(r.row), r.location.line, r.location.pointer, r.image_size) for r in records] == [
        ("photos/img-1.png", 2, "/0", (200, 100)),
        ("photos/img-2.png", 404, "/1", (200, 100)),
    ]
    kinds = [(a.kind, a.name) for a in records[0].annotations]
    assert kinds == [
        ("bbox", "car"),
        ("polygon", "lake"),
        ("point", "eye"),
        ("point", "eye"),
        ("mask", "seg"),
        ("relationship", "follows"),
        ("classification", "weather"),
        ("classification", "tags"),
        ("classification", "caption"),
    ]
    car = records[0].annotations[0]
    text = FIXTURE.read_text(encoding="utf-8").splitlines()
    assert car.line == text.index('        "result": [') + 2 and text[car.line - 1].strip() == "{"
    assert car.units is None and car.extra == {"attributes": {"color": "blue", "occluded": ["front", "back"]}}
    assert car.pointer == "/0/annotations/0/result/0"
    mask = masks.decode(records[0].annotations[4].geometry)
    assert mask.shape == (100, 200) and mask[10:30, 20:60].all() and mask.sum() == 800


def test_percent_converted_with_the_stated_size_never_rounded(tmp_path: Path) -> None:
    (car,), _ = one(tmp_path, [rect(x=33.333333333333336, y=12.5, width=33.333333333333336, height=0.1)])
    assert car.geometry == [33.333333333333336 * 200 / 100, 12.5, 66.66666666666667, 0.1]
    assert car.geometry[0] == 66.66666666666667 and car.units is None


def test_without_stated_size_percent_is_kept_for_validation(tmp_path: Path) -> None:
    records, issues = run(tmp_path, [task([rect(size=False, x=33.333333333333336)])])
    (car,) = records[0].annotations
    assert issues == [] and records[0].image_size is None
    assert car.units == "percent" and car.geometry == [33.333333333333336, 20, 30, 40]


def test_rotation_about_the_top_left_corner_moves_to_the_centre(tmp_path: Path) -> None:
    (car,), _ = one(tmp_path, [rect(x=50, y=20, width=20, height=30, rotation=90)])
    # corner (100, 20), 40 x 30 px turned 90 degrees clockwise about the corner: centre (85, 40)
    x, y, w, h, r = car.geometry
    assert (w, h, r) == (40, 30, 90)
    assert math.isclose(x, 65, abs_tol=1e-12) and math.isclose(y, 25, abs_tol=1e-12)
    back = ls.centre_to_top_left(x, y, w, h, r)
    assert math.isclose(back[0], 100, abs_tol=1e-12) and math.isclose(back[1], 20, abs_tol=1e-12)


def test_negative_sizes_are_normalised(tmp_path: Path) -> None:
    (car,), _ = one(tmp_path, [rect(x=50, y=60, width=-10, height=-20)])
    assert car.geometry == [80, 40, 20, 20]
    # turned: the box spans from its corner (100, 60) by (-20, -20) px in its own turned frame
    (turned,), _ = one(tmp_path, [rect(x=50, y=60, width=-10, height=-20, rotation=45)])
    x, y, w, h, r = turned.geometry
    t = math.radians(45)
    cx, cy = 100 - 10 * math.cos(t) + 10 * math.sin(t), 60 - 10 * math.sin(t) - 10 * math.cos(t)
    assert (w, h, r) == (20, 20, 45)
    assert math.isclose(x + 10, cx, rel_tol=1e-12) and math.isclose(y + 10, cy, rel_tol=1e-12)


def test_each_shape_type(tmp_path: Path) -> None:
    base = {**SIZE, "to_name": "image", "origin": "manual"}
    result: list[Any] = [
        {
            **base,
            "id": "p",
            "type": "polygonlabels",
            "from_name": "poly",
            "value": {"points": [[0, 0], [50, 0], [50, 50]], "closed": True, "polygonlabels": ["lake"]},
        },
        {
            **base,
            "id": "k",
            "type": "keypointlabels",
            "from_name": "kp",
            "value": {"x": 50, "y": 50, "width": 0.75, "keypointlabels": ["eye"]},
        },
        {
            **base,
            "id": "e",
            "type": "ellipselabels",
            "from_name": "el",
            "value": {
                "x": 50,
                "y": 50,
                "radiusX": 10,
                "radiusY": 10,
                "rotation": 0,
                "ellipselabels": ["ring"],
            },
        },
        {
            **base,
            "id": "plain",
            "type": "rectangle",
            "from_name": "box",
            "value": {"x": 0, "y": 0, "width": 10, "height": 10, "rotation": 0},
        },
    ]
    anns, issues = one(tmp_path, result)
    assert issues == []
    assert [(a.kind, a.uid, a.name, a.geometry) for a in anns] == [
        ("polygon", "p", "lake", [[0, 0, 100, 0, 100, 50]]),
        ("point", "k", "eye", [100, 50]),
        ("ellipse", "e", "ring", [100, 50, 20, 10]),
        ("bbox", "plain", "box", [0, 0, 20, 10]),  # an unlabelled Rectangle tool: the class is its name
    ]


def test_labels_control_names_the_class_of_its_region(tmp_path: Path) -> None:
    """The OCR template: Labels + Rectangle + a per-region TextArea, three results of one id."""
    geo = {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0}
    base = {**SIZE, "id": "ocr1", "to_name": "image", "origin": "manual"}
    result = [
        {**base, "type": "rectangle", "from_name": "bbox", "value": dict(geo)},
        {**base, "type": "labels", "from_name": "label", "value": {**geo, "labels": ["Text"]}},
        {
            **base,
            "type": "textarea",
            "from_name": "transcription",
            "value": {**geo, "text": ["line 1", "line 2"]},
        },
    ]
    (ann,), issues = one(tmp_path, result)
    assert issues == []
    assert (ann.name, ann.uid, ann.extra) == (
        "Text",
        "ocr1",
        {"attributes": {"transcription": "line 1\nline 2"}},
    )


def test_several_labels_on_one_region(tmp_path: Path) -> None:
    anns, _ = one(tmp_path, [rect("r9", labels=["car", "bus"])])
    assert [(a.uid, a.name) for a in anns] == [("r9", "car"), ("r9#2", "bus")]
    assert anns[0].geometry == anns[1].geometry


def test_relations(tmp_path: Path) -> None:
    result = [
        rect("a"),
        rect("b"),
        {"from_id": "a", "to_id": "b", "type": "relation", "direction": "left", "labels": []},
        {"from_id": "a", "to_id": "b", "type": "relation", "direction": "bi", "labels": ["near", "touches"]},
    ]
    anns, _ = one(tmp_path, result)
    rels = [(a.name, a.geometry) for a in anns if a.kind == "relationship"]
    assert rels == [
        ("relation", {"source": "b", "target": "a", "type": "unidirectional"}),
        ("near", {"source": "a", "target": "b", "type": "bidirectional"}),
        ("touches", {"source": "a", "target": "b", "type": "bidirectional"}),
    ]


def test_image_level_choices(tmp_path: Path) -> None:
    base = {"to_name": "image", "type": "choices", "origin": "manual"}
    result = [
        {**base, "id": "c1", "from_name": "weather", "value": {"choices": ["sunny"]}},
        {**base, "id": "c2", "from_name": "tags", "value": {"choices": ["a", "b"]}},
    ]
    (w, t), issues = one(tmp_path, result)
    assert issues == []
    assert (w.kind, w.name, w.answer.value, w.answer.loose) == ("classification", "weather", "sunny", True)
    assert isinstance(t.answer.value, list) and all(isinstance(c, Choice) for c in t.answer.value)
    assert [c.name for c in t.answer.value] == ["a", "b"]


def test_empty_result_is_an_empty_label_and_no_annotation_is_no_record(tmp_path: Path) -> None:
    empty = task([])
    unlabelled = task([], image="/data/local-files/?d=b.jpg", annotations=[])
    cancelled = task([rect()], image="/data/local-files/?d=c.jpg")
    cancelled["annotations"][0]["was_cancelled"] = True
    records, issues = run(tmp_path, [empty, unlabelled, cancelled])
    assert issues == [] and [(str(r.row), r.annotations) for r in records] == [("a.jpg", [])]


def test_one_task_object_and_legacy_completions(tmp_path: Path) -> None:
    doc = task([rect()])
    doc["completions"] = doc.pop("annotations")
    records, issues = run(tmp_path, doc)
    assert issues == [] and len(records[0].annotations) == 1 and records[0].location.pointer == "/"


def test_predictions(tmp_path: Path) -> None:
    doc = task([], predictions=[{"id": 3, "model_version": "m1", "score": 0.5, "result": [rect("p1")]}])
    records, _ = run(tmp_path, [doc], source="predictions")
    assert [a.uid for a in records[0].annotations] == ["p1"]


def test_which_annotation(tmp_path: Path) -> None:
    doc = task([rect("one")])
    doc["annotations"] += [
        {"id": 11, "result": [rect("two")], "was_cancelled": False, "ground_truth": True},
        {"id": 12, "result": [rect("three")], "was_cancelled": True, "ground_truth": False},
    ]
    records, issues = run(tmp_path, [doc])
    assert records == [] and codes(issues) == [("invalid_value", "/0/annotations")]
    assert "(id 10, id 11)" in issues[0].message and issues[0].location.data_row == "a.jpg"
    assert issues[0].hint == "--option annotation=first|last|ground_truth"
    for option, expect in (("first", "one"), ("last", "two"), ("ground_truth", "two")):
        records, issues = run(tmp_path, [doc], annotation=option)
        assert [a.uid for a in records[0].annotations] == [expect] and issues == []
    doc["annotations"][1]["ground_truth"] = False
    records, issues = run(tmp_path, [doc], annotation="ground_truth")
    assert records == [] and "no annotation is flagged ground_truth" in issues[0].message


def test_bad_option_values(tmp_path: Path) -> None:
    records, issues = run(tmp_path, [task([rect()])], annotation="best", source="predictions")
    assert records == [] and [i.code for i in issues] == ["invalid_value"]
    assert issues[0].hint == "--option annotation=only|first|last|ground_truth"
    records, issues = run(tmp_path, [task([rect()])], annotation="ground_truth", source="predictions")
    assert records == [] and "predictions have no ground_truth" in issues[0].message


# --- rows -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "original", "expect"),
    [
        ("/data/local-files/?d=train/a%20b%2Bc.jpg", False, "train/a b+c.jpg"),
        ("http://localhost:8080/data/local-files/?d=/train/a.jpg", False, "train/a.jpg"),
        ("s3://bucket/train/a.jpg", False, "train/a.jpg"),
        ("gs://bucket/a.jpg", False, "a.jpg"),
        ("azure-blob://container/x/a.jpg", False, "x/a.jpg"),
        ("https://example.com/media/a%20b.jpg", False, "media/a b.jpg"),
        ("/data/upload/12/3f2a9b1c-cat.jpg", False, "3f2a9b1c-cat.jpg"),
        ("/data/upload/12/3f2a9b1c-cat.jpg", True, "cat.jpg"),
        ("http://ls.example.com/data/upload/1/0a1b2c3d-dog-2.png", True, "dog-2.png"),
        ("/data/upload/12/cat.jpg", True, "cat.jpg"),  # no prefix to drop
        ("/data/upload/12/3F2A9B1C-cat.jpg", True, "3F2A9B1C-cat.jpg"),  # not Label Studio's (lower hex)
        ("train/a.jpg", False, "train/a.jpg"),
        ("file:///data/train/a.jpg", False, "data/train/a.jpg"),
    ],
)
def test_image_path(url: str, original: bool, expect: str) -> None:
    assert ls.image_path(url, original) == expect


def test_row_options(tmp_path: Path) -> None:
    doc = task([rect()], image="/data/local-files/?d=datasets/cars/train/a.jpg")
    records, _ = run(tmp_path, [doc], path_prefix="datasets/cars/")
    assert str(records[0].row) == "train/a.jpg"
    records, _ = run(tmp_path, [doc], match="name")
    assert str(records[0].row) == "a.jpg"
    other = task([rect()], image="x")
    other["data"] = {"img": "/data/local-files/?d=b.jpg", "caption": "hello"}
    records, issues = run(tmp_path, [other])
    assert records == [] and codes(issues) == [("missing_field", "/0/data")]
    assert issues[0].hint == "--option image_key=<key>"
    records, _ = run(tmp_path, [other], image_key="img")
    assert str(records[0].row) == "b.jpg"
    other["annotations"][0]["result"][0]["to_name"] = "img"
    records, _ = run(tmp_path, [other])  # the results' to_name names the data key
    assert str(records[0].row) == "b.jpg"


# --- structural issues ------------------------------------------------------------------------------


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    records, issues = run(tmp_path, '[\n  {"id": 1,\n   "data": {]\n')
    assert records == [] and [(i.code, i.location.line) for i in issues] == [("invalid_json", 3)]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b'[{"data": {"image": "\xff"}}]')
    issues = Sink()
    assert list(ls.read(path, issues, {})) == []
    assert [(i.code, i.location.pointer) for i in issues] == [("unreadable_payload", "/0")]


def test_missing_payload_and_empty_folder(tmp_path: Path) -> None:
    issues = Sink()
    assert list(ls.read(tmp_path / "nope.json", issues, {})) == []
    (tmp_path / "empty").mkdir()
    assert list(ls.read(tmp_path / "empty", issues, {})) == []
    assert [i.code for i in issues] == ["unreadable_payload", "unreadable_payload"]


def test_top_level_and_task_shapes(tmp_path: Path) -> None:
    _, issues = run(tmp_path, "42")
    assert codes(issues) == [("wrong_type", "")]
    good = task([rect()])
    no_result = task([])
    del no_result["annotations"][0]["result"]
    bad_result = task([])
    bad_result["annotations"][0]["result"] = {}
    records, issues = run(
        tmp_path,
        [7, {"annotation_id": 3, "image": "a.jpg", "label": []}, {"data": []}, good, no_result, bad_result],
    )
    assert len(records) == 1 and records[0].location.pointer == "/3"
    assert codes(issues) == [
        ("wrong_type", "/0"),
        ("missing_field", "/1/data"),
        ("wrong_type", "/2/data"),
        ("missing_field", "/4/annotations/0/result"),
        ("wrong_type", "/5/annotations/0/result"),
    ]
    assert "JSON-MIN" in (issues[1].hint or "")
    assert [i.location.line for i in issues[:3]] == [2, 3, 8]


def test_result_issues_point_at_the_field_and_the_rest_goes_on(tmp_path: Path) -> None:
    bad_x = rect("bx", x="10")
    no_y = rect("ny")
    del no_y["value"]["y"]
    result: list[Any] = [
        "oops",
        {"id": "t", "value": {}},
        bad_x,
        no_y,
        rect("e", labels=[]),
        rect("rot", size=False, rotation=10),
        rect("ir"),
        {**rect("iw"), "original_width": 640},
        {**rect("nv"), "value": None},
        rect("ok"),
    ]
    result[6]["image_rotation"] = 90
    anns, issues = one(tmp_path, result)
    p = "/0/annotations/0/result"
    assert codes(issues) == [
        ("wrong_type", f"{p}/0"),
        ("missing_field", f"{p}/1/type"),
        ("wrong_type", f"{p}/2/value/x"),
        ("missing_field", f"{p}/3/value/y"),
        ("invalid_value", f"{p}/4/value/rectanglelabels"),
        ("missing_field", f"{p}/5"),
        ("invalid_value", f"{p}/6/image_rotation"),
        ("invalid_value", f"{p}/7/original_width"),
        ("missing_field", f"{p}/8/value"),
    ]
    assert [i.location.annotation_id for i in issues[2:]] == ["bx", "ny", "e", "rot", "ir", "iw", "nv"]
    assert all(i.location.data_row == "a.jpg" for i in issues[1:])
    # each result's issues name the line the result starts on
    text = (tmp_path / "export.json").read_text(encoding="utf-8").splitlines()
    assert text[issues[0].location.line - 1].strip() == '"oops",'  # type: ignore[operator]
    lines = [i.location.line or 0 for i in issues]
    assert lines == sorted(set(lines)) and all(text[n - 1].strip() == "{" for n in lines[1:])
    assert [a.uid for a in anns] == ["ok"]


def test_unsupported_results(tmp_path: Path) -> None:
    result = [
        {
            "id": "t1",
            "type": "labels",
            "from_name": "ner",
            "to_name": "text",
            "value": {"start": 0, "end": 5, "text": "Hello", "labels": ["PER"]},
        },
        {"id": "t2", "type": "rating", "from_name": "stars", "to_name": "image", "value": {"rating": 4}},
        {
            **SIZE,
            "id": "t3",
            "type": "brushlabels",
            "from_name": "b",
            "to_name": "image",
            "value": {"format": "png", "brushlabels": ["seg"]},
        },
    ]
    anns, issues = one(tmp_path, result)
    assert anns == []
    assert [i.code for i in issues] == ["unsupported_annotation"] * 3
    assert "text span" in issues[0].message and (issues[1].location.pointer or "").endswith("/1/type")


def test_brush_issues(tmp_path: Path) -> None:
    m = np.zeros((100, 200), bool)
    m[0, 0] = True
    good = masks.to_labelstudio_rle(m)
    base = {"type": "brushlabels", "from_name": "b", "to_name": "image"}
    result = [
        {**SIZE, **base, "id": "b1", "value": {"format": "rle", "rle": good[:-9], "brushlabels": ["seg"]}},
        {**base, "id": "b2", "value": {"format": "rle", "rle": good, "brushlabels": ["seg"]}},
        {**SIZE, **base, "id": "b3", "value": {"format": "rle", "brushlabels": ["seg"]}},
        {**SIZE, **base, "id": "b4", "value": {"format": "rle", "rle": good, "brushlabels": ["seg"]}},
    ]
    anns, issues = one(tmp_path, result)
    assert [i.code for i in issues] == ["mask_invalid", "missing_field", "missing_field"]
    assert (masks.decode(anns[0].geometry) == m).all()


def test_per_region_answer_twice_and_shared_ids(tmp_path: Path) -> None:
    choice = {**SIZE, "id": "r1", "type": "choices", "from_name": "color", "to_name": "image",
              "value": {"choices": ["red"]}}  # fmt: skip
    anns, issues = one(tmp_path, [rect("r1"), choice, dict(choice), rect("r1")])
    assert [i.code for i in issues] == ["invalid_value", "duplicate_answer"]
    assert issues[0].location.pointer == "/0/annotations/0/result/3/id"
    assert anns[0].extra == {"attributes": {"color": "red"}}


def test_relation_issues(tmp_path: Path) -> None:
    result = [
        {"from_id": "a", "type": "relation"},
        {"from_id": "a", "to_id": ["b"], "type": "relation"},
        {"from_id": "a", "to_id": "b", "type": "relation", "direction": "up"},
        {"from_id": "a", "to_id": "b", "type": "relation", "labels": "x"},
    ]
    _, issues = one(tmp_path, result)
    assert codes(issues) == [
        ("missing_field", "/0/annotations/0/result/0/to_id"),
        ("wrong_type", "/0/annotations/0/result/1/to_id"),
        ("invalid_value", "/0/annotations/0/result/2/direction"),
        ("wrong_type", "/0/annotations/0/result/3/labels"),
    ]


def test_choice_issues(tmp_path: Path) -> None:
    base = {"id": "c", "type": "choices", "from_name": "w", "to_name": "image"}
    result = [
        {**base, "value": {}},
        {**base, "value": {"choices": "sunny"}},
        {**base, "value": {"choices": []}},
        {**base, "from_name": 3, "value": {"choices": ["a"]}},
    ]
    _, issues = one(tmp_path, result)
    assert [i.code for i in issues] == ["missing_field", "wrong_type", "invalid_value", "wrong_type"]


# --- detection --------------------------------------------------------------------------------------


def test_detect(tmp_path: Path) -> None:
    found = ls.detect(FIXTURE)
    assert found.confidence >= 0.9 and "`data` object" in found.reasons[0]

    def det(doc: Any, name: str = "x.json") -> Detection:
        path = tmp_path / name
        path.write_text(json.dumps(doc), encoding="utf-8")
        return ls.detect(path)

    assert det(task([rect()])).confidence >= 0.8
    minimal = det([{"image": "a.jpg", "id": 1, "label": [], "annotator": 1, "annotation_id": 2}])
    assert minimal.confidence == 0 and "JSON-MIN" in minimal.reasons[0]
    coco = det({"images": [], "annotations": [], "categories": []})
    assert coco.confidence == 0 and "no `data`" in coco.reasons[0]
    assert det([]).confidence == 0
    assert det([task([rect()])], "x.ndjson").confidence == 0
    (tmp_path / "broken.json").write_text("[{", encoding="utf-8")
    assert ls.detect(tmp_path / "broken.json").confidence == 0
    folder = tmp_path / "export"
    folder.mkdir()
    assert ls.detect(folder).confidence == 0
    (folder / "tasks.json").write_text(json.dumps([task([rect()])]), encoding="utf-8")
    assert ls.detect(folder).confidence >= 0.8


def test_detect_large_file_by_its_head(tmp_path: Path) -> None:
    big = [copy.deepcopy(task([rect(str(i))])) for i in range(10000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(big), encoding="utf-8")
    assert path.stat().st_size > 4 << 20
    found = ls.detect(path)
    assert found.confidence == 0.9 and "64 KiB" in found.reasons[0]
    issues = Sink()
    assert len(list(ls.read(path, issues, {}))) == 10000 and issues == []


def test_top_left_and_centre_are_inverse() -> None:
    for rot in (0.5, 30, 90, 179, -45, 270):
        box = ls.top_left_to_centre(12.5, 40, 30, 10, rot)
        x, y = ls.centre_to_top_left(*box)
        assert math.isclose(x, 12.5, rel_tol=1e-12) and math.isclose(y, 40, rel_tol=1e-12)


# --- writer -----------------------------------------------------------------------------------------


def test_writer_reports_what_it_cannot_carry(tmp_path: Path) -> None:
    onto = parse_ontology(
        {
            "tools": [
                {"name": "car", "tool": "rectangle"},
                {"name": "lake", "tool": "polygon"},
                {"name": "seg", "tool": "raster-segmentation"},
                {"name": "body", "tool": "skeleton", "keypoints": ["a", "b"], "edges": [[1, 2]]},
            ]
        }
    )
    ctx = ExportContext(project="p", media_type="image", ontology=onto, options={"image_prefix": "s3://b/"})
    ref = RowRef(id="r", global_key="/x/a b.jpg", parent_path="/x", filename="a b.jpg")
    small = masks.encode(np.ones((2, 2), bool))
    anns = [
        Annotation(
            kind="bbox",
            uid="u1",
            name="car",
            geometry=[0, 0, 10, 10],
            extra={"attributes": {"truncated": 0, "note": "ok"}, "iscrowd": 0, "tool": "rectangle"},
        ),
        Annotation(kind="polygon", uid="u2", name="lake", geometry=[[0, 0, 5, 0, 5, 5], [6, 6, 8, 6, 8, 8]]),
        Annotation(kind="keypoints", uid="u3", name="body", geometry=[1, 1, 2, 3, 3, 2]),
        Annotation(kind="mask", uid="u4", name="seg", geometry=small),
    ]
    rows = [
        ExportRow(ref=ref, media_type="image", metadata={"width": 40, "height": 20}, annotations=anns),
        ExportRow(
            ref=RowRef(id="s", global_key="/y.jpg", parent_path="/", filename="y.jpg"),
            media_type="image",
            metadata={},
            annotations=[Annotation(kind="bbox", uid="u5", name="car", geometry=[0, 0, 1, 1])],
        ),
    ]
    summary = ls.write(rows, tmp_path / "out.json", ctx)
    lost = [
        (i.location.annotation_id, i.message.removeprefix("labelstudio cannot carry "), i.severity.value)
        for i in summary.not_expressible
    ]
    assert lost == [
        ("u1", "the field `iscrowd` of bbox `car`", "info"),  # COCO's default 0: bookkeeping
        ("u1", "the number type of the attribute `truncated` of `car` (written as text)", "error"),
        (
            "u1",
            "the control of the attribute `note` of `car`, which no classification of the ontology "
            "defines (written as a per-region textarea)",
            "info",
        ),
        ("u2", "a polygon with several rings (`lake`)", "error"),
        ("u3", "a keypoints (`body`)", "error"),
        ("u4", "a mask (`seg`) whose mask does not fit the image", "error"),
        ("u5", "a bbox on a row without width/height", "error"),
    ]
    assert (summary.rows, summary.annotations) == (2, 1)
    t1, t2 = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert t1["data"]["image"] == "s3://b/x/a b.jpg" and t2["annotations"][0]["result"] == []
    box, truncated, note = t1["annotations"][0]["result"]
    assert box["value"] == {
        "x": 0,
        "y": 0,
        "width": 25,
        "height": 50,
        "rotation": 0,
        "rectanglelabels": ["car"],
    }
    assert (truncated["type"], truncated["value"]["text"]) == ("textarea", ["0"])
    assert (note["id"], note["from_name"], note["value"]["text"]) == ("u1", "note", ["ok"])
    assert note["value"]["x"] == 0  # per-region results repeat the region's geometry, as Label Studio does
    http = ExportContext(
        project="p", media_type="image", ontology=onto, options={"image_prefix": "https://h/img/"}
    )
    ls.write(rows[:1], tmp_path / "h.json", http)
    (t,) = json.loads((tmp_path / "h.json").read_text(encoding="utf-8"))
    assert t["data"]["image"] == "https://h/img/x/a%20b.jpg"
    assert ls.image_path(t["data"]["image"]) == "img/x/a b.jpg"


# --- review fixes: scores, reshaping, detection of unlabelled tasks first ---------------------------


def test_prediction_scores_become_confidence(tmp_path: Path) -> None:
    own = {**rect("p1"), "score": 0.25}
    pred = {"id": 3, "model_version": "m1", "score": 0.75, "result": [own, rect("p2")]}
    records, issues = run(tmp_path, [task([], predictions=[pred])], source="predictions")
    assert issues == []
    assert [(a.uid, a.extra) for a in records[0].annotations] == [
        ("p1", {"confidence": 0.25}),  # the result's own score
        ("p2", {"confidence": 0.75}),  # else the prediction's
    ]
    bad = {**pred, "score": "high", "result": [{**rect("p3"), "score": [1]}]}
    records, issues = run(tmp_path, [task([], predictions=[bad])], source="predictions")
    assert codes(issues) == [
        ("wrong_type", "/0/predictions/0/score"),
        ("wrong_type", "/0/predictions/0/result/0/score"),
    ]
    assert records[0].annotations == []


def _ctx(
    tools: list[dict[str, Any]], classifications: list[dict[str, Any]] | None = None, **options: str
) -> ExportContext:
    onto = parse_ontology({"tools": tools, "classifications": classifications or []})
    return ExportContext(project="p", media_type="image", ontology=onto, options=options)


def _row(anns: list[Annotation]) -> ExportRow:
    ref = RowRef(id="r", global_key="/a.jpg", parent_path="/", filename="a.jpg")
    return ExportRow(ref=ref, media_type="image", metadata={"width": 200, "height": 100}, annotations=anns)


COLOR = {"name": "color", "type": "radio", "options": [{"value": "red"}, {"value": "blue"}]}


def test_a_region_of_several_labels_is_written_as_one_again(tmp_path: Path) -> None:
    """Read as `r1` (car) and `r1#2` (bus): written back as the one region with both labels; the
    per-region choice answers `car`'s radio and is kept on `bus`, and stays a `choices` result."""
    records, _ = run(tmp_path, [task([rect("r1", labels=["car", "bus"]), _choice("r1", "color", "red")])])
    car, bus = records[0].annotations
    car.classifications = [Answer(name="color", value=Choice(name="red"))]  # as validation answers it
    car.extra = None
    ctx = _ctx(
        [
            {"name": "car", "tool": "rectangle", "classifications": [COLOR]},
            {"name": "bus", "tool": "rectangle"},
        ]
    )
    summary = ls.write([_row([bus, car])], tmp_path / "out.json", ctx)
    assert summary.not_expressible == [] and summary.annotations == 2
    (t,) = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    result = t["annotations"][0]["result"]
    assert [(r["id"], r["type"]) for r in result] == [("r1", "rectanglelabels"), ("r1", "choices")]
    assert result[0]["value"]["rectanglelabels"] == ["car", "bus"]
    assert result[1]["value"]["choices"] == ["red"]
    again, issues = run(tmp_path, [{"data": t["data"], "annotations": t["annotations"]}])
    assert issues == [] and [(a.uid, a.name) for a in again[0].annotations] == [
        ("r1", "car"),
        ("r1#2", "bus"),
    ]
    # parts that no longer agree are separate regions, each under its own id
    moved = Annotation(kind="bbox", uid="r1#2", name="bus", geometry=[0, 0, 5, 5])
    ls.write([_row([car, moved])], tmp_path / "apart.json", ctx)
    (t,) = json.loads((tmp_path / "apart.json").read_text(encoding="utf-8"))
    ids = [(r["id"], r["value"].get("rectanglelabels")) for r in t["annotations"][0]["result"]]
    assert ids == [("r1", ["car"]), ("r1", None), ("r1#2", ["bus"])]


def _choice(rid: str, name: str, *choices: str) -> dict[str, Any]:
    value = {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0, "choices": list(choices)}
    return {**SIZE, "id": rid, "type": "choices", "from_name": name, "to_name": "image", "value": value}


def test_several_texts_round_trip_as_several(tmp_path: Path) -> None:
    base = {"to_name": "image", "type": "textarea"}
    result = [
        {**base, "id": "t1", "from_name": "caption", "value": {"text": ["two cars", "one bus"]}},
        rect("r1"),
        {**SIZE, **base, "id": "r1", "from_name": "plate", "value": {"text": ["AB", "123"]}},
    ]
    records, issues = run(tmp_path, [task(result)])
    caption, car = records[0].annotations
    assert issues == [] and caption.answer.value == "two cars\none bus"
    assert car.extra == {"attributes": {"plate": "AB\n123"}}
    text = {"name": "plate", "type": "text"}
    ctx = _ctx(
        [{"name": "car", "tool": "rectangle", "classifications": [text]}],
        [{"name": "caption", "type": "text"}],
    )
    summary = ls.write([_row([caption, car])], tmp_path / "out.json", ctx)
    assert summary.not_expressible == []
    (t,) = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    texts = {
        r["from_name"]: r["value"]["text"] for r in t["annotations"][0]["result"] if r["type"] == "textarea"
    }
    assert texts == {"caption": ["two cars", "one bus"], "plate": ["AB", "123"]}  # as the file had them


def test_an_answer_s_own_attributes_are_reported(tmp_path: Path) -> None:
    """A CVAT tag's attributes stay beside its answer; Label Studio has no place for them."""
    tag = Annotation(
        kind="radio",
        uid="t1",
        name="weather",
        answer=Answer(name="weather", value=Choice(name="sunny")),
        extra={"attributes": {"confidence": "high"}, "source": "manual"},
    )
    ctx = _ctx([], [{"name": "weather", "type": "radio", "options": [{"value": "sunny"}]}])
    summary = ls.write([_row([tag])], tmp_path / "out.json", ctx)
    assert [(i.message, i.severity.value) for i in summary.not_expressible] == [
        ("labelstudio cannot carry the field `source` of radio `weather`", "info"),
        (
            "labelstudio cannot carry the attributes `confidence` of the answer to `weather` "
            "(a Label Studio answer has none)",
            "error",
        ),
    ]


def test_confidence_is_written_as_prediction_scores(tmp_path: Path) -> None:
    ctx = _ctx([{"name": "car", "tool": "rectangle"}], source="predictions")
    anns = [
        Annotation(kind="bbox", uid="a", name="car", geometry=[0, 0, 10, 10], extra={"confidence": 0.5}),
        Annotation(kind="bbox", uid="b", name="car", geometry=[5, 5, 10, 10], extra={"confidence": 0.5}),
    ]
    summary = ls.write([_row(anns)], tmp_path / "p.json", ctx)
    assert summary.not_expressible == []
    (t,) = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert t["annotations"] == [] and [p["score"] for p in t["predictions"]] == [0.5]
    assert [r["score"] for r in t["predictions"][0]["result"]] == [0.5, 0.5]
    records, issues = run(tmp_path, [t], source="predictions")
    assert issues == [] and [a.extra for a in records[0].annotations] == [{"confidence": 0.5}] * 2
    # scores that differ: each result has its own, the prediction none (it would stand for a missing one)
    anns[1].extra = {"confidence": 0.25}
    anns.append(Annotation(kind="bbox", uid="c", name="car", geometry=[1, 1, 2, 2]))
    ls.write([_row(anns)], tmp_path / "q.json", ctx)
    (t,) = json.loads((tmp_path / "q.json").read_text(encoding="utf-8"))
    assert "score" not in t["predictions"][0]
    assert [r.get("score") for r in t["predictions"][0]["result"]] == [0.5, 0.25, None]
    records, _ = run(tmp_path, [t], source="predictions")
    assert [a.extra for a in records[0].annotations] == [{"confidence": 0.5}, {"confidence": 0.25}, None]
    # as annotations: the score has no place; reported as INFO (a score is not a label)
    summary = ls.write([_row(anns)], tmp_path / "a.json", _ctx([{"name": "car", "tool": "rectangle"}]))
    assert [(i.location.annotation_id, i.severity.value) for i in summary.not_expressible] == [
        ("a", "info"),
        ("b", "info"),
    ]
    assert "--option source=predictions" in summary.not_expressible[0].message
    with pytest.raises(InvalidInputError) as exc:
        ls.write([], tmp_path / "x.json", _ctx([], source="guesses"))
    assert exc.value.code == "invalid_value"


def test_export_never_overwrites(tmp_path: Path) -> None:
    ctx = _ctx([])
    ls.write([], tmp_path / "a.json", ctx)
    with pytest.raises(InvalidInputError) as exc:
        ls.write([], tmp_path / "a.json", ctx)
    assert exc.value.code == "output_exists"
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "tasks.json").write_text("[]", encoding="utf-8")
    with pytest.raises(InvalidInputError):
        ls.write([], tmp_path / "full", ctx)
    assert (tmp_path / "full" / "tasks.json").read_text(encoding="utf-8") == "[]"


def test_detect_looks_past_unlabelled_tasks(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    bare = {"id": 1, "data": {"image": "/data/local-files/?d=b.jpg"}}
    path.write_text(json.dumps([bare, bare, task([rect()])]), encoding="utf-8")
    found = ls.detect(path)
    assert found.confidence == 0.95
    assert found.reasons[:2] == [
        "the first 2 tasks have `data` only",
        "task 3 has a `data` object and `annotations` and `predictions`",
    ]
    path.write_text(json.dumps([bare] * 30), encoding="utf-8")
    assert ls.detect(path) == Detection(
        0.0, ["the first 20 tasks (of 30) have `data` but no `annotations`/`predictions` list"]
    )
    path.write_text(json.dumps([bare, {"images": []}]), encoding="utf-8")
    assert ls.detect(path).reasons == ["task 2 has no `data` object (keys: images)"]
