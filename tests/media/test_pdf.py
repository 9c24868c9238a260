from __future__ import annotations

import pathlib
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject

from labelport.media import ProbeError, probe
from labelport.model.media import MediaType

from .assets import make_garbage, make_pdf, make_text_pdf


def test_page_sizes_with_rotation(tmp_path: pathlib.Path) -> None:
    path = make_pdf(tmp_path / "doc.pdf", [(612, 792, 0), (595.5, 842, 0), (612, 792, 90)])
    assert probe(path, MediaType.PDF) == {
        "page_count": 3,
        "pages": [
            {"width": 612.0, "height": 792.0},
            {"width": 595.5, "height": 842.0},
            {"width": 792.0, "height": 612.0},
        ],
        "text_layer": [{"page": 1, "groups": []}, {"page": 2, "groups": []}, {"page": 3, "groups": []}],
    }


def test_negative_and_half_turns(tmp_path: pathlib.Path) -> None:
    path = make_pdf(tmp_path / "doc.pdf", [(100, 200, -90), (100, 200, 180), (100, 200, 450)])
    pages = probe(path, MediaType.PDF)["pages"]
    assert [(p["width"], p["height"]) for p in pages] == [(200, 100), (100, 200), (200, 100)]


def test_owner_password_only_still_opens(tmp_path: pathlib.Path) -> None:
    path = make_pdf(tmp_path / "locked.pdf", [(300, 400, 0)], user_password="")
    assert probe(path, MediaType.PDF)["pages"] == [{"width": 300.0, "height": 400.0}]


def test_user_password_is_refused(tmp_path: pathlib.Path) -> None:
    path = make_pdf(tmp_path / "secret.pdf", [(300, 400, 0)], user_password="secret")
    with pytest.raises(ProbeError, match=r"^PDF is encrypted$"):
        probe(path, MediaType.PDF)


def test_broken_pdf(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ProbeError, match=r"^not a valid PDF: "):
        probe(make_garbage(tmp_path / "bad.pdf"), MediaType.PDF)


def test_truncated_pdf(tmp_path: pathlib.Path) -> None:
    path = make_pdf(tmp_path / "doc.pdf", [(612, 792, 0)])
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ProbeError, match=r"^not a valid PDF: "):
        probe(path, MediaType.PDF)


def _tokens(layer: list[dict[str, Any]], page: int) -> list[tuple[str, str]]:
    return [(t["id"], t["text"]) for g in layer[page - 1]["groups"] for t in g["tokens"]]


def test_text_layer_tokens_grouped_by_line(tmp_path: pathlib.Path) -> None:
    path = make_text_pdf(
        tmp_path / "doc.pdf",
        [
            [(72, 720, "Invoice (copy) café"), (72, 700, "Total: 12.50"), (400, 700, "Paid")],
            [],
            [(100, 100, "Page three")],
        ],
    )
    meta = probe(path, MediaType.PDF)
    layer = meta["text_layer"]
    assert [p["page"] for p in layer] == [1, 2, 3]
    groups = layer[0]["groups"]
    # a wide gap on one line is a column break: "Paid" is its own group
    assert [(g["id"], g["text"]) for g in groups] == [
        ("1-1", "Invoice (copy) café"),
        ("1-2", "Total: 12.50"),
        ("1-3", "Paid"),
    ]
    assert _tokens(layer, 1)[:3] == [("1-1-1", "Invoice"), ("1-1-2", "(copy)"), ("1-1-3", "café")]
    assert layer[1]["groups"] == []
    assert _tokens(layer, 3) == [("3-1-1", "Page"), ("3-1-2", "three")]
    # boxes in points from the top-left: a 12 pt line whose baseline is 720 pt up a 792 pt page
    x, y, w, h = groups[0]["tokens"][0]["box"]
    assert x == 72 and 792 - 720 - 12 < y < 792 - 720 and 0 < w < 60 and 12 <= h <= 15
    gx, gy, gw, gh = groups[0]["box"]
    assert gh == h
    assert (gx, gy) == (x, y) and gw > w


def test_text_layer_is_deterministic(tmp_path: pathlib.Path) -> None:
    path = make_text_pdf(tmp_path / "doc.pdf", [[(72, 720, "same ids every time")]])
    assert probe(path, MediaType.PDF) == probe(path, MediaType.PDF)


def test_text_layer_of_a_turned_page_is_in_the_displayed_frame(tmp_path: pathlib.Path) -> None:
    # /Rotate 90 shows the 612x792 page as 792x612; text at (50, 50) from the bottom-left ends up
    # near the top-left corner of what is displayed
    meta = probe(make_text_pdf(tmp_path / "r.pdf", [[(50, 50, "Turned")]], rotate=90), MediaType.PDF)
    assert meta["pages"] == [{"width": 792.0, "height": 612.0}]
    (token,) = meta["text_layer"][0]["groups"][0]["tokens"]
    x, y, w, h = token["box"]
    assert token["text"] == "Turned" and 35 < x < 60 and 45 < y < 55 and h > w


@pytest.mark.parametrize(
    ("rotate", "where"),
    [
        # text at (50, 50) from the bottom-left of a 612x792 page, shown turned clockwise
        (0, lambda x, y: x < 60 and 725 < y < 745),  # bottom-left stays bottom-left
        (180, lambda x, y: 500 < x < 562 and 45 < y < 70),  # turned over: top-right
        (270, lambda x, y: 725 < x < 745 and 500 < y < 562),  # a quarter back: bottom-right
    ],
)
def test_text_layer_follows_each_page_turn(tmp_path: pathlib.Path, rotate: int, where: Any) -> None:
    meta = probe(make_text_pdf(tmp_path / "r.pdf", [[(50, 50, "Turned")]], rotate=rotate), MediaType.PDF)
    (token,) = meta["text_layer"][0]["groups"][0]["tokens"]
    x, y, _w, _h = token["box"]
    assert where(x, y), token["box"]


def test_text_layer_is_in_the_crop_box_frame(tmp_path: pathlib.Path) -> None:
    path = make_text_pdf(tmp_path / "doc.pdf", [[(20, 720, "hidden"), (150, 600, "shown")]])
    reader = PdfReader(path)
    writer = PdfWriter()
    page = writer.add_page(reader.pages[0])
    page.cropbox = RectangleObject([100, 100, 512, 692])  # 412x592, its top-left at (100, 692)
    with path.open("wb") as out:
        writer.write(out)
    meta = probe(path, MediaType.PDF)
    assert meta["pages"] == [{"width": 412.0, "height": 592.0}]
    (token,) = [t for g in meta["text_layer"][0]["groups"] for t in g["tokens"]]
    x, y, _w, h = token["box"]
    assert token["text"] == "shown" and x == 50 and 592 - (600 - 100) - h < y < 592 - (600 - 100)
