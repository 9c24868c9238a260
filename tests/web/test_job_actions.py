"""The job page's Cancel and Undo buttons in real headless chromium: each asks first, calls the
API, and the page shows the job as it now is; what they did is checked through the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from labelport import Workspace
from tests.helpers import make_images
from tests.web.conftest import Site, ndjson

ONTOLOGY: dict[str, Any] = {"tools": [{"name": "car", "tool": "rectangle", "color": "#e6194b"}]}
PROJECT = "actions-gt"
ROW = "/actions/c.png"


@pytest.fixture(scope="module")
def project(site: Site, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A project of this module's own (one image), so no other test's imports touch its row."""
    root = tmp_path_factory.mktemp("actions")
    make_images(root / "actions", {"c.png": (120, 80)})
    with Workspace(site.server.db_url) as ws:
        ws.create_dataset("actions")
        ws.add_rows("actions", [root])
        ws.create_ontology("actions-ont", ONTOLOGY)
        ws.create_project(PROJECT, ontology="actions-ont", media_type="image")
        ws.create_batch(PROJECT, "all", dataset="actions")
    return PROJECT


def _api(site: Site, path: str, **params: Any) -> Any:
    res = httpx.get(
        site.url + path,
        params=params,
        headers={"Authorization": f"Bearer {site.server.tokens['read']}"},
        timeout=30,
    )
    assert res.status_code == 200, res.text
    return res.json()


def _box(n: int) -> dict[str, Any]:
    return {
        "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "dataRow": {"globalKey": ROW},
        "name": "car",
        "bbox": {"left": n, "top": 5, "width": 20, "height": 10},
    }


def test_a_queued_job_is_cancelled_after_confirming(
    page: Any, site: Site, project: str, tmp_path: Path
) -> None:
    # recorded but not handed to the server's runner: it stays queued until cancelled, so the
    # button is there however fast the machine is
    with Workspace(site.server.db_url) as ws:
        job_id = ws.create_import(project, ndjson([_box(1)], tmp_path / "q.ndjson"), format="ndjson")
    page.goto(f"{site.url}/ui/jobs/{job_id}")
    assert page.text_content("#job-state") == "queued"
    assert page.is_visible("#cancel-job") and not page.is_visible("#undo-job")

    questions: list[str] = []

    def answer(accept: bool) -> Any:
        def on(dialog: Any) -> None:
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return on

    page.once("dialog", answer(False))  # changed their mind: nothing is sent
    page.click("#cancel-job")
    assert questions and "Cancel job" in questions[-1]
    assert _api(site, f"/jobs/{job_id}")["state"] == "queued"
    assert page.text_content("#job-state") == "queued"

    page.once("dialog", answer(True))
    page.click("#cancel-job")
    page.wait_for_selector("#job[data-finished=yes]")
    assert page.text_content("#job-state") == "cancelled"
    assert not page.is_visible("#cancel-job") and not page.is_visible("#job-progress")
    assert _api(site, f"/jobs/{job_id}")["state"] == "cancelled"
    page.reload()  # the server renders it so too, with no buttons left
    assert page.text_content("#job-state") == "cancelled" and page.query_selector("#cancel-job") is None


def test_an_import_is_undone_after_confirming(page: Any, site: Site, project: str, tmp_path: Path) -> None:
    before = _api(site, "/row-labels", project=project, global_key=ROW)["labels"]
    with Workspace(site.server.db_url) as ws:
        job = ws.import_labels(
            project, ndjson([_box(2), _box(3)], tmp_path / "u.ndjson"), format="ndjson", on_existing="replace"
        )
    assert job.state.value == "succeeded"
    mine = {_box(2)["uuid"], _box(3)["uuid"]}
    assert mine <= {a["uid"] for a in _api(site, "/row-labels", project=project, global_key=ROW)["labels"]}

    page.goto(f"{site.url}/ui/jobs/{job.id}")
    assert page.is_visible("#undo-job") and not page.is_visible("#cancel-job")
    imported = page.text_content('[data-count="annotations_imported"]')
    page.once("dialog", lambda d: d.accept())
    page.click("#undo-job")
    page.wait_for_selector("#undone")
    assert page.query_selector("#undo-job") is None
    assert page.text_content("#job-state") == "succeeded"  # it ran; it is now undone
    assert page.text_content('[data-count="annotations_imported"]') == imported

    after = _api(site, "/row-labels", project=project, global_key=ROW)["labels"]
    assert not mine & {a["uid"] for a in after} and after == before
    assert _api(site, f"/jobs/{job.id}")["undone"] is True

    # a second undo is refused by the API; the page says so rather than pretending
    page.goto(f"{site.url}/ui/jobs/{job.id}")
    assert page.query_selector("#undo-job") is None and page.is_visible("#undone")


def test_a_failed_undo_shows_the_api_problem(page: Any, site: Site, project: str, tmp_path: Path) -> None:
    """An older import under a later one on the same row cannot be undone: the page shows the
    API's refusal and keeps the button."""
    with Workspace(site.server.db_url) as ws:
        first = ws.import_labels(
            project, ndjson([_box(4)], tmp_path / "a.ndjson"), format="ndjson", on_existing="replace"
        )
        ws.import_labels(
            project, ndjson([_box(5)], tmp_path / "b.ndjson"), format="ndjson", on_existing="replace"
        )
    page.goto(f"{site.url}/ui/jobs/{first.id}")
    page.once("dialog", lambda d: d.accept())
    page.click("#undo-job")
    page.wait_for_selector("#action-error:not([hidden])")
    assert "undo_blocked" in (page.text_content("#action-error") or "")
    assert page.is_enabled("#undo-job") and page.query_selector("#undone") is None
