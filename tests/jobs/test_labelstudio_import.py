"""Label Studio JSON end to end, on SQLite and PostgreSQL: a project export written the way Label
Studio 1.x writes it (label-studio-converter cannot be installed here) imports with the expected
labels; import → export → import gives the same labels; a broken copy is refused and changes
nothing; what the format cannot carry is listed in the export summary."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as DET
import numpy as np
import pytest

from labelport import Workspace
from labelport.formats import masks
from labelport.model.jobs import JobState
from tests.helpers import ONTOLOGY, make_images
from tests.jobs.conftest import H, W, box_mask, uid, write_ndjson

FIXTURE = (
    Path(__file__).parents[1] / "formats/fixtures/labelstudio/project-1-at-2024-05-02-09-15-3f2a9b1c.json"
)
ONTO: dict[str, Any] = copy.deepcopy(ONTOLOGY)
ONTO["tools"] += [
    {"name": "bus", "tool": "rectangle"},
    {"name": "ring", "tool": "ellipse"},
    {"name": "body", "tool": "skeleton", "keypoints": ["head", "tail"], "edges": [[1, 2]]},
]


K1, K2, K3 = (f"/photos/img-{i}.png" for i in (1, 2, 3))


@pytest.fixture
def lsp(ws: Workspace, tmp_path: Path) -> Workspace:
    """Three real 200x100 PNGs added from a folder (photos/img-1.png ...), in two projects with the
    test ontology plus an ellipse and a skeleton tool."""
    make_images(tmp_path / "assets", {f"photos/img-{i}.png": (W, H) for i in (1, 2, 3)})
    ws.create_dataset("d")
    ws.add_rows("d", [tmp_path / "assets"])
    ws.create_ontology("o-ls", ONTO)
    for name in ("ls", "ls2"):
        ws.create_project(name, ontology="o-ls", media_type="image")
        ws.create_batch(name, "b", dataset="d")
    return ws


def tasks() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def errors(ws: Workspace, job_id: int) -> list[str]:
    return [i.code for i in ws.job_issues(job_id) if i.severity.value == "error"]


def by_uid(ws: Workspace, project: str, key: str) -> dict[str | None, Any]:
    return {a.uid: a for a in ws.labels(project)[key]}


def test_label_studio_export_imports(lsp: Workspace) -> None:
    job = lsp.import_labels("ls", FIXTURE, format="labelstudio")
    assert job.state is JobState.SUCCEEDED, [(i.code, i.message) for i in lsp.job_issues(job.id)]
    labels = lsp.labels("ls")
    assert set(labels) == {K1, K2}  # img-3's task has no annotation
    one = by_uid(lsp, "ls", K1)
    car = one["Xk3_9aPq1b"]
    # 33.333333333333336 % of 200 px, multiplied before divided and never rounded
    assert car.geometry == [10, 20, 33.333333333333336 * 200 / 100, 50]
    assert car.geometry[2] != 66.67
    nested = {a.name: a.value for a in car.classifications}
    assert nested["color"].name == "blue"
    assert [c.name for c in nested["occluded"]] == ["front", "back"]
    assert one["pL0yT2mWcE"].geometry == [[20, 10, 100, 10, 100, 60]]
    assert one["e1QwErTy01"].geometry == [20, 10] and one["e2QwErTy02"].geometry == [160, 50]
    assert (masks.decode(one["bR_uSh0001"].geometry) == box_mask()).all()
    rel = next(a for a in one.values() if a.kind == "relationship")
    assert rel.name == "follows" and rel.geometry["source"] == "e1QwErTy01"
    assert one["wX1aB2cD3e"].answer.value.name == "sunny"
    assert [c.name for c in one["tG5hJ6kL7m"].answer.value] == ["a"]
    assert one["cP8qR9sT0u"].answer.value == "two cars"
    # the rotated box: turned 30 degrees about its top-left corner (100, 20) in Label Studio
    (rot,) = lsp.labels("ls")[K2]
    x, y, w, h, r = rot.geometry
    assert (w, h, r) == (40, 30, 30)
    cx = 100 + 20 * math.cos(math.radians(30)) - 15 * math.sin(math.radians(30))
    cy = 20 + 20 * math.sin(math.radians(30)) + 15 * math.cos(math.radians(30))
    assert math.isclose(x + w / 2, cx, rel_tol=1e-12) and math.isclose(y + h / 2, cy, rel_tol=1e-12)


def test_predictions_are_read_on_request(lsp: Workspace) -> None:
    job = lsp.import_labels("ls", FIXTURE, format="labelstudio", options={"source": "predictions"})
    assert job.state is JobState.SUCCEEDED, [i.message for i in lsp.job_issues(job.id)]
    assert list(lsp.labels("ls")) == [K1]
    (car,) = lsp.labels("ls")[K1]
    assert car.uid == "pr3d1ct10n" and car.geometry == [20, 10, 50, 40]


def test_round_trip(lsp: Workspace, tmp_path: Path) -> None:
    job = lsp.import_labels("ls", FIXTURE, format="labelstudio")
    assert job.state is JobState.SUCCEEDED
    out = tmp_path / "export"
    summary = lsp.export("ls", out, format="labelstudio")
    assert summary.not_expressible == [] and summary.rows == 2 and summary.annotations == 10
    exported = json.loads((out / "tasks.json").read_text(encoding="utf-8"))
    assert [t["data"]["image"] for t in exported] == [
        "/data/local-files/?d=photos/img-1.png",
        "/data/local-files/?d=photos/img-2.png",
    ]
    job2 = lsp.import_labels("ls2", out, format="labelstudio")
    assert job2.state is JobState.SUCCEEDED, [i.message for i in lsp.job_issues(job2.id)]
    assert _same(lsp.labels("ls2"), lsp.labels("ls"))
    # the config names every class, and Label Studio's own XML parser would accept it
    view = DET.fromstring((out / "labeling_config.xml").read_bytes())
    rect = view.find("RectangleLabels")
    assert rect is not None and [x.get("value") for x in rect] == ["car", "bus"]
    assert view.find("Choices[@name='color']").get("perRegion") == "true"
    assert view.find("Choices[@name='weather']").get("choice") == "single-radio"
    assert view.find("TextArea[@name='caption']") is not None
    assert [x.get("value") for x in view.find("Relations")] == ["follows"]


def _same(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> bool:
    """Same labels: kind, class, answers exactly; coordinates exactly or within 1e-12 (percent
    written and read back may move the last bit)."""
    assert set(a) == set(b)
    for key in a:
        left = {x.uid: x for x in a[key]}
        right = {x.uid: x for x in b[key]}
        assert set(left) == set(right), key
        for u, x in left.items():
            y = right[u]
            assert (x.kind, x.name, x.extra) == (y.kind, y.name, y.extra), u
            assert x.classifications == y.classifications and x.answer == y.answer, u
            _close(x.geometry, y.geometry)
    return True


def _close(a: Any, b: Any) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _close(a[k], b[k])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _close(x, y)
    elif isinstance(a, float | int) and not isinstance(a, bool):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), (a, b)
    else:
        assert a == b


def test_exact_where_exact(lsp: Workspace, tmp_path: Path) -> None:
    lsp.import_labels("ls", FIXTURE, format="labelstudio")
    lsp.export("ls", tmp_path / "x.json", format="labelstudio")
    (t1, _t2) = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))
    values = {r["id"]: r["value"] for r in t1["annotations"][0]["result"] if r["type"].endswith("labels")}
    assert values["pL0yT2mWcE"]["points"] == [[10, 10], [50, 10], [50, 60]]
    assert values["e2QwErTy02"] == {"x": 80, "y": 50, "keypointlabels": ["eye"]}
    assert math.isclose(values["Xk3_9aPq1b"]["width"], 33.333333333333336, rel_tol=1e-15)
    assert not (tmp_path / "labeling_config.xml").exists()  # a .json target is one file


def test_broken_copy_is_refused_and_changes_nothing(lsp: Workspace, tmp_path: Path) -> None:
    doc = tasks()
    doc[0]["annotations"][0]["result"][3]["value"]["points"][1] = [50, "10"]
    doc[0]["annotations"][0]["result"][4]["value"]["x"] = 120  # an eye right of the image
    doc[1]["annotations"].append(copy.deepcopy(doc[1]["annotations"][1]))  # two live annotations
    job = lsp.import_labels("ls", write(tmp_path / "broken.json", doc), format="labelstudio")
    assert job.state is JobState.FAILED
    issues = {i.code: i for i in lsp.job_issues(job.id)}
    text = (tmp_path / "broken.json").read_text(encoding="utf-8").splitlines()
    eye = next(n for n, t in enumerate(text, 1) if '"id": "e1QwErTy01"' in t)
    start = max(n for n in range(1, eye) if text[n - 1].strip() == "{")
    bounds = issues["out_of_bounds"].location
    assert (bounds.line, bounds.pointer, bounds.annotation_id) == (
        start,
        "/0/annotations/0/result/4",
        "e1QwErTy01",
    )
    assert issues["wrong_type"].location.pointer == "/0/annotations/0/result/3/value/points/1"
    assert issues["invalid_value"].hint == "--option annotation=first|last|ground_truth"
    assert "id 4" in issues["invalid_value"].message
    assert lsp.labels("ls") == {}
    assert {t.status.value for t in lsp.tasks("ls")} == {"not_started"}


def test_annotation_option_picks_one(lsp: Workspace, tmp_path: Path) -> None:
    doc = tasks()[1:2]
    second = copy.deepcopy(doc[0]["annotations"][1])
    second["id"], second["ground_truth"] = 9, True
    second["result"][0]["value"]["rotation"] = 0
    doc[0]["annotations"].append(second)
    path = write(tmp_path / "two.json", doc)
    for option, rotation in (("first", 30), ("last", None), ("ground_truth", None)):
        job = lsp.import_labels(
            "ls", path, format="labelstudio", options={"annotation": option}, on_existing="replace"
        )
        assert job.state is JobState.SUCCEEDED, option
        (car,) = lsp.labels("ls")[K2]
        assert (car.geometry[4] if len(car.geometry) > 4 else None) == rotation, option


def test_uploaded_file_names(lsp: Workspace, tmp_path: Path) -> None:
    doc = tasks()[1:2]
    doc[0]["data"]["image"] = "/data/upload/1/3f2a9b1c-img-2.png"
    path = write(tmp_path / "up.json", doc)
    job = lsp.import_labels("ls", path, format="labelstudio")
    assert errors(lsp, job.id) == ["data_row_not_found"]  # the stored name is not a row's
    job = lsp.import_labels("ls", path, format="labelstudio", options={"upload_names": "original"})
    assert job.state is JobState.SUCCEEDED
    assert list(lsp.labels("ls")) == [K2]


def test_size_of_another_image_is_refused(lsp: Workspace, tmp_path: Path) -> None:
    doc = tasks()[1:2]
    doc[0]["annotations"][1]["result"][0]["original_width"] = 400
    job = lsp.import_labels("ls", write(tmp_path / "big.json", doc), format="labelstudio")
    assert errors(lsp, job.id) == ["image_size_mismatch"]


def test_what_cannot_be_carried_is_reported(lsp: Workspace, tmp_path: Path) -> None:
    row = {"globalKey": K1}
    lines = [
        {
            "uuid": uid(1),
            "dataRow": row,
            "name": "car",
            "classifications": [
                {
                    "name": "color",
                    "answer": {
                        "name": "red",
                        "classifications": [{"name": "shade", "answer": {"name": "dark"}}],
                    },
                }
            ],
            "bbox": {"top": 20.0, "left": 10.0, "height": 50.0, "width": 100.0},
        },
        {"uuid": uid(2), "dataRow": row, "name": "road", "line": [{"x": 0, "y": 0}, {"x": 10, "y": 10}]},
        {
            "uuid": uid(3),
            "dataRow": row,
            "name": "lake",
            "polygon": [{"x": 1, "y": 1}, {"x": 5, "y": 1}, {"x": 5, "y": 5}],
        },
        {
            "uuid": uid(4),
            "dataRow": row,
            "name": "tags",
            "answer": [{"name": "b", "classifications": [{"name": "why", "answer": "blurry"}]}],
        },
    ]
    job = lsp.import_labels("ls", write_ndjson(tmp_path / "in.ndjson", lines), format="ndjson")
    assert job.state is JobState.SUCCEEDED, [i.message for i in lsp.job_issues(job.id)]
    summary = lsp.export("ls", tmp_path / "out", format="labelstudio")
    lost = sorted((i.location.annotation_id, i.message) for i in summary.not_expressible)
    assert lost == [
        (uid(1), "labelstudio cannot carry answers nested under `color` of `car`"),
        (uid(2), "labelstudio cannot carry a line (`road`)"),
        (uid(4), "labelstudio cannot carry answers nested under an option of `tags`"),
    ]
    assert summary.annotations == 3  # the box (with its one-level answer), the polygon, the checklist
    (task,) = json.loads((tmp_path / "out/tasks.json").read_text(encoding="utf-8"))
    types = [(r["type"], r["from_name"]) for r in task["annotations"][0]["result"]]
    assert ("choices", "color") in types and ("rectanglelabels", "rectanglelabels") in types


def test_ellipse_and_brush_round_trip(lsp: Workspace, tmp_path: Path) -> None:
    m = np.zeros((H, W), bool)
    m[40:90, 100:190] = True
    result: list[dict[str, Any]] = [
        {
            "original_width": W,
            "original_height": H,
            "image_rotation": 0,
            "value": {
                "x": 50,
                "y": 50,
                "radiusX": 12.5,
                "radiusY": 20,
                "rotation": 15,
                "ellipselabels": ["ring"],
            },
            "id": "eLl1pse001",
            "from_name": "ell",
            "to_name": "image",
            "type": "ellipselabels",
            "origin": "manual",
        },
        {
            "original_width": W,
            "original_height": H,
            "image_rotation": 0,
            "value": {"format": "rle", "rle": masks.to_labelstudio_rle(m), "brushlabels": ["seg"]},
            "id": "bRush00002",
            "from_name": "brush",
            "to_name": "image",
            "type": "brushlabels",
            "origin": "manual",
        },
    ]
    doc = [
        {
            "id": 5,
            "data": {"image": "/data/local-files/?d=photos/img-3.png"},
            "annotations": [{"id": 8, "result": result}],
        }
    ]
    job = lsp.import_labels("ls", write(tmp_path / "e.json", doc), format="labelstudio")
    assert job.state is JobState.SUCCEEDED, [i.message for i in lsp.job_issues(job.id)]
    got = by_uid(lsp, "ls", K3)
    assert got["eLl1pse001"].geometry == [100, 50, 25, 20, 15]
    assert (masks.decode(got["bRush00002"].geometry) == m).all()
    summary = lsp.export("ls", tmp_path / "out", format="labelstudio")
    assert summary.not_expressible == []
    (task,) = json.loads((tmp_path / "out/tasks.json").read_text(encoding="utf-8"))
    brush = next(r for r in task["annotations"][0]["result"] if r["type"] == "brushlabels")
    assert brush["value"]["rle"] == result[1]["value"]["rle"]  # byte for byte
    job = lsp.import_labels("ls2", tmp_path / "out", format="labelstudio")
    assert job.state is JobState.SUCCEEDED
    assert _same(lsp.labels("ls2"), lsp.labels("ls"))


def test_ocr_regions_keep_their_text(lsp: Workspace, tmp_path: Path) -> None:
    """Labels + Rectangle + a per-region TextArea the ontology does not define: the text is kept
    beside the box (one warning), exported as a per-region textarea and read back the same."""
    geo = {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0}
    base = {"original_width": W, "original_height": H, "image_rotation": 0, "id": "ocr1", "to_name": "image"}
    result = [
        {**base, "type": "rectangle", "from_name": "bbox", "value": dict(geo), "origin": "manual"},
        {
            **base,
            "type": "labels",
            "from_name": "label",
            "value": {**geo, "labels": ["car"]},
            "origin": "manual",
        },
        {**base, "type": "textarea", "from_name": "transcription", "value": {**geo, "text": ["AB 123"]}},
    ]
    doc = [
        {
            "id": 1,
            "data": {"ocr": "/data/local-files/?d=photos/img-1.png"},
            "annotations": [{"id": 1, "result": result}],
        }
    ]
    job = lsp.import_labels("ls", write(tmp_path / "ocr.json", doc), format="labelstudio")
    assert job.state is JobState.SUCCEEDED
    assert [i.code for i in lsp.job_issues(job.id)] == ["attribute_not_in_ontology"]
    (car,) = lsp.labels("ls")[K1]
    assert car.extra is not None and car.extra["attributes"] == {"transcription": "AB 123"}
    assert car.geometry == [20, 20, 60, 40]
    summary = lsp.export("ls", tmp_path / "out", format="labelstudio")
    # carried, but whether it was a Choices or a TextArea is a guess: said, as INFO
    assert [(i.severity.value, i.location.annotation_id) for i in summary.not_expressible] == [
        ("info", "ocr1")
    ]
    assert "`transcription` of `car`" in summary.not_expressible[0].message
    job = lsp.import_labels("ls2", tmp_path / "out", format="labelstudio")
    assert job.state is JobState.SUCCEEDED
    assert _same(lsp.labels("ls2"), lsp.labels("ls"))


def test_prediction_scores_round_trip(lsp: Workspace, tmp_path: Path) -> None:
    job = lsp.import_labels("ls", FIXTURE, format="labelstudio", options={"source": "predictions"})
    assert job.state is JobState.SUCCEEDED
    (car,) = lsp.labels("ls")[K1]
    assert car.extra == {"confidence": 0.87, "tool": "rectangle"}
    summary = lsp.export("ls", tmp_path / "out", format="labelstudio", options={"source": "predictions"})
    assert summary.not_expressible == []
    (task,) = json.loads((tmp_path / "out/tasks.json").read_text(encoding="utf-8"))
    (pred,) = task["predictions"]
    assert pred["score"] == 0.87 and [r["score"] for r in pred["result"]] == [0.87]
    job = lsp.import_labels("ls2", tmp_path / "out", format="auto", options={"source": "predictions"})
    assert job.state is JobState.SUCCEEDED, [i.message for i in lsp.job_issues(job.id)]
    assert _same(lsp.labels("ls2"), lsp.labels("ls"))
    # as annotations, the score has no place: INFO only, the export succeeds
    summary = lsp.export("ls", tmp_path / "plain.json", format="labelstudio")
    assert [(i.severity.value, i.location.annotation_id) for i in summary.not_expressible] == [
        ("info", car.uid)
    ]


def test_a_region_with_two_labels_comes_back_as_one(lsp: Workspace, tmp_path: Path) -> None:
    box = {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0}
    base = {"original_width": W, "original_height": H, "image_rotation": 0, "id": "r9", "to_name": "image"}
    result = [
        {
            **base,
            "type": "rectanglelabels",
            "from_name": "label",
            "value": {**box, "rectanglelabels": ["car", "bus"]},
        },
        {**base, "type": "choices", "from_name": "color", "value": {**box, "choices": ["blue"]}},
    ]
    doc = [
        {
            "id": 1,
            "data": {"image": "/data/local-files/?d=photos/img-1.png"},
            "annotations": [{"result": result}],
        }
    ]
    job = lsp.import_labels("ls", write(tmp_path / "two.json", doc), format="labelstudio")
    assert job.state is JobState.SUCCEEDED
    # `bus` has no `color`: kept beside it (one warning); `car` answers it
    assert [i.code for i in lsp.job_issues(job.id)] == ["attribute_not_in_ontology"]
    got = by_uid(lsp, "ls", K1)
    assert set(got) == {"r9", "r9#2"} and got["r9#2"].extra["attributes"] == {"color": "blue"}
    summary = lsp.export("ls", tmp_path / "out.json", format="labelstudio")
    assert summary.not_expressible == [] and summary.annotations == 2
    (task,) = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    out = task["annotations"][0]["result"]
    assert [(r["id"], r["type"]) for r in out] == [("r9", "rectanglelabels"), ("r9", "choices")]
    assert out[0]["value"]["rectanglelabels"] == ["car", "bus"] and out[1]["value"]["choices"] == ["blue"]
    job = lsp.import_labels("ls2", tmp_path / "out.json", format="labelstudio")
    assert job.state is JobState.SUCCEEDED
    assert _same(lsp.labels("ls2"), lsp.labels("ls"))


def test_coco_bookkeeping_is_info_on_export(lsp: Workspace, tmp_path: Path) -> None:
    """A COCO-origin project exports with INFO entries only (`labelport export` exits 0)."""
    coco = {
        "images": [{"id": 1, "file_name": "photos/img-1.png", "width": W, "height": H}],
        "categories": [{"id": 1, "name": "car", "supercategory": "vehicle"}],
        "annotations": [
            {"id": 41, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 99, "iscrowd": 0}
        ],
    }
    job = lsp.import_labels("ls", write(tmp_path / "coco.json", coco), format="coco")
    assert job.state is JobState.SUCCEEDED, [i.message for i in lsp.job_issues(job.id)]
    summary = lsp.export("ls", tmp_path / "out.json", format="labelstudio")
    assert summary.annotations == 1 and summary.not_expressible
    assert {i.severity.value for i in summary.not_expressible} == {"info"}
    assert "labelstudio cannot carry the field `id` of bbox `car`" in {
        i.message for i in summary.not_expressible
    }
