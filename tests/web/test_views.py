"""The API routes behind the pages, over HTTP: issue groups and downloads, a row's asset (its own
file only), confirming a dry run (import scope), and the samples for a project."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

import httpx
import pytest

from tests.web.conftest import Site


@pytest.fixture
def site(views_site: Site) -> Site:
    """These routes need no browser: they run against a server on each engine."""
    return views_site


def _client(site: Site, scope: str) -> httpx.Client:
    return httpx.Client(base_url=site.url, headers={"authorization": f"Bearer {site.server.tokens[scope]}"})


def _finished(c: httpx.Client, job: dict[str, Any]) -> dict[str, Any]:
    for _ in range(200):
        job = c.get(f"/jobs/{job['id']}").json()
        if job["state"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job['id']} did not finish")


def test_issue_groups_and_downloads(site: Site) -> None:
    lines = [
        {"dataRow": {"globalKey": f"/missing-{i}.png"}, "name": "pin", "point": {"x": 1, "y": 2}}
        for i in range(7)
    ]
    body = "".join(json.dumps(x) + "\n" for x in lines).encode()
    with _client(site, "import") as c:
        job = c.post(
            "/imports?project=image-gt&format=ndjson&dry_run=true&filename=x.ndjson", content=body
        ).json()
        job = _finished(c, job)
        groups = c.get(f"/jobs/{job['id']}/issue-groups").json()
        by_code = {g["code"]: g for g in groups}
        assert by_code["data_row_not_found"]["count"] == 7
        assert len(by_code["data_row_not_found"]["first"]) == 3 and by_code["data_row_not_found"]["hint"]
        one = c.get(f"/jobs/{job['id']}/issue-groups", params={"data_row": "/missing-3.png"}).json()
        assert {g["code"]: g["count"] for g in one}["data_row_not_found"] == 1
        text = c.get(f"/jobs/{job['id']}/issues/download", params={"format": "csv"}).text
        rows = list(csv.DictReader(io.StringIO(text)))
        assert sum(r["code"] == "data_row_not_found" for r in rows) == 7
        assert {r["line"] for r in rows if r["code"] == "data_row_not_found"} == {str(n) for n in range(1, 8)}
        nd = c.get(
            f"/jobs/{job['id']}/issues/download", params={"format": "ndjson", "code": "data_row_not_found"}
        ).text
        assert [json.loads(x)["location"]["data_row"] for x in nd.splitlines()] == [
            f"/missing-{i}.png" for i in range(7)
        ]
        assert c.post(f"/jobs/{job['id']}/confirm").status_code == 202  # a dry run may be confirmed
    with _client(site, "read") as c:
        assert c.post(f"/jobs/{job['id']}/confirm").status_code == 403  # but not with a read token


def test_an_asset_is_the_rows_own_file(site: Site) -> None:
    with _client(site, "read") as c:
        res = c.get("/assets", params={"global_key": "/a.png"})
        assert res.status_code == 200
        assert res.content == (site.assets / "img" / "a.png").read_bytes()
        assert c.get("/assets", params={"global_key": "/etc/passwd"}).status_code == 404
    assert httpx.get(site.url + "/assets", params={"global_key": "/a.png"}).status_code == 401


def test_samples_for_a_project(site: Site) -> None:
    with _client(site, "read") as c:
        got = c.get("/import-samples", params={"project": "image-gt", "server": "https://lp.example"}).json()
    assert [s["name"] for s in got["ndjson"]] == ["car", "lake", "pin", "weather"]
    assert "https://lp.example/imports?project=image-gt" in got["curl"]
