"""Frames in the viewer: an AIMMO image sequence (a folder of frames of two sizes) and a video,
each with a frame scrubber that shows a frame's own picture and the tracks on that frame: a
scene's objects only where they were drawn, a video's carried between keyframes of a segment."""

from __future__ import annotations

from typing import Any

import httpx

from tests.web.conftest import Site, open_row
from tests.web.viewer_media import SCENE_FRAMES, Media


def _go(page: Any, frame: int) -> None:
    page.fill("#frame", str(frame))
    page.dispatch_event("#frame", "input")
    page.wait_for_selector(f"#stage[data-frame='{frame}']")


def _boxes(page: Any) -> dict[str, list[float]]:
    """Track id -> [x, y, w, h] of every box drawn now."""
    found = page.eval_on_selector_all(
        "#shapes rect.ann",
        "rs => rs.map(r => [r.dataset.track, ['x','y','width','height'].map(k => +r.getAttribute(k))])",
    )
    return {track: [round(v, 3) for v in box] for track, box in found}


def _frame_loaded(page: Any) -> list[int]:
    """The natural size of the frame picture the stage shows (fetched from the API)."""
    return list(
        page.evaluate(
            """async () => { const i = new Image(); i.src = document.querySelector('#frame-image')
            .getAttribute('href'); await i.decode(); return [i.naturalWidth, i.naturalHeight]; }"""
        )
    )


def test_a_scene_shows_each_frame_with_its_own_tracks(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.sequence)
    sizes = list(SCENE_FRAMES.values())
    assert page.get_attribute("#frame", "max") == "3"
    assert page.get_attribute("#stage", "data-frame") == "1"
    assert page.text_content("#frame-label") == "frame 1 / 3 · frame_1.jpg"
    assert page.get_attribute("#stage", "viewBox") == "0 0 320 240"
    assert _frame_loaded(page) == list(sizes[0])
    assert _boxes(page) == {"1": [10, 20, 50, 60], "2": [200, 100, 100, 100]}
    assert page.get_attribute("#shapes polyline[data-name=lane]", "points") == "0,239 160,120 319,0"

    _go(page, 2)  # track 2 is not on frame 2: it is not carried over from frame 1
    assert _boxes(page) == {"1": [30, 20, 50, 60]}
    assert page.eval_on_selector_all("#shapes .ann", "s => s.length") == 1

    page.click("#frame-next")  # the third file, frame_10.jpg (natural order), is smaller
    page.wait_for_selector("#stage[data-frame='3']")
    assert page.text_content("#frame-label") == "frame 3 / 3 · frame_10.jpg"
    assert page.get_attribute("#stage", "viewBox") == "0 0 160 120"
    assert [page.get_attribute("#frame-image", a) for a in ("width", "height")] == ["160", "120"]
    assert _frame_loaded(page) == list(sizes[2])
    assert _boxes(page) == {"1": [5, 6, 45, 54], "2": [100, 50, 50, 50]}

    page.uncheck("#toggle-car")  # the legend's choice holds on every frame
    page.click("#frame-prev")
    page.wait_for_selector("#stage[data-frame='2']")
    assert not page.is_visible("#shapes rect[data-name=car]")
    assert page.eval_on_selector_all("#shapes .ann.off", "s => s.length") == 1


def test_a_frame_of_a_scene_is_served_by_the_api(site: Site, media: Media) -> None:
    cookies = {"labelport_token": site.server.tokens["read"]}
    with httpx.Client(base_url=site.url, cookies=cookies) as c:
        third = c.get("/assets", params={"global_key": media.sequence[1], "frame": 3})
        assert third.status_code == 200
        assert third.content == (media.root / "seq" / "scene" / "drive_1" / "frame_10.jpg").read_bytes()
        assert c.get("/assets", params={"global_key": media.sequence[1], "frame": 4}).status_code == 404


def test_video_tracks_follow_the_scrubber(page: Any, site: Site, media: Media) -> None:
    open_row(page, site, media.video)
    assert page.get_attribute("#frame", "max") == "20"
    assert page.get_attribute("#stage", "viewBox") == "0 0 160 120"
    assert page.eval_on_selector("#video", "v => v.src").endswith("global_key=viewer%2Fride.mp4")
    boxes = _boxes(page)
    assert list(boxes.values()) == [[0, 10, 20, 20]]  # frame 1: the first ball only

    _go(page, 6)
    # ball 1 halfway from x 0 (frame 1) to x 100 (frame 11); ball 2 a third of the way 50 -> 80
    assert sorted(_boxes(page).values()) == [[50, 10, 20, 20], [60, 80, 20, 20]]
    assert page.eval_on_selector("#video", "v => Math.round(v.currentTime * 100)") == 55  # frame 6 at 10 fps

    _go(page, 9)  # ball 2's segment ended at its keyframe 8
    assert list(_boxes(page).values()) == [[80, 10, 20, 20]]
    _go(page, 12)  # and ball 1's at 11
    assert _boxes(page) == {}
    assert page.text_content("#frame-label") == "frame 12 / 20"
