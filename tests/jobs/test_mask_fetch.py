"""Masks named by an http(s) ``instanceURI`` are fetched through the guard: a loopback URL is
reported (and nothing committed) unless private addresses are allowed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labelport import Workspace
from labelport.model.jobs import JobState
from tests.jobs.conftest import H, W, uid, write_ndjson


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def mask_url(tmp_path: Path) -> Iterator[str]:
    served = tmp_path / "served"
    served.mkdir()
    composite = np.zeros((H, W, 3), np.uint8)
    composite[10:20, 10:30] = (255, 0, 0)
    Image.fromarray(composite).save(served / "composite.png")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(served)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/composite.png"
    httpd.shutdown()
    httpd.server_close()


def _line(url: str) -> dict[str, object]:
    return {
        "uuid": uid(1),
        "dataRow": {"globalKey": "img-1"},
        "name": "seg",
        "mask": {"instanceURI": url, "colorRGB": [255, 0, 0]},
    }


def test_a_loopback_mask_url_is_refused(
    proj: Workspace, tmp_path: Path, mask_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LABELPORT_ALLOW_PRIVATE_URLS", raising=False)
    job = proj.import_labels("p", write_ndjson(tmp_path / "m.ndjson", [_line(mask_url)]), format="ndjson")
    assert job.state is JobState.FAILED
    issues = list(proj.job_issues(job.id))
    assert [i.code for i in issues] == ["mask_invalid"]
    assert "loopback, private" in issues[0].message
    assert proj.labels("p") == {}


def test_an_allowed_private_mask_url_is_fetched(
    proj: Workspace, tmp_path: Path, mask_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABELPORT_ALLOW_PRIVATE_URLS", "1")
    job = proj.import_labels("p", write_ndjson(tmp_path / "m.ndjson", [_line(mask_url)]), format="ndjson")
    assert job.state is JobState.SUCCEEDED, [i.message for i in proj.job_issues(job.id)]
    from labelport.formats import masks

    assert [masks.area(a.geometry) for a in proj.labels("p")["img-1"]] == [200]
