"""Every sample line the Import labels tab shows imports cleanly into its own project (dry run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labelport import Workspace
from labelport.web import samples
from tests.helpers import make_images

ONTOLOGY: dict[str, Any] = {
    "tools": [
        {
            "name": "car",
            "tool": "rectangle",
            "color": "#e6194b",
            "classifications": [
                {"name": "color", "type": "radio", "required": True, "options": [{"value": "red"}]}
            ],
        },
        {"name": "lake", "tool": "polygon"},
        {"name": "road", "tool": "line"},
        {"name": "pin", "tool": "point"},
        {"name": "sky", "tool": "raster-segmentation"},
    ],
    "classifications": [
        {"name": "weather", "type": "radio", "options": [{"value": "sunny"}, {"value": "rainy"}]},
        {"name": "tags", "type": "checklist", "options": [{"value": "night"}, {"value": "blur"}]},
        {"name": "note", "type": "text"},
    ],
}


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    make_images(tmp_path / "assets" / "scenes", {"one.png": (120, 80)})
    with Workspace(str(tmp_path / "ws.db"), create=True) as w:
        w.create_dataset("d")
        w.add_rows("d", [tmp_path / "assets"])
        w.create_ontology("o", ONTOLOGY)
        w.create_project("p", ontology="o", media_type="image")
        w.create_batch("p", "b", dataset="d")
        yield w


def _build(ws: Any) -> samples.Samples:
    task = ws.tasks("p", limit=1)[0]
    return samples.build(ws.project("p"), ws.ontology("o").spec, "http://server", ws.row(task.global_key))


def test_a_sample_for_every_class_in_both_forms(ws: Any) -> None:
    built = _build(ws)
    every = [t["name"] for t in ONTOLOGY["tools"]] + [c["name"] for c in ONTOLOGY["classifications"]]
    assert [s.name for s in built.ndjson] == every
    assert {s.name for s in built.aimmo} == set(every) - {"sky"}  # AIMMO has no raster masks
    assert "'p'" in built.python and "labelport import p labels.ndjson" in built.cli
    assert "project=p&" in built.curl and "Authorization: Bearer" in built.curl


def test_each_ndjson_sample_imports_cleanly(ws: Any, tmp_path: Path) -> None:
    for sample in _build(ws).ndjson:
        payload = tmp_path / f"{sample.name}.ndjson"
        payload.write_text(sample.text + "\n", encoding="utf-8")
        job = ws.import_labels("p", payload, format="ndjson", dry_run=True)
        errors = [i for i in ws.job_issues(job.id) if i.severity.value != "info"]
        assert job.state == "succeeded" and errors == [], (sample.name, errors)
        assert job.counts["annotations_imported"] == 1, sample.name


def test_each_aimmo_sample_imports_cleanly(ws: Any, tmp_path: Path) -> None:
    for sample in _build(ws).aimmo:
        doc = json.loads(sample.text)
        root = tmp_path / f"gt-{sample.name}"
        target = root / doc["parent_path"].strip("/") / (doc["filename"] + ".json")
        target.parent.mkdir(parents=True)
        target.write_text(sample.text, encoding="utf-8")
        job = ws.import_labels("p", root, format="aimmo", dry_run=True)
        errors = [i for i in ws.job_issues(job.id) if i.severity.value != "info"]
        assert job.state == "succeeded" and errors == [], (sample.name, errors)
