from __future__ import annotations

import pathlib

import pytest

from labelport.media import ProbeError, probe
from labelport.model.media import MediaType

from .assets import make_audio_pyav, make_garbage, make_wav


def test_wav(tmp_path: pathlib.Path) -> None:
    path = make_wav(tmp_path / "tone.wav", seconds=1.25, rate=22050, channels=2)
    assert probe(path, MediaType.AUDIO) == {
        "duration_ms": 1250,
        "sample_rate": 22050,
        "channels": 2,
    }


def test_pyav_fallback_for_containers_mutagen_cannot_read(tmp_path: pathlib.Path) -> None:
    path = make_audio_pyav(tmp_path / "tone.mka", seconds=0.5, rate=8000)
    assert probe(path, MediaType.AUDIO) == {"duration_ms": 500, "sample_rate": 8000, "channels": 1}


def test_garbage_audio(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ProbeError, match=r"^not a valid audio file: "):
        probe(make_garbage(tmp_path / "bad.wav"), MediaType.AUDIO)
