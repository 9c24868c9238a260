from __future__ import annotations

import pathlib

import pytest

from labelport.media import ProbeError, probe
from labelport.model.media import MediaType

from .assets import make_garbage, make_pdf


def test_page_sizes_with_rotation(tmp_path: pathlib.Path) -> None:
    path = make_pdf(tmp_path / "doc.pdf", [(612, 792, 0), (595.5, 842, 0), (612, 792, 90)])
    assert probe(path, MediaType.PDF) == {
        "page_count": 3,
        "pages": [
            {"width": 612.0, "height": 792.0},
            {"width": 595.5, "height": 842.0},
            {"width": 792.0, "height": 612.0},
        ],
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
