"""`detect`, `--option` and `--suggest-class-map` keep their contract."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run
from tests.helpers import ONTOLOGY, make_images


def _project(run: Run, tmp_path: Path) -> None:
    make_images(tmp_path / "imgs", {"a.png": (50, 40)})
    (tmp_path / "o.json").write_text(json.dumps(ONTOLOGY), encoding="utf-8")
    run("init")
    run("dataset", "create", "d")
    run("rows", "add", "d", str(tmp_path / "imgs"))
    run("ontology", "create", "o", str(tmp_path / "o.json"))
    run("project", "create", "p", "--ontology", "o", "--media-type", "image")
    run("batch", "create", "p", "b", "--dataset", "d")


def _line(name: str) -> str:
    box = {"top": 1, "left": 1, "height": 5, "width": 5}
    return json.dumps({"dataRow": {"globalKey": "/a.png"}, "name": name, "bbox": box}) + "\n"


def test_detect_explains_itself(run: Run, tmp_path: Path) -> None:
    run("init")
    payload = tmp_path / "p.ndjson"
    payload.write_text(_line("car"), encoding="utf-8")
    code, doc, _ = run("detect", str(payload))
    assert code == 0 and doc["format"] == "ndjson"
    assert set(doc["formats"]) >= {"ndjson", "aimmo", "coco", "yolo", "voc", "cvat", "labelstudio", "labelme"}
    assert all(d["reasons"] for d in doc["formats"].values()), "every format says why, match or not"
    junk = tmp_path / "notes.txt"
    junk.write_text("hello\n", encoding="utf-8")
    code, doc, _ = run("detect", str(junk))
    assert code == 1 and doc["format"] is None


def test_auto_detection_is_recorded_in_the_report(run: Run, tmp_path: Path) -> None:
    _project(run, tmp_path)
    payload = tmp_path / "p.ndjson"
    payload.write_text(_line("car"), encoding="utf-8")
    code, job, _ = run("import", "p", str(payload))
    assert code == 0 and job["format"] == "ndjson"
    detected = [i for i in job["issues"] if i["code"] == "format_detected"]
    assert len(detected) == 1 and detected[0]["severity"] == "info"
    assert detected[0]["message"].startswith("the payload is ndjson: ")


def test_unknown_format_option_is_refused_before_anything_runs(run: Run, tmp_path: Path) -> None:
    _project(run, tmp_path)
    payload = tmp_path / "p.ndjson"
    payload.write_text(_line("car"), encoding="utf-8")
    code, doc, _ = run("import", "p", str(payload), "--format", "ndjson", "--option", "origin=0")
    assert code == 1 and doc["error"]["code"] == "unknown_option"
    code, jobs, _ = run("job", "list", "p")
    assert jobs == []
    code, _, err = run("import", "p", str(payload), "--option", "novalue", as_json=False)
    assert code == 2 and "KEY=VALUE" in err


def test_suggest_class_map_proposes_only_near_misses_and_imports_nothing(run: Run, tmp_path: Path) -> None:
    _project(run, tmp_path)
    payload = tmp_path / "p.ndjson"
    payload.write_text(_line("Cars") + _line("car") + _line("truck") + _line("car"), encoding="utf-8")
    code, doc, _ = run("import", "p", str(payload), "--suggest-class-map")
    assert code == 0
    assert doc == {
        "class_map": {"Cars": "car"},
        "matched": {"car": 2},
        "unmatched": {"truck": 1},
        "ambiguous": {},
    }
    code, jobs, _ = run("job", "list", "p")
    assert jobs == []
    (tmp_path / "map.json").write_text(json.dumps(doc["class_map"]), encoding="utf-8")
    code, job, _ = run("import", "p", str(payload), "--class-map", str(tmp_path / "map.json"), "--dry-run")
    assert [i["code"] for i in job["issues"] if i["severity"] == "error"] == ["unknown_class"]  # truck only


def test_a_folder_holding_two_formats_is_not_guessed(run: Run, tmp_path: Path) -> None:
    run("init")
    both = tmp_path / "both"
    both.mkdir()
    coco = {"images": [], "annotations": [], "categories": []}
    (both / "instances.json").write_text(json.dumps(coco), encoding="utf-8")
    (both / "a.xml").write_text(
        "<annotation><filename>a.png</filename><size><width>5</width><height>5</height></size>"
        "<object><name>car</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax>"
        "</bndbox></object></annotation>",
        encoding="utf-8",
    )
    code, doc, _ = run("detect", str(both))
    assert code == 1 and doc["format"] is None, doc
