"""PDF rows in the viewer: each page is rendered by the server (GET /assets?page=N, a PNG and its
scale), the boxes of that page only are drawn over it at their points times the scale, text
selections light up the tokens they name, and the page switcher moves between pages."""

from __future__ import annotations

import io
import math
from typing import Any

import httpx
import numpy as np
from PIL import Image

from tests.web.conftest import Site, open_row
from tests.web.viewer_media import Media


def _rects(page: Any, selector: str) -> list[list[float]]:
    return list(
        page.eval_on_selector_all(
            selector, "rs => rs.map(r => ['x','y','width','height'].map(k => +r.getAttribute(k)))"
        )
    )


def _scaled(box: list[float], k: float) -> list[float]:
    return [round(v * k, 3) for v in box]


def _rounded(rects: list[list[float]]) -> list[list[float]]:
    return [[round(v, 3) for v in r] for r in rects]


def test_the_page_is_rendered_by_the_api_with_its_scale(site: Site, media: Media) -> None:
    cookies = {"labelport_token": site.server.tokens["read"]}
    _, key = media.pdf
    with httpx.Client(base_url=site.url, cookies=cookies) as c:
        res = c.get("/assets", params={"global_key": key, "page": 1})
        assert res.status_code == 200 and res.headers["content-type"] == "image/png"
        scale = float(res.headers["x-render-scale"])
        picture = Image.open(io.BytesIO(res.content))
        assert picture.size == (math.ceil(612 * scale), math.ceil(792 * scale))  # whole pixels
        assert max(picture.size) <= 2000  # a bounded scale
        # the words of the text layer are inked where the layer says, after scaling
        grey = np.asarray(picture.convert("L"))
        x, y, w, h = _scaled(media_token_box(site, media, "Invoice"), scale)
        assert grey[int(y) : int(y + h), int(x) : int(x + w)].min() < 100
        assert grey[int(y + 3 * h) : int(y + 4 * h), int(x) : int(x + w)].min() > 240  # blank below
        missing = c.get("/assets", params={"global_key": key, "page": 3})
        assert missing.status_code == 404 and missing.json()["code"] == "page_not_found"
        not_pdf = c.get("/assets", params={"global_key": media.shapes[1], "page": 1})
        assert not_pdf.status_code == 422 and not_pdf.json()["code"] == "not_a_pdf"
    assert httpx.get(site.url + "/assets", params={"global_key": key, "page": 1}).status_code == 401


def media_token_box(site: Site, media: Media, word: str) -> list[float]:
    from labelport import Workspace

    token_id = media.pdf_tokens[word][0]
    with Workspace(site.server.db_url) as ws:
        for page in ws.row(media.pdf[1]).metadata["text_layer"]:
            for group in page["groups"]:
                for token in group["tokens"]:
                    if token["id"] == token_id:
                        return list(token["box"])
    raise AssertionError(word)


def test_boxes_and_selections_are_drawn_over_the_rendered_page(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.pdf)
    assert page.get_attribute("#stage", "data-page") == "1"
    assert page.get_attribute("#stage", "data-page-count") == "2"
    k = float(page.get_attribute("#stage", "data-scale") or 0)
    assert 1 < k <= 3
    # the SVG's units are the picture's pixels; the picture is the page as the API renders it
    size = [math.ceil(612 * k), math.ceil(792 * k)]
    assert page.get_attribute("#stage", "viewBox") == f"0 0 {size[0]} {size[1]}"
    assert [float(page.get_attribute("#page-image", a) or 0) for a in ("width", "height")] == size
    href = page.get_attribute("#page-image", "href") or ""
    assert href.startswith("blob:")
    natural = page.evaluate(
        """async (src) => { const i = new Image(); i.src = src; await i.decode();
        return [i.naturalWidth, i.naturalHeight]; }""",
        href,
    )
    assert natural == size
    # page 1 has two boxes, at their points times the scale
    assert _rounded(_rects(page, "#shapes rect.ann[data-name=field]")) == [
        _scaled([72, 60, 228, 20], k),
        _scaled([300, 400, 100, 50], k),
    ]
    # the text selection lights up its two tokens, where the text layer has them
    tokens = page.eval_on_selector_all(
        "#shapes g.selection[data-name=person] rect.token", "rs => rs.map(r => r.dataset.token)"
    )
    assert tokens == [media.pdf_tokens["Ada"][0], media.pdf_tokens["Lovelace"][0]]
    boxes = _rounded(_rects(page, "#shapes g.selection rect.token"))
    assert boxes == [_scaled(media_token_box(site, media, w), k) for w in ("Ada", "Lovelace")]
    fill = page.eval_on_selector(
        "#shapes g.selection rect.token", "r => [r.getAttribute('fill'), +r.getAttribute('fill-opacity')]"
    )
    assert fill[0] == "#3cb44b" and 0 < fill[1] < 1  # the class colour, see-through: a highlight
    assert page.eval_on_selector_all("#shapes .ann", "s => s.length") == 3


def test_the_page_switcher_shows_each_page_with_its_own_boxes(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.pdf)
    assert page.is_disabled("#page-prev") and not page.is_disabled("#page-next")
    page.click("#page-next")
    page.wait_for_selector("#stage[data-page='2']")
    page.wait_for_selector("#viewer[data-ready=yes]")
    assert page.text_content("#page-label") == "page 2 / 2"
    k = float(page.get_attribute("#stage", "data-scale") or 0)
    assert _rounded(_rects(page, "#shapes rect.ann")) == [_scaled([100, 200, 50, 40], k)]
    assert page.eval_on_selector_all("#shapes g.selection", "s => s.length") == 0  # it is on page 1
    assert page.is_disabled("#page-next")
    page.select_option("#page", "1")
    page.wait_for_selector("#stage[data-page='1']")
    page.wait_for_selector("#viewer[data-ready=yes]")
    assert page.eval_on_selector_all("#shapes .ann", "s => s.length") == 3
    assert page.eval_on_selector_all("#page option", "os => os.map(o => o.textContent)") == [
        "page 1 (3)",
        "page 2 (1)",
    ]
    # the legend hides a class's boxes and its highlights alike
    page.uncheck("#toggle-person")
    assert not page.is_visible("#shapes g.selection[data-name=person]")
    assert page.is_visible("#shapes rect[data-name=field]")
    page.check("#toggle-person")
    assert page.is_visible("#shapes g.selection[data-name=person] rect.token")
