from __future__ import annotations

import json
import pathlib

import pytest

from labelport.media import ProbeError, probe
from labelport.model.media import MediaType

from .assets import make_garbage, make_image, make_video, make_wav


def test_mp4(tmp_path: pathlib.Path) -> None:
    path = make_video(tmp_path / "clip.mp4", frames=7, size=(64, 48), fps=10)
    metadata = probe(path, MediaType.VIDEO)
    assert metadata == {
        "width": 64,
        "height": 48,
        "fps": 10.0,
        "frame_count": 7,
        "duration_ms": 700,
        "codec": "mpeg4",
    }
    json.dumps(metadata)


def test_h264_mp4(tmp_path: pathlib.Path) -> None:
    path = make_video(tmp_path / "clip.mp4", frames=12, fps=25, codec="libx264")
    metadata = probe(path, MediaType.VIDEO)
    assert (metadata["frame_count"], metadata["fps"], metadata["codec"]) == (12, 25.0, "h264")
    assert metadata["duration_ms"] == 480


def test_mkv_frames_are_counted_from_packets(tmp_path: pathlib.Path) -> None:
    # Matroska stores no frame count in its header, so the probe has to demux.
    path = make_video(tmp_path / "clip.mkv", frames=9, fps=15)
    metadata = probe(path, MediaType.VIDEO)
    assert (metadata["frame_count"], metadata["fps"]) == (9, 15.0)
    assert metadata["duration_ms"] == 600


@pytest.mark.parametrize("rotation", [90, -90])
def test_portrait_phone_video_reports_displayed_size(tmp_path: pathlib.Path, rotation: int) -> None:
    path = make_video(tmp_path / "phone.mp4", size=(64, 48), rotation=rotation)
    metadata = probe(path, MediaType.VIDEO)
    assert (metadata["width"], metadata["height"]) == (48, 64)
    assert metadata["rotation"] == rotation % 360


def test_garbage_video(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ProbeError, match=r"^not a valid video: "):
        probe(make_garbage(tmp_path / "bad.mp4"), MediaType.VIDEO)


def test_audio_only_file_is_not_a_video(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ProbeError, match="no video stream"):
        probe(make_wav(tmp_path / "sound.wav"), MediaType.VIDEO)


def test_still_image_is_not_a_video(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ProbeError, match="still image"):
        probe(make_image(tmp_path / "photo.png"), MediaType.VIDEO)
