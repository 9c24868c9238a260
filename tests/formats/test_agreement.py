"""Every format agrees (globox's test, made stricter): one set of labels, exported to each format
and imported back, gives the same labels wherever the format can express them, and whatever it
cannot is named in the export summary — never silently dropped or changed.

Each format's own tests check exactness in detail; this one checks they all speak the same
canonical model: same rows, classes, shapes, coordinates and answers.
"""

from __future__ import annotations

import base64
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from labelport import Workspace
from labelport.formats import detect, get, names
from labelport.model.jobs import JobState
from labelport.model.records import Annotation, Choice
from tests.helpers import make_images

ONTOLOGY = {
    "tools": [
        {
            "name": "car",
            "tool": "rectangle",
            "classifications": [
                {"name": "color", "type": "radio", "options": [{"value": "red"}, {"value": "blue"}]}
            ],
        },
        {"name": "lake", "tool": "polygon"},
        {"name": "road", "tool": "line"},
        {"name": "eye", "tool": "point"},
        {"name": "seg", "tool": "raster-segmentation"},
    ],
    "classifications": [
        {"name": "weather", "type": "radio", "options": [{"value": "sunny"}, {"value": "rainy"}]},
    ],
}
SIZES = {"train/a.png": (640, 480), "train/b.png": (320, 240), "val/c.png": (200, 100)}
FOREIGN = [n for n in names() if n not in ("ndjson", "aimmo")]


def _mask_png(w: int, h: int) -> str:
    m = np.zeros((h, w), np.uint8)
    m[10:30, 20:61] = 255
    buf = io.BytesIO()
    Image.fromarray(m, mode="L").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _lines() -> list[dict[str, Any]]:
    def row(key: str) -> dict[str, str]:
        return {"globalKey": key}

    a, b, c = row("/train/a.png"), row("/train/b.png"), row("/val/c.png")
    color = [{"name": "color", "answer": {"name": "blue"}}]
    return [
        {"dataRow": a, "name": "car", "bbox": {"left": 10.25, "top": 20.5, "width": 100, "height": 50.125}},
        {"dataRow": a, "name": "car", "bbox": {"left": 0, "top": 0, "width": 640, "height": 480}},
        {
            "dataRow": a,
            "name": "car",
            "bbox": {"left": 300, "top": 200, "width": 33.3, "height": 21},
            "classifications": color,
        },
        {
            "dataRow": a,
            "name": "lake",
            "polygon": [{"x": 1, "y": 1}, {"x": 90.5, "y": 3}, {"x": 45, "y": 77.75}],
        },
        {"dataRow": a, "name": "road", "line": [{"x": 5, "y": 5}, {"x": 50, "y": 60}, {"x": 70.5, "y": 61}]},
        {"dataRow": a, "name": "eye", "point": {"x": 12.5, "y": 13}},
        {"dataRow": a, "name": "weather", "answer": {"name": "sunny"}},
        {"dataRow": b, "name": "car", "bbox": {"left": 1, "top": 2, "width": 3, "height": 4}},
        {"dataRow": b, "name": "seg", "mask": {"png": _mask_png(320, 240)}},
        {
            "dataRow": c,
            "name": "lake",
            "polygon": [{"x": 0, "y": 0}, {"x": 200, "y": 0}, {"x": 200, "y": 100}],
        },
    ]


@pytest.fixture
def source(ws: Workspace, tmp_path: Path) -> Workspace:
    make_images(tmp_path / "imgs", SIZES)
    ws.create_dataset("d")
    ws.add_rows("d", [tmp_path / "imgs"])
    ws.create_ontology("o", ONTOLOGY)
    ws.create_project("src", ontology="o", media_type="image")
    ws.create_batch("src", "b", dataset="d")
    payload = tmp_path / "src.ndjson"
    payload.write_text("".join(json.dumps(x) + "\n" for x in _lines()), encoding="utf-8")
    job = ws.import_labels("src", payload, format="ndjson")
    assert job.state is JobState.SUCCEEDED, list(ws.job_issues(job.id))
    return ws


def _answers(ann: Annotation) -> tuple[Any, ...]:
    out = []
    for a in [*ann.classifications, *([ann.answer] if ann.answer else [])]:
        v = a.value
        text = v.name if isinstance(v, Choice) else [c.name for c in v] if isinstance(v, list) else v
        out.append((a.name, json.dumps(text)))
    return tuple(sorted(out))


