"""The pages in real headless chromium: sign in, import with errors, read the report, fix, import,
and find the labels drawn at the right places on images, text and video."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from labelport import Workspace
from tests.web.conftest import TEXT, Site, ndjson

A = {"globalKey": "/a.png"}


def _wait_finished(page: Any) -> str:
    page.wait_for_selector("#job[data-finished=yes]", timeout=20_000)
    return str(page.text_content("#job-state"))


def _upload(page: Any, site: Site, project: str, payload: Path) -> None:
    page.goto(f"{site.url}/ui/projects/{project}/import")
    page.set_input_files("#payload", str(payload))
    page.wait_for_function("document.querySelector('#detected').textContent.startsWith('Detected')")
    assert page.is_checked("#dry_run")  # dry run first by default
    page.click("#start-import")
    page.wait_for_url("**/ui/jobs/*")


def test_sign_in_is_needed_and_a_bad_token_is_refused(browser: Any, site: Site) -> None:
    context = browser.new_context()
    p = context.new_page()
    p.goto(site.url + "/ui/projects/image-gt")
    assert "/ui/signin" in p.url
    p.fill("#token", "lpt_not-a-token")
    p.click("button[type=submit]")
    p.wait_for_selector("#signin-error")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["labelport_token"]["httpOnly"] and cookies["labelport_token"]["sameSite"] == "Strict"
    context.close()
    # a cookie does not let another site post: the origin must be the server's own
    refused = httpx.post(
        site.url + "/imports?project=image-gt",
        cookies={"labelport_token": site.server.tokens["import"]},
        headers={"origin": "http://evil.example"},
        content=b"{}",
    )
    assert refused.status_code == 403


def test_import_with_errors_then_fixed_then_drawn(page: Any, site: Site, tmp_path: Path) -> None:
    good = [
        {
            "uuid": "00000000-0000-4000-8000-000000000001",
            "dataRow": A,
            "name": "car",
            "bbox": {"left": 10, "top": 20, "width": 30, "height": 40},
        },
        {
            "uuid": "00000000-0000-4000-8000-000000000002",
            "dataRow": A,
            "name": "lake",
            "polygon": [{"x": 100, "y": 10}, {"x": 150, "y": 10}, {"x": 120, "y": 60}],
        },
        {
            "uuid": "00000000-0000-4000-8000-000000000003",
            "dataRow": A,
            "name": "pin",
            "point": {"x": 180, "y": 90},
        },
        {
            "uuid": "00000000-0000-4000-8000-000000000004",
            "dataRow": A,
            "name": "weather",
            "answer": {"name": "sunny"},
        },
    ]
    bad = [
        *good,
        {
            "uuid": "00000000-0000-4000-8000-000000000005",
            "dataRow": A,
            "name": "truck",
            "bbox": {"left": 1, "top": 1, "width": 2, "height": 2},
        },
    ]
    _upload(page, site, "image-gt", ndjson(bad, tmp_path / "labels.ndjson"))
    _wait_finished(page)
    assert page.is_visible("#dry-run-report")
    assert int(page.text_content("#would-refuse") or 0) >= 1
    codes = page.eval_on_selector_all("#issue-groups .group", "gs => gs.map(g => g.dataset.code)")
    assert codes, "the report groups the issues by code"
    assert page.is_visible("#issue-table a.row-link")
    assert not page.is_visible("#confirm")  # nothing to confirm while errors refuse rows

    _upload(page, site, "image-gt", ndjson(good, tmp_path / "labels.ndjson"))
    assert _wait_finished(page) == "succeeded"
    assert page.text_content("#would-create") == "3" or int(page.text_content("#would-create") or 0) >= 3
    dry_run_url = page.url
    page.click("#confirm")
    page.wait_for_url(lambda url: url != dry_run_url and "/ui/jobs/" in url)
    assert _wait_finished(page) == "succeeded"

    page.goto(f"{site.url}/ui/rows?project=image-gt&global_key=/a.png")
    page.wait_for_selector("#viewer[data-ready=yes]")
    rect = page.eval_on_selector(
        "#shapes rect[data-name=car]", "r => ['x','y','width','height'].map(k => +r.getAttribute(k))"
    )
    assert rect == [10, 20, 30, 40]
    points = page.get_attribute("#shapes [data-name=lake] polygon", "points")
    assert points == "100,10 150,10 120,60"
    pin = page.eval_on_selector(
        "#shapes circle[data-name=pin]", "c => [+c.getAttribute('cx'), +c.getAttribute('cy')]"
    )
    assert pin == [180, 90]
    assert page.eval_on_selector_all("#shapes .ann", "s => s.length") == 3
    assert "weather: sunny" in (page.text_content("#answers") or "")
    page.uncheck("#toggle-car")  # the legend hides a class
    assert not page.is_visible("#shapes rect[data-name=car]")


def test_text_entities_are_highlighted(page: Any, site: Site, tmp_path: Path) -> None:
    with Workspace(site.server.db_url) as ws:
        ws.import_labels(
            "text-gt",
            ndjson(
                [
                    {
                        "dataRow": {"globalKey": "/note.txt"},
                        "name": "person",
                        "location": {"start": 0, "end": 11},
                    },
                    {
                        "dataRow": {"globalKey": "/note.txt"},
                        "name": "person",
                        "location": {"start": 17, "end": 31},
                    },
                ],
                tmp_path / "t.ndjson",
            ),
            format="ndjson",
        )
    page.goto(f"{site.url}/ui/rows?project=text-gt&global_key=/note.txt")
    page.wait_for_selector("#viewer[data-ready=yes]")
    marks = page.eval_on_selector_all("mark.ann", "ms => ms.map(m => m.textContent)")
    assert marks == [TEXT[0:12], TEXT[17:32]]


def test_video_tracks_are_drawn_on_their_frames(page: Any, site: Site, tmp_path: Path) -> None:
    key = {"globalKey": "/clip.mp4"}

    def kf(frame: int, left: int) -> dict[str, Any]:
        return {"frame": frame, "bbox": {"left": left, "top": 5, "width": 10, "height": 10}}

    with Workspace(site.server.db_url) as ws:
        ws.import_labels(
            "video-gt",
            ndjson(
                [{"dataRow": key, "name": "ball", "segments": [{"keyframes": [kf(2, 0), kf(6, 40)]}]}],
                tmp_path / "v.ndjson",
            ),
            format="ndjson",
        )
    page.goto(f"{site.url}/ui/rows?project=video-gt&global_key=/clip.mp4")
    page.wait_for_selector("#viewer[data-ready=yes]")
    assert page.get_attribute("#stage", "data-frame") == "2"
    assert page.eval_on_selector("#shapes rect", "r => +r.getAttribute('x')") == 0
    page.fill("#frame", "4")
    page.dispatch_event("#frame", "input")
    assert page.eval_on_selector("#shapes rect", "r => +r.getAttribute('x')") == 20  # between keyframes
    page.fill("#frame", "8")
    page.dispatch_event("#frame", "input")
    assert page.eval_on_selector_all("#shapes rect", "r => r.length") == 0  # the segment ended at 6
