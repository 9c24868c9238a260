"""The server driven only through `labelport.Client`, on SQLite (jobs on the server's thread) and
PostgreSQL (jobs on a worker): the answers are the embedded workspace's, type for type."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import httpx
import msgspec
import pytest

from labelport import Client, ConflictError, InvalidInputError, NotFoundError, Workspace
from labelport.model.jobs import ImportJob, JobState
from labelport.sdk import JobHandle
from tests.api.server import UPLOAD_LIMIT as LIMIT
from tests.api.server import Server
from tests.helpers import ONTOLOGY, make_images
from tests.jobs.conftest import H, W, sample_lines, uid, write_ndjson

OPERATION_IDS = {
    "add_manifest",
    "add_rows",
    "cancel_job",
    "create_batch",
    "create_dataset",
    "create_export",
    "create_import",
    "create_import_from_url",
    "create_ontology",
    "create_project",
    "create_token",
    "detect_format",
    "download_export",
    "get_job",
    "get_ontology",
    "get_project",
    "get_row",
    "health",
    "list_datasets",
    "list_formats",
    "list_job_issues",
    "list_jobs",
    "list_labels",
    "list_ontologies",
    "list_projects",
    "list_rows",
    "list_tasks",
    "list_tokens",
    "revoke_token",
    "run_job",
    "set_task_status",
    "suggest_class_map",
    "undo_job",
}


def _project(client: Client, server: Server, name: str) -> str:
    """A dataset of three 200x100 images (img-1..3, added by manifest), the test ontology and a
    project with one batch; returns the project name."""
    folder = server.root / name
    make_images(folder, {f"img-{i}.png": (W, H) for i in (1, 2, 3)})
    manifest = folder / "rows.json"
    manifest.write_text(
        json.dumps(
            [{"uri": str(folder / f"img-{i}.png"), "global_key": f"{name}/img-{i}"} for i in (1, 2, 3)]
        ),
        encoding="utf-8",
    )
    client.create_dataset(name)
    added = client.add_manifest(name, manifest)
    assert added.added == 3
    client.create_ontology(name, ONTOLOGY)
    client.create_project(name, ontology=name, media_type="image")
    batch = client.create_batch(name, "b", dataset=name)
    assert batch.row_count == 3
    return name


def _lines(prefix: str) -> list[dict[str, object]]:
    out = []
    for line in sample_lines():
        line = json.loads(json.dumps(line))
        if "globalKey" in line.get("dataRow", {}):
            line["dataRow"]["globalKey"] = f"{prefix}/{line['dataRow']['globalKey']}"
        out.append(line)
    return out


def test_operation_ids_are_stable(server: Server) -> None:
    """New operations may come; the ones here are a contract and keep their ids."""
    doc = httpx.get(server.url + "/openapi.json", timeout=10).json()
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z][a-z_]*", i) for i in ids)
    missing = OPERATION_IDS - set(ids)
    assert not missing, f"renamed or removed, so clients generated from the schema break: {missing}"


def test_import_over_http_is_the_embedded_import(client: Client, server: Server, tmp_path: Path) -> None:
    p = _project(client, server, "gt")
    payload = write_ndjson(tmp_path / "labels.ndjson", _lines(p))
    handle = client.import_labels(p, payload, format="ndjson")
    assert handle.id > 0 and handle.state in tuple(JobState)
    seen: list[str] = []
    job = handle.wait(progress=lambda phase, done, total: seen.append(phase), timeout=120)
    assert isinstance(job, ImportJob)
    assert job.state is JobState.SUCCEEDED, job.error
    assert seen[-1] == "succeeded"
    assert job.counts["annotations_imported"] == len(sample_lines())
    with Workspace(server.db_url) as ws:
        assert client.labels(p) == ws.labels(p)
        assert client.job(job.id, issues=None) == ws.job(job.id, issues=None)
        assert client.jobs(p) == ws.jobs(p)
        assert client.project(p) == ws.project(p)
        assert client.tasks(p) == ws.tasks(p)
        assert client.rows(p, limit=2) == ws.rows(p, limit=2)
        assert client.row(f"{p}/img-1") == ws.row(f"{p}/img-1")
        assert client.ontology(p) == ws.ontology(p)
        assert client.datasets() == ws.datasets()
    assert client.tasks(p, status="done")[0].status == "done"

    again = client.import_labels(p, payload, format="ndjson").wait(progress=False, timeout=120)
    assert again.duplicate_of == job.id  # idempotent: the same payload creates nothing new

    out = tmp_path / "out.ndjson"
    summary = client.export(p, out, format="ndjson")
    with Workspace(server.db_url) as ws:
        local = ws.export(p, tmp_path / "local.ndjson", format="ndjson")
    assert out.read_bytes() == (tmp_path / "local.ndjson").read_bytes()
    assert (summary.rows, summary.annotations) == (local.rows, local.annotations)
    with pytest.raises(InvalidInputError) as exists:
        client.export(p, out, format="ndjson")
    assert exists.value.code == "output_exists"

    undone = client.undo_job(job.id)
    assert undone.undone and client.labels(p) == {}
    with pytest.raises(ConflictError):
        client.cancel_job(job.id)


def test_a_refused_import_reports_every_issue_page_by_page(
    client: Client, server: Server, tmp_path: Path
) -> None:
    p = _project(client, server, "bad")
    lines = [
        {
            "uuid": f"00000000-0000-4000-8000-{n:012d}",
            "dataRow": {"globalKey": f"{p}/img-1"},
            "name": "Car",
            "bbox": {"top": 1, "left": 1, "height": 5, "width": 5},
        }
        for n in range(1, 2502)
    ]
    payload = write_ndjson(tmp_path / "bad.ndjson", lines)
    job = client.import_labels(p, payload, format="ndjson").wait(progress=False, timeout=120)
    assert job.state is JobState.FAILED
    assert len(job.issues) == job.counts["issues"] >= 2501
    assert {i.code for i in job.issues} >= {"unknown_class"}
    with Workspace(server.db_url) as ws:
        assert job.issues == list(ws.job_issues(job.id))
    window = list(client.job_issues(job.id, offset=1200, limit=1500))
    assert window == job.issues[1200:2700]
    assert list(client.job_issues(job.id, code="no_such_code")) == []
    assert client.labels(p) == {}


def test_a_folder_format_goes_out_and_back_as_a_zip(client: Client, server: Server, tmp_path: Path) -> None:
    p = _project(client, server, "zipped")
    boxes = [
        {
            "uuid": f"00000000-0000-4000-8000-{n:012d}",
            "dataRow": {"globalKey": f"{p}/img-{n}"},
            "name": "car",
            "bbox": {"top": 10, "left": 20, "height": 30, "width": 40},
        }
        for n in (1, 2, 3)
    ]
    job = client.import_labels(p, write_ndjson(tmp_path / "b.ndjson", boxes), format="ndjson").wait(
        progress=False, timeout=120
    )
    assert job.state is JobState.SUCCEEDED, job.error
    folder = tmp_path / "voc"
    summary = client.export(p, folder, format="voc")
    assert summary.annotations == 3 and folder.is_dir()
    assert sorted(f.name for f in folder.rglob("*.xml")) == ["img-1.xml", "img-2.xml", "img-3.xml"]

    before = client.labels(p)
    back = client.import_labels(p, folder, format="voc", on_existing="replace").wait(
        progress=False, timeout=120
    )
    assert back.state is JobState.SUCCEEDED, (back.error, back.issues[:3])
    assert back.counts["annotations_imported"] == 3 and back.counts["data_rows_done"] == 3
    after = client.labels(p)
    assert sorted(after) == sorted(before)
    boxes_before = {str(a.geometry) for anns in before.values() for a in anns}
    assert {str(a.geometry) for anns in after.values() for a in anns} == boxes_before


def test_an_archive_that_climbs_out_is_refused(client: Client, server: Server, tmp_path: Path) -> None:
    p = _project(client, server, "evil")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("labels/a.xml", "<annotation/>")
        zf.writestr("../../outside.txt", "gotcha")
    evil = tmp_path / "evil.zip"
    evil.write_bytes(buf.getvalue())
    with pytest.raises(InvalidInputError) as err:
        client.import_labels(p, evil, format="voc")
    assert err.value.code == "unsafe_archive"
    assert not list(server.root.parent.rglob("outside.txt"))
    assert client.jobs(p) == []


def test_upload_size_limit(client: Client, server: Server, tmp_path: Path) -> None:
    p = _project(client, server, "big")
    big = tmp_path / "big.ndjson"
    big.write_bytes(b" " * (LIMIT + 1))
    with pytest.raises(InvalidInputError) as err:  # the client knows the limit: nothing is sent
        client.import_labels(p, big, format="ndjson")
    assert err.value.code == "payload_too_large"
    auth = {"Authorization": f"Bearer {server.tokens['import']}"}
    sized = httpx.post(  # with a Content-Length over the limit, refused before the body is read
        server.url + "/imports", params={"project": p}, content=big.read_bytes(), headers=auth, timeout=30
    )
    assert sized.status_code == 413 and sized.json()["code"] == "payload_too_large"

    def chunks() -> object:  # no Content-Length: the limit holds while the body streams
        for _ in range(LIMIT // 65536 + 2):
            yield b" " * 65536

    resp = httpx.post(
        server.url + "/imports",
        params={"project": p, "format": "ndjson"},
        content=chunks(),  # type: ignore[arg-type]
        headers={"Authorization": f"Bearer {server.tokens['import']}"},
        timeout=30,
    )
    assert resp.status_code == 413 and resp.json()["code"] == "payload_too_large"
    assert client.jobs(p) == []


def test_urls_and_paths_the_server_must_not_read(client: Client, server: Server, tmp_path: Path) -> None:
    p = _project(client, server, "ssrf")
    for url in ("http://127.0.0.1:9/x.ndjson", "http://169.254.169.254/latest/meta-data", "http://[::1]/x"):
        with pytest.raises(InvalidInputError) as err:
            client.import_labels(p, url, format="ndjson")
        assert err.value.code == "url_not_allowed", url
    with pytest.raises(InvalidInputError) as err:
        client.import_labels(p, "s3://someone-elses-bucket/labels.ndjson", format="ndjson")
    assert err.value.code == "url_not_allowed"
    resp = httpx.post(
        server.url + "/imports/url",
        json={"project": p, "url": "file:///etc/passwd"},
        headers={"Authorization": f"Bearer {server.tokens['import']}"},
        timeout=10,
    )
    assert resp.status_code == 422 and resp.json()["code"] == "url_not_allowed"

    client.create_dataset("ssrf-rows")
    with pytest.raises(InvalidInputError) as err:
        client.add_rows("ssrf-rows", ["/etc"])
    assert err.value.code == "path_not_allowed"
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps([{"uri": "/etc/hostname", "global_key": "h"}]), encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        client.add_manifest("ssrf-rows", manifest)
    assert err.value.code == "path_not_allowed"
    manifest.write_text(
        json.dumps([{"uri": "http://127.0.0.1:9/a.png", "global_key": "h"}]), encoding="utf-8"
    )
    with pytest.raises(InvalidInputError) as err:
        client.add_manifest("ssrf-rows", manifest)
    assert err.value.code == "url_not_allowed"
    assert client.rows("ssrf-rows") == []


def test_rows_by_path_under_the_row_roots(client: Client, server: Server) -> None:
    make_images(server.root / "by-path", {"x/a.png": (8, 8), "x/b.png": (8, 8)})
    client.create_dataset("by-path")
    added = client.add_rows("by-path", [server.root / "by-path"])
    assert added.added == 2
    assert sorted(r.global_key for r in client.rows("by-path")) == ["/x/a.png", "/x/b.png"]
    assert client.row("/x/a.png").metadata["width"] == 8


def test_errors_carry_the_cli_codes(client: Client, server: Server) -> None:
    with pytest.raises(NotFoundError) as nf:
        client.project("no-such-project")
    assert nf.value.code == "project_not_found" and nf.value.hint
    client.create_dataset("twice")
    with pytest.raises(ConflictError) as cf:
        client.create_dataset("twice")
    assert cf.value.code == "dataset_exists"
    with pytest.raises(InvalidInputError) as bad:
        client.create_ontology("broken", {"tools": [{"name": "x", "tool": "no-such-tool"}]})
    assert bad.value.code == "invalid_ontology"
    resp = httpx.get(
        server.url + "/tasks",
        params={"project": "x", "status": "bogus"},
        headers={"Authorization": f"Bearer {server.tokens['read']}"},
        timeout=10,
    )
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "invalid_request"


def test_class_map_suggestion_and_detection(client: Client, server: Server, tmp_path: Path) -> None:
    p = _project(client, server, "suggest")
    lines = [
        {
            "uuid": "00000000-0000-4000-8000-000000000001",
            "dataRow": {"globalKey": f"{p}/img-1"},
            "name": "Cars",
            "bbox": {"top": 1, "left": 1, "height": 5, "width": 5},
        }
    ]
    payload = write_ndjson(tmp_path / "s.ndjson", lines)
    suggestion = client.suggest_class_map(p, payload, format="ndjson")
    assert suggestion.class_map == {"Cars": "car"}
    resp = httpx.post(
        server.url + "/detect",
        params={"filename": "s.ndjson"},
        content=payload.read_bytes(),
        headers={"Authorization": f"Bearer {server.tokens['read']}"},
        timeout=10,
    )
    assert resp.status_code == 200 and resp.json()["format"] == "ndjson"
    assert client.jobs(p) == []


def test_multipart_uploads(client: Client, server: Server, tmp_path: Path) -> None:
    p = _project(client, server, "form")
    boxes = [
        {
            "uuid": uid(n),
            "dataRow": {"globalKey": f"{p}/img-{n}"},
            "name": "car",
            "bbox": {"top": 1, "left": 1, "height": 5, "width": 5},
        }
        for n in (1, 2)
    ]
    body = write_ndjson(tmp_path / "labels.ndjson", boxes).read_bytes()
    auth = {"Authorization": f"Bearer {server.tokens['import']}"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as http:
        resp = http.post("/imports", params={"project": p}, files={"payload": ("labels.ndjson", body)})
        assert resp.status_code == 202, resp.text
        queued = msgspec.json.decode(resp.content, type=ImportJob)
        job = JobHandle(client, queued).wait(progress=False, timeout=120)
        assert job.state is JobState.SUCCEEDED and job.format == "ndjson"  # detected from the part's name
        assert job.counts["annotations_imported"] == 2

        wrong = http.post("/imports", params={"project": p}, files={"labels": ("x.ndjson", body)})
        assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_upload"
        empty = http.post("/imports", params={"project": p, "format": "ndjson"}, content=b"")
        assert empty.status_code == 422 and empty.json()["code"] == "invalid_upload"
        missing = http.post("/imports", params={"project": "no-such"}, content=body)
        assert missing.status_code == 404 and missing.json()["code"] == "project_not_found"
    assert len(client.jobs(p)) == 1
