from __future__ import annotations

import json
import pathlib

import pytest

from labelport.media import ProbeError, probe
from labelport.model.media import MediaType

from .assets import make_garbage, make_image


def test_jpeg_exif_orientation_6_swaps_size(tmp_path: pathlib.Path) -> None:
    path = make_image(tmp_path / "rotated.jpg", (64, 48), orientation=6)
    assert probe(path, MediaType.IMAGE) == {
        "width": 48,
        "height": 64,
        "format": "JPEG",
        "exif_orientation": 6,
    }


@pytest.mark.parametrize(("orientation", "swapped"), [(3, False), (5, True), (8, True)])
def test_other_orientations(tmp_path: pathlib.Path, orientation: int, swapped: bool) -> None:
    path = make_image(tmp_path / "o.jpg", (64, 48), orientation=orientation)
    metadata = probe(path, MediaType.IMAGE)
    assert (metadata["width"], metadata["height"]) == ((48, 64) if swapped else (64, 48))
    assert metadata["exif_orientation"] == orientation


def test_orientation_1_is_not_reported(tmp_path: pathlib.Path) -> None:
    path = make_image(tmp_path / "upright.jpg", orientation=1)
    assert "exif_orientation" not in probe(path, MediaType.IMAGE)


def test_png(tmp_path: pathlib.Path) -> None:
    metadata = probe(make_image(tmp_path / "a.png", (31, 17)), MediaType.IMAGE)
    assert metadata == {"width": 31, "height": 17, "format": "PNG"}
    json.dumps(metadata)


def test_webp_with_exif(tmp_path: pathlib.Path) -> None:
    metadata = probe(make_image(tmp_path / "a.webp", (20, 10), orientation=8), MediaType.IMAGE)
    assert metadata == {"width": 10, "height": 20, "format": "WEBP", "exif_orientation": 8}


def test_corrupt_jpeg(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ProbeError) as info:
        probe(make_garbage(tmp_path / "bad.jpg"), MediaType.IMAGE)
    assert str(info.value) == "not a valid image: cannot identify image file"
    assert "bad.jpg" not in str(info.value)


def test_missing_file_is_an_os_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe(tmp_path / "missing.jpg", MediaType.IMAGE)