def _geometry(kind: str, g: Any) -> Any:
    if kind == "mask":
        return json.dumps(g, sort_keys=True)
    # pixel values through fractions or percents come back within float noise, never rounded
    return json.dumps(g, default=str, allow_nan=True) if not isinstance(g, list) else json.dumps(_round(g))


def _round(g: Any) -> Any:
    if isinstance(g, list):
        return [_round(x) for x in g]
    # corner formats give w back as (x + w) - x: float noise in the last bits, never a rounding
    return round(float(g), 7) if isinstance(g, int | float) and not isinstance(g, bool) else g


def _key(row: str, ann: Annotation) -> tuple[Any, ...]:
    # answers to top-level classifications carry their class in the answer
    return (row, ann.kind, ann.name, _geometry(ann.kind, ann.geometry), _answers(ann))


def _canon(labels: dict[str, list[Annotation]]) -> Counter[tuple[Any, ...]]:
    return Counter(_key(row, a) for row, anns in labels.items() for a in anns)


@pytest.mark.parametrize("fmt", FOREIGN)
def test_every_format_agrees(source: Workspace, tmp_path: Path, fmt: str) -> None:
    spec = get(fmt)
    if spec.read is None or spec.write is None:
        pytest.fail(f"{fmt} has no reader or writer")
    ws = source
    original = ws.labels("src")
    out = tmp_path / (f"out-{fmt}.json" if fmt == "coco" else f"out-{fmt}")  # COCO is one file
    summary = ws.export("src", out, format=fmt)
    assert detect(out)[0] == fmt, detect(out)[1]  # what we write, `--format auto` recognises
    lost = {i.location.annotation_id for i in summary.not_expressible}
    assert None not in lost, summary.not_expressible  # every loss names its annotation
    ws.create_project(f"p-{fmt}", ontology="o", media_type="image")
    ws.create_batch(f"p-{fmt}", "b", dataset="d")
    job = ws.import_labels(f"p-{fmt}", out, format=fmt)
    errors = [i for i in ws.job_issues(job.id) if i.severity.value == "error"]
    assert job.state is JobState.SUCCEEDED, errors
    back = _canon(ws.labels(f"p-{fmt}"))
    kept = Counter(_key(row, a) for row, anns in original.items() for a in anns if a.uid not in lost)
    missing = kept - back
    assert not missing, f"{fmt} lost without saying so: {missing}"
    changed = back - kept
    partly = {a.uid for anns in original.values() for a in anns} & lost
    assert sum(changed.values()) <= len(partly), f"{fmt} changed labels: {changed}"


def test_every_registered_format_is_tested() -> None:
    assert set(FOREIGN) == {"coco", "yolo", "voc", "cvat", "labelstudio", "labelme"}


CVAT_BOX = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <image id="0" name="train/a.png" width="640" height="480">
    <box label="car" occluded="1" xtl="10" ytl="20" xbr="110" ybr="70" z_order="3" group_id="7">
    </box>
  </image>
</annotations>
"""


@pytest.mark.parametrize("fmt", [f for f in FOREIGN if f != "cvat"])
def test_fields_of_another_format_are_never_dropped_unsaid(
    source: Workspace, tmp_path: Path, fmt: str
) -> None:
    """CVAT's z_order (and group_id where the target has no groups) cannot be written everywhere:
    each target says so in its export summary."""
    ws = source
    (tmp_path / "cvat").mkdir()
    (tmp_path / "cvat" / "annotations.xml").write_text(CVAT_BOX, encoding="utf-8")
    ws.create_project("from-cvat", ontology="o", media_type="image")
    ws.create_batch("from-cvat", "b", dataset="d")
    job = ws.import_labels("from-cvat", tmp_path / "cvat", format="cvat")
    assert job.state is JobState.SUCCEEDED, list(ws.job_issues(job.id))
    out = tmp_path / (f"x-{fmt}.json" if fmt == "coco" else f"x-{fmt}")
    summary = ws.export("from-cvat", out, format=fmt)
    said = " ".join(i.message for i in summary.not_expressible if i.severity.value == "error")
    assert "z_order" in said, said
