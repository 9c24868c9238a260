"""What the viewer reads, over HTTP on SQLite and PostgreSQL: a PDF page rendered by /assets with
its scale, and /row-labels naming each skeleton's points and edges and a distinct colour for every
class (classifications too) where the ontology gives none."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from labelport import Workspace
from tests.media.assets import make_image, make_text_pdf
from tests.web.conftest import Site
from tests.web.viewer_media import ndjson

ONTOLOGY: dict[str, Any] = {
    "tools": [
        {"name": "person", "tool": "skeleton", "keypoints": ["head", "hip"], "edges": [[1, 2]]},
        {"name": "box", "tool": "rectangle"},
        {"name": "car", "tool": "rectangle", "color": "#123456"},
    ],
    "classifications": [{"name": "weather", "type": "radio", "options": [{"value": "sunny"}]}],
}


def _rows(site: Site, tmp: Path) -> None:
    """A PDF and an image project in the engine's workspace, once per workspace."""
    with Workspace(site.server.db_url) as ws:
        if any(p.name == "api-pdf" for p in ws.projects()):
            return
        pdf = make_text_pdf(tmp / "api.pdf", [[(72, 720, "Hello")], [(72, 720, "Two")]], size=(300, 400))
        image = make_image(tmp / "api.png", (50, 40))
        ws.create_ontology("api-ont", ONTOLOGY)
        for name, media, key, path in (
            ("api-pdf", "pdf", "api/doc.pdf", pdf),
            ("api-img", "image", "api/img.png", image),
        ):
            manifest = tmp / f"{name}.json"
            manifest.write_text(json.dumps([{"uri": str(path), "global_key": key}]), encoding="utf-8")
            ws.create_dataset(name)
            ws.add_manifest(name, manifest)
            ws.create_project(name, ontology="api-ont", media_type=media)
            ws.create_batch(name, "all", dataset=name)
        box = {"left": 1, "top": 2, "width": 3, "height": 4}
        line = {"dataRow": {"globalKey": "api/img.png"}, "name": "box", "bbox": box}
        job = ws.import_labels("api-img", ndjson([line], tmp / "x.ndjson"), format="ndjson")
        assert job.state.value == "succeeded", [i.message for i in ws.job_issues(job.id)]


def test_a_pdf_page_is_rendered_with_its_scale(views_site: Site, tmp_path: Path) -> None:
    _rows(views_site, tmp_path)
    cookies = {"labelport_token": views_site.server.tokens["read"]}
    with httpx.Client(base_url=views_site.url, cookies=cookies) as c:
        for page in (1, 2):
            res = c.get("/assets", params={"global_key": "api/doc.pdf", "page": page})
            assert res.status_code == 200 and res.headers["content-type"] == "image/png"
            scale = float(res.headers["x-render-scale"])
            assert scale == 3.0  # a small page: the largest scale, not blown up to 2000 px
            assert Image.open(io.BytesIO(res.content)).size == (
                math.ceil(300 * scale),
                math.ceil(400 * scale),
            )
        missing = c.get("/assets", params={"global_key": "api/doc.pdf", "page": 3})
        assert (missing.status_code, missing.json()["code"]) == (404, "page_not_found")
        refused = c.get("/assets", params={"global_key": "api/img.png", "page": 1})
        assert (refused.status_code, refused.json()["code"]) == (422, "not_a_pdf")
        whole = c.get("/assets", params={"global_key": "api/doc.pdf"})
        assert whole.content.startswith(b"%PDF-")  # without `page`, the file itself


def test_row_labels_name_skeletons_and_colour_every_class(views_site: Site, tmp_path: Path) -> None:
    _rows(views_site, tmp_path)
    cookies = {"labelport_token": views_site.server.tokens["read"]}
    with httpx.Client(base_url=views_site.url, cookies=cookies) as c:
        view = c.get("/row-labels", params={"project": "api-img", "global_key": "api/img.png"}).json()
    assert view["skeletons"] == {"person": {"keypoints": ["head", "hip"], "edges": [[1, 2]]}}
    colors = view["colors"]
    assert set(colors) == {"person", "box", "car", "weather"}
    assert colors["car"] == "#123456"  # the ontology's own
    assert len(set(colors.values())) == 4  # the others each get a different one
    assert [a["geometry"] for a in view["labels"]] == [[1, 2, 3, 4]]
