"""The `import` / `job` commands keep their contract: exit codes and the job's JSON document."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run
from tests.helpers import ONTOLOGY, make_images


def test_import_json_contract(run: Run, tmp_path: Path) -> None:
    make_images(tmp_path / "imgs", {"a.png": (50, 40)})
    (tmp_path / "o.json").write_text(json.dumps(ONTOLOGY), encoding="utf-8")
    run("init")
    run("dataset", "create", "d")
    run("rows", "add", "d", str(tmp_path / "imgs"))
    run("ontology", "create", "o", str(tmp_path / "o.json"))
    run("project", "create", "p", "--ontology", "o", "--media-type", "image")
    run("batch", "create", "p", "b", "--dataset", "d")
    bad = tmp_path / "bad.ndjson"
    bad.write_text(
        '{"dataRow": {"globalKey": "/a.png"}, "name": "Car", "bbox": {"top": 1, "left": 1, '
        '"height": 5, "width": 5}}\n',
        encoding="utf-8",
    )
    code, job, _ = run("import", "p", str(bad), "--format", "ndjson")
    assert code == 1
    for key in ("id", "project", "format", "mode", "state", "dry_run", "counts", "issues"):
        assert key in job
    assert job["state"] == "failed" and job["project"] == "p" and job["format"] == "ndjson"
    for key in ("lines", "annotations", "annotations_imported", "data_rows", "data_rows_done", "issues"):
        assert key in job["counts"]
    issue = job["issues"][0]
    assert {k: issue[k] for k in ("code", "severity", "hint")} == {
        "code": "unknown_class",
        "severity": "error",
        "hint": "did you mean `car`?",
    }
    assert issue["location"] == {"file": "bad.ndjson", "line": 1, "pointer": "/bbox", "data_row": "/a.png"}
    good = tmp_path / "good.ndjson"
    good.write_text(bad.read_text(encoding="utf-8").replace('"Car"', '"car"'), encoding="utf-8")
    code, job, _ = run("import", "p", str(good), "--dry-run")
    assert (
        code == 0
        and job["dry_run"]
        and job["format"] == "ndjson"
        and job["counts"]["annotations_imported"] == 1
    )
    code, job, _ = run("import", "p", str(good))
    assert code == 0 and job["counts"]["data_rows_done"] == 1
    code, shown, _ = run("job", "show", str(job["id"]))
    assert shown["state"] == "succeeded"
    code, jobs, _ = run("job", "list", "p")
    assert [j["state"] for j in jobs] == ["failed", "succeeded", "succeeded"]
    out = tmp_path / "out.ndjson"
    code, summary, _ = run("export", "p", "--format", "ndjson", str(out))
    assert code == 0 and summary["annotations"] == 1
    code, undone, _ = run("job", "undo", str(job["id"]))
    assert code == 0 and undone["undone"] is True
    code, formats, _ = run("formats")
    assert {f["name"] for f in formats} >= {"ndjson", "aimmo"}
