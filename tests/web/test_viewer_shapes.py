"""Image shapes beyond boxes in the viewer: per-class colour masks (checked pixel by pixel in the
drawn picture), skeleton keypoints with their bones, polylines, and legend toggles per class."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Site, open_row
from tests.web.viewer_media import Media

PIXEL = """([sel, x, y]) => new Promise((done) => {
    const img = new Image();
    img.onload = () => {
        const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        const g = c.getContext('2d');
        g.drawImage(img, 0, 0);
        done([c.width, c.height, ...g.getImageData(x, y, 1, 1).data]);
    };
    img.src = document.querySelector(sel).getAttribute('href');
})"""


def _pixel(page: Any, selector: str, x: int, y: int) -> list[int]:
    """[mask width, mask height, r, g, b, a] of the drawn mask picture at (x, y)."""
    return list(page.evaluate(PIXEL, [selector, x, y]))


def _near(got: list[int], want: list[int]) -> bool:
    """Equal but for the canvas's rounding of see-through colours (it stores them premultiplied)."""
    return got[:2] == want[:2] and all(abs(a - b) <= 2 for a, b in zip(got[2:], want[2:], strict=True))


def test_masks_are_drawn_in_their_class_colour(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.shapes)
    masks = page.eval_on_selector_all(
        "#shapes image.ann[data-kind=mask]",
        """ms => ms.map(m => [m.dataset.name, m.dataset.color,
            ...['x', 'y', 'width', 'height'].map(k => +m.getAttribute(k))])""",
    )
    assert masks == [["sky", "#4363d8", 0, 0, 400, 300], ["grass", "#3cb44b", 0, 0, 400, 300]]
    sky, grass = "#shapes image[data-name=sky]", "#shapes image[data-name=grass]"
    assert _near(_pixel(page, sky, 200, 50), [400, 300, 0x43, 0x63, 0xD8, 150])  # inside: the class colour
    assert _pixel(page, sky, 200, 100)[5] == 0  # the row just below the mask: see-through
    assert _near(_pixel(page, grass, 60, 250), [400, 300, 0x3C, 0xB4, 0x4B, 150])
    assert _pixel(page, grass, 40, 250)[5] == 0  # left of the grass box
    assert _pixel(page, grass, 200, 150)[5] == 0


def test_polylines_are_drawn_point_by_point(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.shapes)
    lines = page.eval_on_selector_all(
        "#shapes polyline.ann[data-name=road]",
        "ls => ls.map(l => [l.getAttribute('points'), l.getAttribute('fill')])",
    )
    assert lines == [["0,150 200,180 400,150", "none"], ["10,10 20,290", "none"]]
    assert page.eval_on_selector_all("#shapes .ann", "s => s.length") == 4
    legend = page.eval_on_selector_all("#legend label", "ls => ls.map(l => l.textContent.trim())")
    assert legend == ["sky (1)", "grass (1)", "road (2)"]


def test_keypoints_are_joined_by_the_skeletons_bones(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.pose)
    people = page.eval_on_selector_all(
        "#shapes g.ann[data-kind=keypoints]",
        """gs => gs.map(g => ({
            points: [...g.querySelectorAll('circle.kp')].map(c =>
                [c.dataset.point, +c.getAttribute('cx'), +c.getAttribute('cy'), c.getAttribute('fill')]),
            bones: [...g.querySelectorAll('line.bone')].map(l =>
                [l.dataset.edge, ...['x1', 'y1', 'x2', 'y2'].map(k => +l.getAttribute(k))]),
        }))""",
    )
    colour = page.evaluate(
        """async () => (await (await fetch('/row-labels?project=v-img&global_key=viewer%2Fpose.png'))
            .json()).colors.person"""
    )
    assert people[0] == {
        "points": [
            ["head", 100, 20, colour],
            ["hip", 100, 100, "#fff"],  # v 1: labelled but hidden, drawn hollow
            ["foot", 60, 180, colour],
        ],
        "bones": [["1-2", 100, 20, 100, 100], ["2-3", 100, 100, 60, 180]],
    }
    # the second person's hip is absent (v 0): no point, and neither bone that needs it
    assert people[1] == {"points": [["head", 30, 30, colour], ["foot", 40, 150, colour]], "bones": []}
    page.uncheck("#toggle-person")
    assert not page.is_visible("#shapes g[data-name=person] circle.kp")
    assert page.eval_on_selector_all("#shapes .ann.off", "s => s.length") == 2
    page.check("#toggle-person")
    assert page.is_visible("#shapes g[data-name=person] circle.kp")


def test_legend_toggles_one_class_only(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.shapes)

    def shown() -> dict[str, int]:
        out: dict[str, int] = {}
        for name in page.eval_on_selector_all(
            "#shapes .ann",
            "s => s.filter(n => getComputedStyle(n).display !== 'none').map(n => n.dataset.name)",
        ):
            out[name] = out.get(name, 0) + 1
        return out

    assert shown() == {"sky": 1, "grass": 1, "road": 2}
    page.uncheck("#toggle-road")
    assert shown() == {"sky": 1, "grass": 1}
    page.uncheck("#toggle-sky")
    assert shown() == {"grass": 1}
    page.check("#toggle-road")
    assert shown() == {"grass": 1, "road": 2}
