"""A live server over a workspace with an image, a text and a video project, and headless Debian
chromium driven by Playwright; skipped only where /usr/bin/chromium is absent (CI installs it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from labelport import Workspace
from tests.api.conftest import engine_server
from tests.api.server import Server, running_server
from tests.helpers import make_images
from tests.media.assets import make_video
from tests.web.viewer_media import Media, build_media
from tests.web.viewer_media import ndjson as ndjson  # re-exported: the page tests write payloads with it

CHROMIUM = Path("/usr/bin/chromium")
IMAGE_ONTOLOGY: dict[str, Any] = {
    "tools": [
        {"name": "car", "tool": "rectangle", "color": "#e6194b"},
        {"name": "lake", "tool": "polygon", "color": "#4363d8"},
        {"name": "pin", "tool": "point", "color": "#3cb44b"},
    ],
    "classifications": [
        {"name": "weather", "type": "radio", "options": [{"value": "sunny"}, {"value": "rainy"}]}
    ],
}
TEXT_ONTOLOGY: dict[str, Any] = {"tools": [{"name": "person", "tool": "named-entity", "color": "#f58231"}]}
VIDEO_ONTOLOGY: dict[str, Any] = {"tools": [{"name": "ball", "tool": "rectangle", "color": "#911eb4"}]}
TEXT = "Ada Lovelace met Charles Babbage in London."


@dataclass
class Site:
    server: Server
    assets: Path

    @property
    def url(self) -> str:
        return self.server.url


def _build(db: str, assets: Path) -> None:
    make_images(assets / "img", {"a.png": (200, 100), "b.png": (200, 100)})
    (assets / "txt").mkdir(parents=True)
    (assets / "txt" / "note.txt").write_text(TEXT, encoding="utf-8")
    (assets / "vid").mkdir(parents=True)
    make_video(assets / "vid" / "clip.mp4", frames=10, size=(64, 48), fps=10)
    with Workspace(db, create=True) as ws:
        for kind, ontology in (("image", IMAGE_ONTOLOGY), ("text", TEXT_ONTOLOGY), ("video", VIDEO_ONTOLOGY)):
            sub = {"image": "img", "text": "txt", "video": "vid"}[kind]
            ws.create_dataset(kind)
            ws.add_rows(kind, [assets / sub])
            ws.create_ontology(f"{kind}-ont", ontology)
            ws.create_project(f"{kind}-gt", ontology=f"{kind}-ont", media_type=kind)
            ws.create_batch(f"{kind}-gt", "all", dataset=kind)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent (install Debian's chromium package; .ci/run does)")
    tmp = tmp_path_factory.mktemp("web")
    db = str(tmp / "ws.db")
    _build(db, tmp / "data")
    with running_server(db, tmp) as server:
        yield Site(server, tmp / "data")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def views_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The same workspace behind a server on each engine, for the API routes the pages read (no
    browser needed): their queries run on SQLite and PostgreSQL alike."""
    tmp = tmp_path_factory.mktemp(f"views-{request.param}")
    with engine_server(request.param, tmp) as server:
        _build(server.db_url, tmp / "data")
        yield Site(server, tmp / "data")


@pytest.fixture(scope="session")
def browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    """A signed-in page (import scope) of a fresh browser context."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.goto(site.url + "/ui/projects")
    p.fill("#token", site.server.tokens["import"])
    p.click("button[type=submit]")
    p.wait_for_url("**/ui/projects")
    yield p
    context.close()


@pytest.fixture(scope="session")
def media(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Media:
    """A project per media type the viewer draws, added to the ``site`` workspace, each with
    labels imported through the real formats (NDJSON, AIMMO, COCO) from real encoded assets."""
    with Workspace(site.server.db_url) as ws:
        return build_media(ws, tmp_path_factory.mktemp("viewer-media"))


def open_row(page: Any, site: Site, where: tuple[str, str]) -> None:
    """Open a row's page and wait for the viewer to have drawn it."""
    project, key = where
    page.goto(f"{site.url}/ui/rows?project={quote(project)}&global_key={quote(key, safe='')}")
    page.wait_for_selector("#viewer[data-ready=yes]", timeout=15_000)
