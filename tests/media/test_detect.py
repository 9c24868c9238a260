from __future__ import annotations

import pathlib

import pytest

from labelport.media import detect_media_type
from labelport.model.media import MediaType

from .assets import make_conversation

EXPECTED = {
    MediaType.IMAGE: ["jpg", "jpeg", "png", "bmp", "gif", "tif", "tiff", "webp"],
    MediaType.VIDEO: ["mp4", "mov", "avi", "mkv", "webm", "m4v"],
    MediaType.AUDIO: ["wav", "mp3", "flac", "ogg", "m4a", "aac", "opus"],
    MediaType.PDF: ["pdf"],
    MediaType.TEXT: ["txt", "md"],
    MediaType.HTML: ["html", "htm"],
    MediaType.POINT_CLOUD: ["pcd", "bin"],
}


@pytest.mark.parametrize(
    ("extension", "media_type"),
    [(ext, media_type) for media_type, exts in EXPECTED.items() for ext in exts],
)
def test_extension_decides_without_reading(extension: str, media_type: MediaType) -> None:
    # The files do not exist: detection by extension must not touch the disk.
    assert detect_media_type(pathlib.Path(f"/nowhere/a.{extension}")) is media_type
    assert detect_media_type(pathlib.Path(f"/nowhere/A.{extension.upper()}")) is media_type


@pytest.mark.parametrize(
    "name", [".DS_Store", "notes.xml", "labels.csv", "README", "archive.zip", "._photo.jpg"]
)
def test_non_assets(name: str) -> None:
    assert detect_media_type(pathlib.Path("/nowhere") / name) is None


def test_json_is_sniffed(tmp_path: pathlib.Path) -> None:
    chat = make_conversation(tmp_path / "chat.JSON", [("m1", "hi")])
    assert detect_media_type(chat) is MediaType.CONVERSATION

    bodies: dict[str, str | bytes] = {
        "labels.json": '[{"messages": []}]',
        "other.json": '{"messages": "not a list"}',
        "broken.json": '{"messages": [',
        "latin1.json": b'{"a": "\xe9"}',
    }
    for name, body in bodies.items():
        path = tmp_path / name
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body)
        assert detect_media_type(path) is None, name


def test_json_with_bom_is_sniffed(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b'\xef\xbb\xbf{"messages": []}')
    assert detect_media_type(path) is MediaType.CONVERSATION
