"""CVAT for images 1.1 end to end, on SQLite and PostgreSQL: files written by CVAT (by hand, after its
exporter), by Datumaro's ``cvat`` exporter and by globox's ``save_cvat`` import with no false
rejection; a round trip through export is exact; a broken copy changes nothing; what CVAT cannot
carry is listed in the export summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from labelport import Workspace
from labelport.formats import masks
from labelport.model.jobs import JobState
from labelport.model.records import Annotation, Choice
from tests.helpers import make_images
from tests.jobs.conftest import write_ndjson

FIXTURE = Path(__file__).parents[1] / "formats" / "fixtures" / "cvat" / "annotations.xml"
W, H = 200, 100
ONTOLOGY = {
    "tools": [
        {
            "name": "car",
            "tool": "rectangle",
            "classifications": [
                {"name": "color", "type": "radio", "options": [{"value": "red"}, {"value": "blue"}]},
                {"name": "parked", "type": "radio", "options": [{"value": "true"}, {"value": "false"}]},
                {"name": "occluded", "type": "radio", "options": [{"value": "true"}, {"value": "false"}]},
            ],
        },
        {"name": "lake", "tool": "polygon"},
        {"name": "road", "tool": "line"},
        {"name": "eye", "tool": "point"},
        {"name": "blob", "tool": "ellipse"},
        {"name": "seg", "tool": "raster-segmentation"},
        {
            "name": "person",
            "tool": "skeleton",
            "keypoints": ["head", "hand", "foot"],
            "edges": [[1, 2], [2, 3]],
        },
    ],
    "classifications": [
        {"name": "weather", "type": "radio", "options": [{"value": "sunny"}, {"value": "cloudy"}]},
        {"name": "tags", "type": "checklist", "options": [{"value": "a"}, {"value": "b"}]},
        {"name": "caption", "type": "text"},
    ],
}
K1, K2 = "/img-1.png", "/sub/img-2.png"


@pytest.fixture
def cv(ws: Workspace, tmp_path: Path) -> Workspace:
    make_images(tmp_path / "assets", {"img-1.png": (W, H), "sub/img-2.png": (W, H)})
    ws.create_dataset("d")
    ws.add_rows("d", [tmp_path / "assets"])
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("p", ontology="o", media_type="image")
    ws.create_batch("p", "b", dataset="d")
    return ws


def errors(ws: Workspace, job_id: int) -> list[tuple[str, str]]:
    return [(i.code, i.message) for i in ws.job_issues(job_id) if i.severity.value == "error"]


def by_name(anns: list[Annotation]) -> dict[str, list[Annotation]]:
    out: dict[str, list[Annotation]] = {}
    for a in anns:
        out.setdefault(a.name or "", []).append(a)
    return out


def answers(a: Annotation) -> dict[str, Any]:
    return {
        c.name: c.value.name if isinstance(c.value, Choice) else c.value for c in a.classifications if c.name
    }


def test_file_as_cvat_writes_it(cv: Workspace, tmp_path: Path) -> None:
    job = cv.import_labels("p", FIXTURE, format="cvat")
    assert job.state is JobState.SUCCEEDED, errors(cv, job.id)
    # occluded="0|1" is the attribute `occluded`: `car` answers it, the other tools keep it (a warning each)
    assert sorted((i.code, i.message.split("`")[1]) for i in cv.job_issues(job.id)) == [
        ("attribute_not_in_ontology", tool) for tool in ("blob", "eye", "lake", "road", "seg")
    ]
    got = by_name(cv.labels("p")[K1])
    [car] = got["car"]
    assert car.geometry == [10.5, 20.0, 99.75, 50.0, 30.0]
    assert answers(car) == {"color": "red", "parked": "false", "occluded": "true"}
    assert car.extra == {"z_order": 2, "group_id": 3, "source": "manual", "tool": "rectangle"}
    assert got["lake"][0].extra == {"source": "manual", "attributes": {"occluded": False}, "tool": "polygon"}
    assert [e.geometry for e in got["eye"]] == [[3.5, 4.0], [1.0, 2.0], [7.0, 8.0], [9.0, 9.5]]
    assert got["blob"][0].geometry == [50.0, 50.0, 10.0, 5.0, 15.0]
    assert masks.area(got["seg"][0].geometry) == 5
    assert got["person"][0].geometry == [9.0, 9.0, 1.0, 0.0, 0.0, 0.0, 5.0, 5.0, 0.0]
    weather = got["weather"][0]
    assert weather.kind == "radio" and weather.answer is not None
    assert isinstance(weather.answer.value, Choice) and weather.answer.value.name == "sunny"
    assert weather.extra == {"source": "manual", "attributes": {"confidence": "high"}}


def _strip(labels: dict[str, list[Annotation]]) -> dict[str, list[Any]]:
    return {k: sorted((msgspec.to_builtins(a) for a in v), key=lambda d: d["uid"]) for k, v in labels.items()}


def test_round_trip_is_exact(cv: Workspace, tmp_path: Path) -> None:
    cv.import_labels("p", FIXTURE, format="cvat")
    out = tmp_path / "export"
    summary = cv.export("p", out, format="cvat")
    assert summary.not_expressible == [] and summary.annotations == 11
    cv.create_project("p2", ontology="o", media_type="image")
    cv.create_batch("p2", "b", dataset="d")
    job = cv.import_labels("p2", out, format="auto")
    assert job.state is JobState.SUCCEEDED, errors(cv, job.id)
    codes = [i.code for i in cv.job_issues(job.id)]
    assert (
        codes == ["format_detected"] + ["attribute_not_in_ontology"] * 5
    )  # occluded, as on the first import
    assert _strip(cv.labels("p2")) == _strip(cv.labels("p"))


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ('xbr="110.25"', 'xbr="wide"', "wrong_type"),
        ("</annotations>", "", "invalid_xml"),
        ('label="lake"', 'label="Lake"', "unknown_class"),
    ],
)
def test_broken_copy_changes_nothing(cv: Workspace, tmp_path: Path, old: str, new: str, code: str) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(FIXTURE.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    job = cv.import_labels("p", broken, format="cvat")
    assert job.state is JobState.FAILED
    assert [c for c, _ in errors(cv, job.id)] == [code]
    assert cv.labels("p") == {}


def test_datumaro_cvat_export(cv: Workspace, tmp_path: Path) -> None:
    from datumaro.components.annotation import (
        AnnotationType,
        Bbox,
        Label,
        LabelCategories,
        Mask,
        Points,
        Polygon,
        PolyLine,
        RotatedBbox,
    )
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image

    names = ["car", "lake", "road", "eye", "seg", "sunny"]
    cats = LabelCategories(attributes={"occluded"})
    for n in names:
        cats.add(n, attributes={"color"} if n == "car" else set())
    mask = np.zeros((H, W), np.uint8)
    mask[10:30, 20:60] = 1
    mask[50, 199] = 1
    assets = tmp_path / "assets"
    items = [
        DatasetItem(
            id="img-1",
            media=Image.from_file(str(assets / "img-1.png")),
            annotations=[
                Bbox(10.5, 20, 99.75, 50, label=0, attributes={"color": "blue", "occluded": True}, group=2),
                RotatedBbox(100, 50, 40, 20, 30, label=0),
                Polygon([1, 1, 5, 1, 5, 5], label=1, z_order=1),
                PolyLine([0, 0, 10, 10.25], label=2),
                Points([3.5, 4, 7, 8], label=3),
                Mask(mask, label=4),
                Label(5),
            ],
        ),
        DatasetItem(id="sub/img-2", media=Image.from_file(str(assets / "sub/img-2.png")), annotations=[]),
    ]
    dataset = Dataset.from_iterable(items, categories={AnnotationType.label: cats}, media_type=Image)
    out = tmp_path / "datumaro"
    dataset.export(str(out), "cvat", save_media=False)
    assert (out / "default.xml").is_file()
    job = cv.import_labels("p", out, format="auto")
    assert job.state is JobState.SUCCEEDED, errors(cv, job.id)
    # Datumaro writes occluded="0|1" on every shape: answered for `car`, kept (one warning) elsewhere
    issues = list(cv.job_issues(job.id))
    assert [i.code for i in issues][:1] == ["format_detected"]
    assert sorted((i.code, i.message.split("`")[1]) for i in issues[1:]) == [
        ("attribute_not_in_ontology", tool) for tool in ("eye", "lake", "road", "seg")
    ]
    labels = cv.labels("p")
    assert labels[K2] == []
    got = by_name(labels[K1])
    box, turned = got["car"]
    assert box.geometry == [10.5, 20.0, 99.75, 50.0]
    assert answers(box) == {"color": "blue", "occluded": "true"}
    assert box.extra == {"group_id": 2, "tool": "rectangle"}
    assert answers(turned) == {"occluded": "false"}
    assert turned.geometry == [80.0, 40.0, 40.0, 20.0, 30.0]
    assert got["lake"][0].geometry == [[1.0, 1.0, 5.0, 1.0, 5.0, 5.0]]
    assert got["lake"][0].extra == {"z_order": 1, "attributes": {"occluded": False}, "tool": "polygon"}
    assert got["road"][0].geometry == [0.0, 0.0, 10.0, 10.25]
    assert [e.geometry for e in got["eye"]] == [[3.5, 4.0], [7.0, 8.0]]
    assert (masks.decode(got["seg"][0].geometry) == mask.astype(bool)).all()
    weather = got["weather"][0].answer
    assert weather is not None and isinstance(weather.value, Choice) and weather.value.name == "sunny"


def test_globox_save_cvat(cv: Workspace, tmp_path: Path) -> None:
    from globox import Annotation as GAnnotation
    from globox import AnnotationSet, BoundingBox

    boxes = [
        BoundingBox(label="car", xmin=10, ymin=20, xmax=110.5, ymax=70.25),
        BoundingBox(label="car", xmin=0, ymin=0, xmax=W, ymax=H),
    ]
    anns = AnnotationSet(
        [
            GAnnotation("img-1.png", image_size=(W, H), boxes=boxes),
            GAnnotation("sub/img-2.png", image_size=(W, H), boxes=[]),
        ]
    )
    path = tmp_path / "globox.xml"
    anns.save_cvat(path)
    job = cv.import_labels("p", path, format="auto")
    assert job.state is JobState.SUCCEEDED, errors(cv, job.id)
    labels = cv.labels("p")
    assert [(a.name, a.geometry) for a in labels[K1]] == [
        ("car", [10.0, 20.0, 100.5, 50.25]),
        ("car", [0.0, 0.0, float(W), float(H)]),
    ]
    assert labels[K2] == []


def test_what_cvat_cannot_carry_is_reported(cv: Workspace, tmp_path: Path) -> None:
    row = {"globalKey": K1}
    lines = [
        {"dataRow": row, "name": "tags", "answer": [{"name": "a"}, {"name": "b"}]},
        {"dataRow": row, "name": "caption", "answer": "two cars"},
        {"dataRow": row, "name": "weather", "answer": {"name": "cloudy"}},
        {"dataRow": row, "name": "car", "bbox": {"top": 1, "left": 2, "height": 3, "width": 4}},
    ]
    job = cv.import_labels("p", write_ndjson(tmp_path / "a.ndjson", lines), format="ndjson")
    assert job.state is JobState.SUCCEEDED, errors(cv, job.id)
    out = tmp_path / "out.xml"
    summary = cv.export("p", out, format="cvat")
    assert sorted(i.message for i in summary.not_expressible) == [
        "CVAT cannot carry the checklist classification `tags` (a CVAT tag is one label)",
        "CVAT cannot carry the text classification `caption` (a CVAT tag is one label)",
    ]
    assert all(i.location.data_row == K1 and i.location.annotation_id for i in summary.not_expressible)
    assert summary.annotations == 2
    text = out.read_text(encoding="utf-8")
    assert '<tag label="cloudy"/>' in text and '<box label="car" xtl="2" ytl="1" xbr="6" ybr="4"' in text


def test_coco_bookkeeping_is_info_on_export(cv: Workspace, tmp_path: Path) -> None:
    """A COCO-origin project: the objects' own ids, areas and supercategories are not labels, so
    the CVAT export lists them as INFO only (`labelport export` exits 0); the labels are written."""
    coco = {
        "images": [{"id": 1, "file_name": "img-1.png", "width": W, "height": H}],
        "categories": [{"id": 1, "name": "car", "supercategory": "vehicle"}],
        "annotations": [
            {"id": 41, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 99, "iscrowd": 0}
        ],
    }
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(coco), encoding="utf-8")
    job = cv.import_labels("p", path, format="coco")
    assert job.state is JobState.SUCCEEDED, errors(cv, job.id)
    summary = cv.export("p", tmp_path / "out.xml", format="cvat")
    assert summary.annotations == 1 and summary.not_expressible
    assert {i.severity.value for i in summary.not_expressible} == {"info"}
    assert {i.message for i in summary.not_expressible} >= {"CVAT cannot carry the field `id`"}
