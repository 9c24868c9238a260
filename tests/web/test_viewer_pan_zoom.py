"""Pan and zoom in real chromium: on a 4000x3000 image the wheel zooms about the pointer and a drag
pans, both by changing the SVG's viewBox, and the shapes stay on the same pixels of the image
(checked on screen, from the elements' own boxes); under a video, the picture follows too."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Site, open_row
from tests.web.viewer_media import Media

W, H = 4000, 3000
CAR = [1000, 1000, 500, 250]  # the first car's box on the big image


def _box(page: Any, selector: str) -> list[float]:
    return list(
        page.eval_on_selector(
            selector,
            "n => { const b = n.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; }",
        )
    )


def _view_box(page: Any) -> list[float]:
    return [float(v) for v in (page.get_attribute("#stage", "viewBox") or "").split()]


def _aligned(
    page: Any, shape: str, geometry: list[float], picture: list[float], size: tuple[int, int]
) -> None:
    """The shape is on screen where its geometry falls on the picture as drawn now."""
    k = picture[2] / size[0]
    assert picture[3] / size[1] == pytest.approx(k, rel=1e-3)  # drawn unstretched
    want = [picture[0] + geometry[0] * k, picture[1] + geometry[1] * k, geometry[2] * k, geometry[3] * k]
    assert _box(page, shape) == pytest.approx(want, abs=1.0)


def test_wheel_zoom_and_drag_keep_shapes_on_the_image(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.big)
    image, car = "#stage .asset image", "#shapes rect.ann[data-name=car]"
    assert _view_box(page) == [0, 0, W, H]
    _aligned(page, car, CAR, _box(page, image), (W, H))

    # zoom in about the car's centre: the viewBox shrinks and the car's centre does not move
    before = _box(page, car)
    cx, cy = before[0] + before[2] / 2, before[1] + before[3] / 2
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -120)
    page.wait_for_function("document.querySelector('#stage').getAttribute('viewBox') !== '0 0 4000 3000'")
    vb = _view_box(page)
    assert vb[2:] == pytest.approx([W * 0.8, H * 0.8])
    after = _box(page, car)
    assert after[2] == pytest.approx(before[2] / 0.8, rel=1e-3)
    assert [after[0] + after[2] / 2, after[1] + after[3] / 2] == pytest.approx([cx, cy], abs=1.0)
    _aligned(page, car, CAR, _box(page, image), (W, H))
    page.mouse.wheel(0, -120)
    page.wait_for_function(
        f"+document.querySelector('#stage').getAttribute('viewBox').split(' ')[2] < {W * 0.8 - 1}"
    )
    assert _view_box(page)[2] == pytest.approx(W * 0.64)
    assert float(page.get_attribute("#stage", "data-zoom") or 0) == pytest.approx(1 / 0.64, rel=1e-3)

    # drag 120 px right and 60 px down: the picture and the shapes move with the pointer
    zoomed_vb, picture, car_before = _view_box(page), _box(page, image), _box(page, car)
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 60, cy + 30, steps=3)
    page.mouse.move(cx + 120, cy + 60, steps=3)
    page.mouse.up()
    vb = _view_box(page)
    units_per_px = W / picture[2]  # image (viewBox) units per screen pixel
    assert vb[0] == pytest.approx(zoomed_vb[0] - 120 * units_per_px, abs=units_per_px)
    assert vb[1] == pytest.approx(zoomed_vb[1] - 60 * units_per_px, abs=units_per_px)
    moved = _box(page, car)
    assert [moved[0] - car_before[0], moved[1] - car_before[1]] == pytest.approx([120, 60], abs=1.0)
    _aligned(page, car, CAR, _box(page, image), (W, H))
    second = page.eval_on_selector_all("#shapes rect.ann", "rs => rs.length")
    assert second == 2

    page.dblclick("#stage")  # fit the whole image again
    assert _view_box(page) == [0, 0, W, H]
    _aligned(page, car, CAR, _box(page, image), (W, H))


def _video_picture(page: Any, size: tuple[int, int]) -> list[float]:
    """Where the video's frame is on screen: its element's box (with its CSS transform), less the
    bars of a letterboxed ("contain") picture."""
    left, top, width, height = _box(page, "#video")
    k = min(width / size[0], height / size[1])
    return [left + (width - size[0] * k) / 2, top + (height - size[1] * k) / 2, size[0] * k, size[1] * k]


def test_a_video_follows_the_shapes_when_zoomed(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.video)
    ball = "#shapes rect.ann"
    first = [0, 10, 20, 20]
    _aligned(page, ball, first, _video_picture(page, (160, 120)), (160, 120))
    box = _box(page, "#stage")
    page.mouse.move(box[0] + box[2] * 0.3, box[1] + box[3] * 0.4)
    page.mouse.wheel(0, -120)
    page.mouse.wheel(0, -120)
    page.wait_for_function("+document.querySelector('#stage').getAttribute('viewBox').split(' ')[2] < 103")
    picture = _video_picture(page, (160, 120))
    assert picture[2] == pytest.approx(_video_picture_unzoomed(box, (160, 120))[2] / 0.64, rel=1e-3)
    _aligned(page, ball, first, picture, (160, 120))
    page.mouse.move(box[0] + 200, box[1] + 200)
    page.mouse.down()
    page.mouse.move(box[0] + 150, box[1] + 260, steps=4)
    page.mouse.up()
    _aligned(page, ball, first, _video_picture(page, (160, 120)), (160, 120))


def _video_picture_unzoomed(box: list[float], size: tuple[int, int]) -> list[float]:
    k = min(box[2] / size[0], box[3] / size[1])
    return [0, 0, size[0] * k, size[1] * k]
