"""PDF pages rendered by PDFium: at a bounded scale, framed as the probe and the text layer frame
the page (crop box turned by /Rotate, from the top-left), with errors that say which page."""

from __future__ import annotations

import io
import math
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labelport.media.probes.pdf import probe_pdf
from labelport.media.render import MAX_SCALE, page_scale, render_pdf_page
from labelport.model.errors import InvalidInputError, NotFoundError
from tests.media.assets import make_garbage, make_pdf, make_text_pdf


def _ink(png: bytes) -> tuple[int, int, int, int]:
    """The box (x0, y0, x1, y1) of the dark pixels of a rendered page."""
    grey = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    ys, xs = np.nonzero(grey < 128)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def _inside(ink: tuple[int, int, int, int], box: list[float], scale: float) -> bool:
    x, y, w, h = (v * scale for v in box)
    return bool(x - 1 <= ink[0] and y - 1 <= ink[1] and ink[2] <= x + w + 1 and ink[3] <= y + h + 1)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_words_are_inked_inside_their_text_layer_boxes(tmp_path: Path, rotate: int) -> None:
    pdf = make_text_pdf(tmp_path / "a.pdf", [[(72, 720, "Hello")]], rotate=rotate)
    meta = probe_pdf(pdf)
    (token,) = meta["text_layer"][0]["groups"][0]["tokens"]
    shown = render_pdf_page(pdf, 1)
    size = meta["pages"][0]
    assert (shown.width, shown.height) == (
        math.ceil(size["width"] * shown.scale),
        math.ceil(size["height"] * shown.scale),
    )
    assert _inside(_ink(shown.png), token["box"], shown.scale), (rotate, _ink(shown.png), token["box"])


def test_the_scale_is_bounded_both_ways(tmp_path: Path) -> None:
    letter = render_pdf_page(make_pdf(tmp_path / "l.pdf", [(612, 792, 0)]), 1)
    assert letter.scale == pytest.approx(2000 / 792) and letter.height == 2000
    poster = render_pdf_page(make_pdf(tmp_path / "p.pdf", [(7200, 3600, 0)]), 1, max_side=1000)
    assert (poster.width, poster.height) == (1000, 500)
    stamp = render_pdf_page(make_pdf(tmp_path / "s.pdf", [(100, 50, 0)]), 1)
    assert stamp.scale == MAX_SCALE and (stamp.width, stamp.height) == (300, 150)  # not blown up
    assert page_scale(612, 792) == letter.scale
    picture = Image.open(io.BytesIO(stamp.png))
    assert picture.format == "PNG" and picture.getpixel((150, 75))[:3] == (255, 255, 255)  # on white


def test_a_missing_page_and_an_unreadable_file_are_errors_with_codes(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "two.pdf", [(612, 792, 0), (612, 792, 0)])
    assert render_pdf_page(pdf, 2).height == 2000
    for page in (0, 3):
        with pytest.raises(NotFoundError) as missing:
            render_pdf_page(pdf, page)
        assert missing.value.code == "page_not_found" and "it has 2" in missing.value.message
    with pytest.raises(InvalidInputError) as broken:
        render_pdf_page(make_garbage(tmp_path / "junk.pdf"), 1)
    assert broken.value.code == "asset_unreadable"


def test_pages_render_from_many_threads_at_once(tmp_path: Path) -> None:
    """PDFium is not thread-safe; the server renders on a thread pool while rows are probed."""
    pdf = make_text_pdf(tmp_path / "t.pdf", [[(72, 720, f"page {n}")] for n in range(4)])
    results: list[bytes] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            results.append(render_pdf_page(pdf, n % 4 + 1, max_side=400).png)
            probe_pdf(pdf)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 16
    assert len(set(results)) == 4  # each page always renders the same
