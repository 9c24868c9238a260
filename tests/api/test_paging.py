"""Keyset paging over HTTP on SQLite and PostgreSQL: /tasks (Link header), /labels and
/jobs/{id}/issues (next_after / prev_before) walk every item once, in the order the offset
pages give, forwards and back; the offset parameters keep working; bad cursors are refused."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from labelport import Workspace
from labelport.model.records import Annotation
from tests.api.server import Server
from tests.helpers import ONTOLOGY, make_images
from tests.jobs.conftest import write_ndjson


def _box(key: str, n: int) -> dict[str, Any]:
    return {
        "dataRow": {"globalKey": key},
        "name": "car",
        "bbox": {"left": n, "top": 1, "width": 2, "height": 2},
    }


@pytest.fixture
def names(server: Server, tmp_path: Path) -> dict[str, Any]:
    """A small project (7 rows, 5 labelled) among many rows, so its pages are sorted whole, and a
    big one (150 rows, 40 labelled) holding most of them, so its pages follow the global-key
    index; a failed job with 23 issues of two codes."""
    tag = uuid.uuid4().hex[:8]
    small, big = f"small-{tag}", f"big-{tag}"
    # each in a folder of its own, so the global keys (/<name>/<file>) are the test's own
    make_images(tmp_path / "s" / small, {f"s{i:02d}.png": (8, 8) for i in range(7)})
    make_images(tmp_path / "b" / big, {f"b{i:03d}.png": (8, 8) for i in range(150)})
    with Workspace(server.db_url) as ws:
        for name, root in ((small, "s"), (big, "b")):
            ws.create_dataset(name)
            ws.add_rows(name, [tmp_path / root])
            ws.create_ontology(name, ONTOLOGY)
            ws.create_project(name, ontology=name, media_type="image")
            ws.create_batch(name, "b", dataset=name)
        small_keys = [t.global_key for t in ws.tasks(small)]
        big_keys = [t.global_key for t in ws.tasks(big)]
        ws.import_labels(
            small, write_ndjson(tmp_path / "s.ndjson", [_box(k, 1) for k in small_keys[:5]]), format="ndjson"
        )
        ws.import_labels(
            big,
            write_ndjson(tmp_path / "b.ndjson", [_box(k, 1) for k in big_keys[::3][:40]]),
            format="ndjson",
        )
        bad = [{**_box(small_keys[i % 7], 1), "name": "truck" if i % 3 else "Car"} for i in range(23)]
        job = ws.import_labels(small, write_ndjson(tmp_path / "bad.ndjson", bad), format="ndjson")
        assert job.counts["issues"] >= 23
    return {"small": small, "big": big, "job": job.id}


def _get(server: Server, path: str, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {server.tokens['read']}"}
    return httpx.get(server.url + path, params=params, headers=headers, timeout=30)


def _tasks(server: Server, url: str) -> tuple[list[str], dict[str, str]]:
    res = httpx.get(url, headers={"Authorization": f"Bearer {server.tokens['read']}"}, timeout=30)
    assert res.status_code == 200, res.text
    links = dict((rel, u) for u, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', res.headers.get("link", "")))
    return [t["global_key"] for t in res.json()], links


@pytest.mark.parametrize("which", ["small", "big"])
def test_tasks_are_paged_by_the_link_header(server: Server, names: dict[str, Any], which: str) -> None:
    project = names[which]
    every = [t["global_key"] for t in _get(server, "/tasks", project=project).json()]
    seen: list[str] = []
    url: str | None = f"{server.url}/tasks?project={project}&limit=4"
    last_links: dict[str, str] = {}
    while url:
        keys, last_links = _tasks(server, url)
        seen += keys
        url = last_links.get("next")
    assert seen == every
    # back from the last page, and the offset pages as before
    back, _ = _tasks(server, last_links["prev"])
    tail = len(every) % 4 or 4
    assert back == every[-tail - 4 : -tail]
    by_offset = _get(server, "/tasks", project=project, limit=4, offset=4).json()
    assert [t["global_key"] for t in by_offset] == every[4:8]


@pytest.mark.parametrize("which", ["small", "big"])
def test_labels_follow_next_after(server: Server, names: dict[str, Any], which: str) -> None:
    project = names[which]
    every = _get(server, "/labels", project=project).json()
    assert every["next_after"] is None and every["prev_before"] is None
    got: dict[str, Any] = {}
    params: dict[str, Any] = {"project": project, "limit": 3}
    pages = []
    while True:
        page = _get(server, "/labels", **params).json()
        got.update(page["labels"])
        pages.append(list(page["labels"]))
        if not page["next_after"]:
            break
        params = {"project": project, "limit": 3, "after": page["next_after"]}
    assert got == every["labels"] and list(got) == list(every["labels"])
    back = _get(server, "/labels", project=project, limit=3, before=page["prev_before"]).json()
    assert list(back["labels"]) == pages[-2]
    assert back["next_after"] is not None
    old = _get(server, "/labels", project=project, limit=3, offset=3).json()
    assert list(old["labels"]) == pages[1]
    assert old["next_offset"] == (6 if len(every["labels"]) > 6 else None)


def test_labels_write_every_field(server: Server, names: dict[str, Any]) -> None:
    """A reader's ``Annotation`` leaves its defaults out of the trip between processes; what the
    API gives back keeps every key, null or not, as it always has (``StoredAnnotation``)."""
    every = _get(server, "/labels", project=names["small"]).json()["labels"]
    fields = {f.encode_name for f in msgspec.structs.fields(Annotation)}
    shapes = [a for annotations in every.values() for a in annotations]
    assert len(shapes) == 5
    for a in shapes:
        assert set(a) == fields
        assert a["frame"] is None and a["track_id"] is None and a["units"] is None


def test_issues_follow_next_after_with_filters(server: Server, names: dict[str, Any]) -> None:
    job = names["job"]
    every = _get(server, f"/jobs/{job}/issues").json()["issues"]
    for code in (None, "unknown_class"):
        want = [i for i in every if code is None or i["code"] == code]
        got: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 5, **({"code": code} if code else {})}
        while True:
            page = _get(server, f"/jobs/{job}/issues", **params).json()
            got += page["issues"]
            if not page["next_after"]:
                break
            params = {**params, "after": page["next_after"]}
        assert got == want
        first = _get(server, f"/jobs/{job}/issues", limit=5, before=page["prev_before"], **params_of(code))
        n = len(page["issues"])
        assert first.json()["issues"] == want[-n - 5 : -n]


def params_of(code: str | None) -> dict[str, str]:
    return {"code": code} if code else {}


def test_bad_cursors_are_refused(server: Server, names: dict[str, Any]) -> None:
    job, project = names["job"], names["small"]
    rows_cursor = _get(server, "/labels", project=project, limit=1).json()["next_after"]
    issues_cursor = _get(server, f"/jobs/{job}/issues", limit=1).json()["next_after"]
    for path, params in (
        (f"/jobs/{job}/issues", {"after": "bm90LWEtY3Vyc29y"}),  # base64 of no JSON
        (f"/jobs/{job}/issues", {"after": rows_cursor}),  # another list's
        (f"/jobs/{job}/issues", {"after": issues_cursor, "before": issues_cursor}),
        (f"/jobs/{job}/issues", {"after": issues_cursor, "offset": 3}),
        ("/labels", {"project": project, "after": issues_cursor}),
        ("/tasks", {"project": project, "before": "WyJyb3dzIiwiYVx1MDAwMCJd"}),  # a NUL in the key
        ("/tasks", {"project": project, "after": "WyJyb3dzIixudWxsXQ"}),  # after the end
    ):
        res = _get(server, path, **params)
        assert res.status_code == 422 and res.json()["code"] == "invalid_cursor", (path, params, res.text)
    assert _get(server, f"/jobs/{job}/issues", after="not base64!").status_code == 422
