from __future__ import annotations

import pathlib

import pytest

from labelport.media import ProbeError, probe, probe_scene
from labelport.media.probes.scene import natural_key
from labelport.model.media import MediaType

from .assets import make_garbage, make_image, make_scene


def test_frames_in_natural_order(tmp_path: pathlib.Path) -> None:
    folder = make_scene(tmp_path / "scene", ["frame_10.jpg", "frame_2.png", "frame_1.jpg"])
    make_image(folder / "frame_3.jpg", (40, 30), orientation=6)
    (folder / "notes.txt").write_text("not a frame")
    (folder / ".DS_Store").write_bytes(b"\x00")
    make_garbage(folder / "._frame_1.jpg")  # AppleDouble companion from a macOS zip
    (folder / "sub").mkdir()
    make_image(folder / "sub" / "frame_0.jpg")

    assert probe_scene(folder) == {
        "frames": [
            {"filename": "frame_1.jpg", "width": 32, "height": 24},
            {"filename": "frame_2.png", "width": 32, "height": 24},
            {"filename": "frame_3.jpg", "width": 30, "height": 40},
            {"filename": "frame_10.jpg", "width": 32, "height": 24},
        ],
        "frame_count": 4,
    }
    assert probe(folder, MediaType.IMAGE_SEQUENCE) == probe_scene(folder)


def test_natural_key() -> None:
    names = ["img10.jpg", "IMG2.jpg", "img1.jpg", "img01.jpg", "a.jpg"]
    assert sorted(names, key=natural_key) == [
        "a.jpg",
        "img01.jpg",
        "img1.jpg",
        "IMG2.jpg",
        "img10.jpg",
    ]


def test_folder_without_images(tmp_path: pathlib.Path) -> None:
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(ProbeError, match="no image files"):
        probe_scene(tmp_path)


def test_bad_frame_names_the_frame(tmp_path: pathlib.Path) -> None:
    folder = make_scene(tmp_path, ["f1.jpg"])
    make_garbage(folder / "f2.jpg")
    with pytest.raises(ProbeError, match=r"^frame f2.jpg: not a valid image: "):
        probe_scene(folder)
