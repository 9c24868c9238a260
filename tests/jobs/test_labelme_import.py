"""LabelMe JSON end to end, on both engines: files written by globox and by labelme 5.4.1 itself
import without false rejections; export and re-import give the same labels; a broken copy is
refused and changes nothing; what LabelMe cannot carry is named in the export summary.

Datumaro's ``label_me`` format is the MIT LabelMe XML (``Annotations/<subset>/<name>.xml``), not
wkentaro's JSON: its output is checked to be refused by detection, not imported.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labelport import Workspace
from labelport.formats import labelme, masks
from labelport.formats.base import Detection
from labelport.model.jobs import JobState
from labelport.model.records import Annotation, Choice
from tests.helpers import make_images

FIXTURE = Path(__file__).parents[1] / "formats" / "fixtures" / "labelme" / "ann" / "a.json"
W, H = 200, 100
ONTOLOGY = {
    "tools": [
        {
            "name": "car",
            "tool": "rectangle",
            "classifications": [
                {"name": "occluded", "type": "radio", "options": [{"value": "true"}, {"value": "false"}]},
                {"name": "color", "type": "radio", "options": [{"value": "red"}, {"value": "blue"}]},
            ],
        },
        {"name": "lake", "tool": "polygon"},
        {"name": "road", "tool": "line"},
        {"name": "eye", "tool": "point"},
        {"name": "ball", "tool": "ellipse"},
        {"name": "seg", "tool": "raster-segmentation"},
        {"name": "person", "tool": "rectangle"},
    ],
    "classifications": [
        {"name": "scene", "type": "radio", "options": [{"value": "indoor"}, {"value": "outdoor"}]},
        {"name": "quality", "type": "radio", "options": [{"value": "blurry"}, {"value": "sharp"}]},
        {"name": "caption", "type": "text"},
    ],
}


@pytest.fixture
def lm(ws: Workspace, tmp_path: Path) -> Workspace:
    """Rows `images/a.png`, `images/b.png` (200x100) and `images/train/c.png` (64x48)."""
    make_images(
        tmp_path / "data", {"images/a.png": (W, H), "images/b.png": (W, H), "images/train/c.png": (64, 48)}
    )
    ws.create_dataset("d")
    ws.add_rows("d", [tmp_path / "data"])
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="image")
    ws.create_batch("p", "b", dataset="d")
    return ws


def payload(tmp_path: Path, name: str = "payload") -> Path:
    """The labelme 5.4.1 fixture at `ann/a.json`, naming `..\\images\\a.png`."""
    root = tmp_path / name
    (root / "ann").mkdir(parents=True)
    shutil.copy(FIXTURE, root / "ann" / "a.json")
    return root


def errors(ws: Workspace, job_id: Any) -> list[Any]:
    return [i for i in ws.job_issues(job_id) if i.severity.value == "error"]


def by_name(anns: list[Annotation], name: str) -> list[Annotation]:
    return [a for a in anns if a.name == name]


# --- third-party files ---------------------------------------------------------------------------


def test_labelme_5_file_imports(lm: Workspace, tmp_path: Path) -> None:
    job = lm.import_labels("p", payload(tmp_path), format="labelme")
    assert job.state is JobState.SUCCEEDED, errors(lm, job.id)
    assert errors(lm, job.id) == []
    anns = lm.labels("p")["/images/a.png"]
    [car] = by_name(anns, "car")
    assert car.geometry == [20.0, 10.0, 40, 40.5]
    assert [(a.name, a.value.name) for a in car.classifications if isinstance(a.value, Choice)] == [
        ("occluded", "true")
    ]
    assert car.extra is not None and car.extra["group_id"] == 1
    [lake] = by_name(anns, "lake")
    assert lake.extra is not None and lake.extra["description"] == "shallow end"
    assert sorted(a.geometry for a in by_name(anns, "road")) == [
        [0.0, 0.0, 10.5, 10.0],
        [0.0, 99.0, 10.0, 90.0, 20.0, 95.5],
    ]
    assert by_name(anns, "eye")[0].geometry == [3.5, 4.0]
    assert sorted(a.geometry for a in by_name(anns, "ball")) == [
        [100.0, 50.0, 5, 5],
        [150.0, 50.0, math.sqrt(5), math.sqrt(5)],
    ]
    [seg] = by_name(anns, "seg")
    mask = masks.decode(seg.geometry)
    assert mask.sum() == 16 * 30 + 1 and mask[12:28, 25:55].all() and mask[10, 20]
    [scene] = by_name(anns, "scene")
    assert scene.answer is not None and isinstance(scene.answer.value, Choice)
    assert scene.answer.value.name == "outdoor"


def test_globox_files_import(lm: Workspace, tmp_path: Path) -> None:
    from globox import Annotation as GAnnotation
    from globox import AnnotationSet, BoundingBox

    boxes = {
        "a.png": [("car", 10.25, 20.5, 110.75, 70.125), ("person", 0, 0, W, H)],
        "b.png": [("car", 1.5, 2, 3.5, 4)],
    }
    aset = AnnotationSet(
        GAnnotation(
            name,
            (W, H),
            [BoundingBox(label=lab, xmin=x0, ymin=y0, xmax=x1, ymax=y1) for lab, x0, y0, x1, y1 in bs],
        )
        for name, bs in boxes.items()
    )
    out = tmp_path / "globox"
    aset.save_labelme(out)
    assert labelme.detect(out).confidence >= 0.9
    job = lm.import_labels("p", out, format="labelme")
    assert job.state is JobState.SUCCEEDED, errors(lm, job.id)
    labels = lm.labels("p")
    got = {k: sorted((a.name, a.geometry) for a in v) for k, v in labels.items()}
    assert got == {
        "/images/a.png": [("car", [10.25, 20.5, 100.5, 49.625]), ("person", [0, 0, W, H])],
        "/images/b.png": [("car", [1.5, 2, 2, 2])],
    }


def test_datumaro_label_me_is_mit_xml_not_this_format(tmp_path: Path) -> None:
    import datumaro as dm
    from datumaro.components.annotation import AnnotationType, Bbox, LabelCategories
    from datumaro.components.media import Image as DmImage

    item = dm.DatasetItem(
        id="a",
        media=DmImage.from_numpy(np.zeros((H, W, 3), np.uint8)),
        annotations=[Bbox(1, 2, 3, 4, label=0)],
    )
    ds = dm.Dataset.from_iterable(
        [item], categories={AnnotationType.label: LabelCategories.from_iterable(["car"])}
    )
    ds.export(str(tmp_path / "dm"), "label_me", save_media=True)
    assert (tmp_path / "dm" / "Annotations" / "default" / "a.xml").exists()
    assert labelme.detect(tmp_path / "dm") == Detection(0.0, ["no .json files"])


def test_image_root_and_subfolders(lm: Workspace, tmp_path: Path) -> None:
    """JSON files in a tree of their own, naming images in a sibling tree, on Windows."""
    root = tmp_path / "labels"
    doc: dict[str, Any] = {
        "version": "4.5.6",
        "flags": {},
        "shapes": [
            {"label": "eye", "points": [[1, 2]], "shape_type": "point", "group_id": None, "flags": {}}
        ],
        "imagePath": "..\\..\\data\\images\\train\\c.png",
        "imageData": None,
        "imageHeight": 48,
        "imageWidth": 64,
    }
    (root / "train").mkdir(parents=True)
    (root / "train" / "c.json").write_text(json.dumps(doc), encoding="utf-8")
    # without the option the path leaves the payload and its basename is unique among the rows
    job = lm.import_labels("p", root, format="labelme")
    assert job.state is JobState.SUCCEEDED, errors(lm, job.id)
    lm.create_project("p2", ontology="o", media_type="image")
    lm.create_batch("p2", "b", dataset="d")
    job = lm.import_labels("p2", root, format="labelme", options={"image_root": "../data"})
    assert job.state is JobState.SUCCEEDED, errors(lm, job.id)
    assert list(lm.labels("p2")) == ["/images/train/c.png"]


# --- round trip ----------------------------------------------------------------------------------


def _canon(labels: dict[str, list[Annotation]]) -> list[Any]:
    import msgspec

    out = []
    for key, anns in labels.items():
        for a in anns:
            d = msgspec.to_builtins(a)
            d.pop("uid")  # derived from content, which is written 20 where labelme wrote 20.0
            d = json.loads(json.dumps(d), parse_int=float)  # so 20 and 20.0 compare equal
            out.append((key, json.dumps(d, sort_keys=True)))
    return sorted(out)


def test_round_trip(lm: Workspace, tmp_path: Path) -> None:
    job = lm.import_labels("p", payload(tmp_path), format="labelme")
    assert job.state is JobState.SUCCEEDED
    out = tmp_path / "export"
    summary = lm.export("p", out, format="labelme")
    assert summary.rows == 1 and summary.annotations == 9 and summary.not_expressible == []
    doc = json.loads((out / "images" / "a.json").read_text(encoding="utf-8"))
    assert doc["imagePath"] == "a.png" and doc["flags"]["outdoor"] is True
    lm.create_project("p2", ontology="o", media_type="image")
    lm.create_batch("p2", "b", dataset="d")
    job = lm.import_labels("p2", out, format="labelme")
    assert job.state is JobState.SUCCEEDED, errors(lm, job.id)
    assert _canon(lm.labels("p2")) == _canon(lm.labels("p"))
    # and again: a second trip changes nothing, ids included
    out2 = tmp_path / "export2"
    lm.export("p2", out2, format="labelme")
    assert (out2 / "images" / "a.json").read_bytes() == (out / "images" / "a.json").read_bytes()


# --- refusals ------------------------------------------------------------------------------------


def _refused(ws: Workspace, root: Path) -> list[tuple[str, str | None, str | None]]:
    job = ws.import_labels("p", root, format="labelme")
    assert job.state is JobState.FAILED
    assert ws.labels("p") == {}
    return [(i.code, i.location.file, i.location.pointer) for i in errors(ws, job.id)]


def _edit(root: Path, change: Any) -> Path:
    path = root / "ann" / "a.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return root


def _truncate(root: Path) -> Path:
    path = root / "ann" / "a.json"
    path.write_bytes(path.read_bytes()[:-5])
    return root


REFUSALS: list[tuple[str, Any, tuple[str, str, str | None]]] = [
    (
        "points not an array",
        lambda d: d["shapes"][2].update(points="0,0 10,10"),
        ("wrong_type", "ann/a.json", "/shapes/2/points"),
    ),
    (
        "class spelled otherwise",
        lambda d: d["shapes"][0].update(label="Car"),
        ("unknown_class", "ann/a.json", "/shapes/0"),
    ),
    (
        "labelled on a resized copy",
        lambda d: d.update(imageWidth=640, imageHeight=480),
        ("image_size_mismatch", "ann/a.json", None),
    ),
    (
        "a flag no radio has",
        lambda d: d["flags"].update(outdoor=False, night=True),
        ("unknown_class", "ann/a.json", "/flags/night"),
    ),
    (
        "no such image",
        lambda d: d.update(imagePath="..\\images\\zzz.png"),
        ("data_row_not_found", "ann/a.json", None),
    ),
    ("broken JSON", None, ("invalid_json", "ann/a.json", None)),
]


def test_broken_copies_refused(lm: Workspace, tmp_path: Path) -> None:
    """Each broken copy fails its job with the right code and location, and writes nothing: not
    even the good file beside it."""
    for i, (why, change, expected) in enumerate(REFUSALS):
        root = payload(tmp_path, f"broken-{i}")
        root = _truncate(root) if change is None else _edit(root, change)
        (root / "b.json").write_text(
            json.dumps({"shapes": [], "imagePath": "images/b.png"}), encoding="utf-8"
        )
        assert _refused(lm, root) == [expected], why


# --- what export cannot carry --------------------------------------------------------------------


def test_export_reports_what_it_cannot_carry(lm: Workspace, tmp_path: Path) -> None:
    lines = [
        {
            "uuid": "00000000-0000-4000-8000-000000000001",
            "dataRow": {"globalKey": "/images/b.png"},
            "name": "car",
            "bbox": {"left": 1, "top": 2, "width": 3, "height": 4},
            "classifications": [{"name": "color", "answer": {"name": "red"}}],
        },
        {
            "uuid": "00000000-0000-4000-8000-000000000002",
            "dataRow": {"globalKey": "/images/b.png"},
            "name": "caption",
            "answer": "two cars",
        },
        {
            "uuid": "00000000-0000-4000-8000-000000000003",
            "dataRow": {"globalKey": "/images/b.png"},
            "name": "quality",
            "answer": {"name": "sharp"},
        },
    ]
    nd = tmp_path / "in.ndjson"
    nd.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    job = lm.import_labels("p", nd, format="ndjson")
    assert job.state is JobState.SUCCEEDED, errors(lm, job.id)
    summary = lm.export("p", tmp_path / "out", format="labelme")
    assert [(i.code, i.location.annotation_id) for i in summary.not_expressible] == [
        ("unsupported_annotation", "00000000-0000-4000-8000-000000000001"),
        ("unsupported_annotation", "00000000-0000-4000-8000-000000000002"),
    ]
    assert all(i.location.data_row == "/images/b.png" for i in summary.not_expressible)
    doc = json.loads((tmp_path / "out" / "images" / "b.json").read_text(encoding="utf-8"))
    assert doc["flags"] == {"indoor": False, "outdoor": False, "blurry": False, "sharp": True}
    assert doc["shapes"][0]["label"] == "car" and doc["shapes"][0]["flags"] == {}


def test_empty_folder_fails_and_a_used_output_is_refused(lm: Workspace, tmp_path: Path) -> None:
    from labelport.model.errors import InvalidInputError

    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    job = lm.import_labels("p", empty, format="labelme")
    assert job.state is JobState.FAILED and lm.labels("p") == {}
    assert [(i.code, i.message) for i in lm.job_issues(job.id)] == [
        ("unreadable_payload", "no LabelMe JSON files under empty")
    ]
    assert lm.import_labels("p", payload(tmp_path), format="labelme").state is JobState.SUCCEEDED
    out = tmp_path / "out"
    lm.export("p", out, format="labelme")
    before = (out / "images" / "a.json").read_bytes()
    for target in (out, out / "images" / "a.json"):
        with pytest.raises(InvalidInputError) as exc:
            lm.export("p", target, format="labelme")
        assert (exc.value.code, exc.value.hint) == ("output_exists", "choose a new path or empty it")
    assert (out / "images" / "a.json").read_bytes() == before
