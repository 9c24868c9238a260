from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run
from tests.helpers import ONTOLOGY, make_images


def test_first_ten_minutes(run: Run, tmp_path: Path) -> None:
    make_images(tmp_path / "photos", {"day/a.jpg": (64, 48), "night/b.png": (32, 16)})
    (tmp_path / "photos" / "bad.jpg").write_bytes(b"xx")
    ont = tmp_path / "ontology.json"
    ont.write_text(json.dumps(ONTOLOGY), encoding="utf-8")

    code, data, _ = run("dataset", "list")
    assert code == 1 and "labelport init" in data["error"]["hint"]
    assert run("init")[1]["created"] is True
    assert run("init")[1]["created"] is False
    assert run("dataset", "create", "streets")[0] == 0
    code, data, _ = run("rows", "add", "streets", str(tmp_path / "photos"))
    assert code == 0 and data["added"] == 2
    assert data["skipped"] == [
        {
            "path": str(tmp_path / "photos" / "bad.jpg"),
            "reason": "not a valid image: cannot identify image file",
        }
    ]
    code, rows, _ = run("rows", "list", "--dataset", "streets")
    assert [(r["global_key"], r["metadata"]["width"]) for r in rows] == [
        ("/day/a.jpg", 64),
        ("/night/b.png", 32),
    ]
    assert all(r["id"] and r["media_type"] == "image" for r in rows)
    assert run("ontology", "create", "v1", str(ont))[1]["tool_count"] == 6
    code, p, _ = run("project", "create", "gt", "--ontology", "v1", "--media-type", "image")
    assert code == 0 and p["media_type"] == "image"
    code, b, _ = run("batch", "create", "gt", "b1", "--dataset", "streets")
    assert b["row_count"] == 2
    code, t, _ = run("task", "set-status", "gt", "/day/a.jpg", "done", "--worker", "labeling=u1")
    assert t["status"] == "done" and t["last_workers"]["labeling"] == "u1"
    code, shown, _ = run("project", "show", "gt")
    assert shown["task_counts"]["done"] == 1 and shown["task_counts"]["not_started"] == 1


def test_refusals_exit_1_with_one_line(run: Run, tmp_path: Path) -> None:
    run("init")
    code, out, err = run("rows", "add", "nope", str(tmp_path), as_json=False)
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        "error: no dataset named 'nope' (create it with `labelport dataset create`)"
    ]
    bad = tmp_path / "o.json"
    bad.write_text('{"tools": [{"name": "x", "tool": "cube"}]}', encoding="utf-8")
    code, data, _ = run("ontology", "create", "o", str(bad))
    assert code == 1 and data["error"]["code"] == "invalid_ontology"
    assert data["error"]["message"].startswith("/tools/0/tool: unknown tool kind 'cube'")


def test_usage_errors_exit_2(run: Run) -> None:
    assert run("nonsense", as_json=False)[0] == 2
    assert run("batch", "create", "p", "b", as_json=False)[0] == 2
    assert run("project", "create", "x", as_json=False)[0] == 2
