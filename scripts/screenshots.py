"""Screenshots of the web UI's main pages at desktop size, for a person to look at.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]   (default: ./screenshots, not committed)

Builds the demo workspace (`labelport demo`'s images, ontology and labels), adds a dry run of a
payload with mistakes so the job page has a report to show, and the row viewer's test media (a PDF,
audio, an image sequence, a video, a conversation, masks and a skeleton: tests/web/viewer_media.py,
real encoded files with labels imported through the real formats), serves it on loopback and drives
Debian's chromium (/usr/bin/chromium) through Playwright. `docs/web-ui.png`, which the README
shows, is the row page copied from OUT_DIR by hand when the UI changes.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from playwright.sync_api import sync_playwright

from labelport import Workspace
from labelport.workspace.demo import run_demo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for its test media
from tests.web.viewer_media import Media, build_media

CHROMIUM = "/usr/bin/chromium"
SIZE = {"width": 1440, "height": 900}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _mistakes(folder: Path) -> Path:
    lines = [
        {"dataRow": {"globalKey": "/batch_1/day/street_01.jpg"}, "name": "truck", "bbox": [1, 2, 3, 4]},
        {
            "dataRow": {"globalKey": "/batch_9/street_99.jpg"},
            "name": "car",
            "bbox": {"left": 1, "top": 2, "width": 3, "height": 4},
        },
        {
            "dataRow": {"globalKey": "/batch_1/day/street_02.jpg"},
            "name": "weather",
            "answer": {"name": "foggy"},
        },
    ]
    path = folder / "mistakes.ndjson"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines * 20), encoding="utf-8")
    return path


def _viewer_rows(media: Media) -> dict[str, str]:
    """A row page per media type the viewer draws, named row-<type>."""
    rows = {
        "pdf": media.pdf,
        "audio": media.audio,
        "sequence": media.sequence,
        "video": media.video,
        "conversation": media.conversation,
        "masks": media.shapes,
        "keypoints": media.pose,
        "large-image": media.big,
    }
    return {
        f"row-{name}": f"/ui/rows?project={quote(project)}&global_key={quote(key, safe='')}"
        for name, (project, key) in rows.items()
    }


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "demo"
        run_demo(folder)
        url = str(folder / "labelport.db")
        with Workspace(url) as ws:
            ws.import_labels("streets-gt", _mistakes(folder), format="ndjson", dry_run=True)
            token = ws.create_token("import", name="screenshots").token
            job = max(j.id for j in ws.jobs("streets-gt"))
            media = build_media(ws, Path(tmp) / "media")
        port = _port()
        server = subprocess.Popen(
            [sys.executable, "-m", "labelport.cli.main", "--db", url, "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
                page = browser.new_page(viewport=SIZE)
                page.goto(base + "/ui/signin")
                page.screenshot(path=str(out / "signin.png"))
                page.fill("#token", token)
                page.click("button[type=submit]")
                page.wait_for_url("**/ui/projects")
                shots = {
                    "projects": "/ui/projects",
                    "project": "/ui/projects/streets-gt",
                    "import": "/ui/projects/streets-gt/import",
                    "job": f"/ui/jobs/{job}",
                    "row": "/ui/rows?project=streets-gt&global_key=/batch_1/day/street_02.jpg",
                    **_viewer_rows(media),
                }
                for name, path in shots.items():
                    page.goto(base + path)
                    if name.startswith("row"):
                        page.wait_for_selector("#viewer[data-ready=yes]")
                    page.screenshot(path=str(out / f"{name}.png"), full_page=not name.startswith("row"))
                    print(out / f"{name}.png")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=15)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("screenshots"))
